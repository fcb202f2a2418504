/**
 * The generation commands end to end through the real CLI: a tiny dataset made by the real pipeline from tone
 * files, an untrained tiny checkpoint, and `soundvae generate / reconstruct / interpolate / report`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../audio/index.ts';
import { FIXTURE_CONFIG, makeFixture } from './test-fixture.ts';

const bin = path.resolve(__dirname, '../../bin/soundvae.js');
let root: string;
let fx: { audio: string[]; data: string; run: string };

function cli(...args: string[]) {
  return spawnSync('node', [bin, ...args, '--backend', 'cpu'], { encoding: 'utf8' });
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-gen-'));
  fx = await makeFixture(root);
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('generation commands', () => {
  it('fit-sampler stores the densities; generate draws from them, levelled, and from the prior the tutorial way', async () => {
    const fit = cli('fit-sampler', fx.run, '--components', '3', '--mixture', '2');
    expect(fit.status).toBe(0);
    expect(fit.stdout).toMatch(/fitted on 6 items .* [12] mixture components?; training clips at -\d+\.\d dBFS median -> .*sampler\.json/);
    const sampler = JSON.parse(await fs.readFile(path.join(fx.run, 'best', 'sampler.json'), 'utf8'));
    expect(sampler.format).toBe('soundvae-sampler');
    const out = path.join(root, 'gen-gmm');
    const g = cli('generate', '--checkpoint', fx.run, '--count', '2', '--out', out, '--sampler', 'gaussian');
    expect(g.status).toBe(0);
    const median = Number(/median RMS (-?\d+\.\d) dBFS, training clips (-?\d+\.\d) dBFS/.exec(g.stdout)![1]);
    expect(median).toBeCloseTo(sampler.trainRms.p50, 0); // levelled (a limiter may take a little off a peak)
    const prior = cli('generate', '--checkpoint', fx.run, '--count', '2', '--out', path.join(root, 'gen-prior'), '--sampler', 'prior', '--no-level');
    expect(prior.status).toBe(0);
    expect(prior.stdout).toContain('sampler prior');
    const bad = cli('generate', '--checkpoint', fx.run, '--count', '2', '--out', path.join(root, 'gen-bad'), '--label', 'digit=9');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/digit|label/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('generate writes N clip-long WAVs that differ by seed, and a report', async () => {
    const out = path.join(root, 'gen');
    const r = cli('generate', '--checkpoint', fx.run, '--count', '3', '--out', out, '--seed', '5', '--report');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3 sounds -> .* ms per 0\.03 s clip/);
    const a = await decodeAudio(path.join(out, 'sample-01.wav'));
    expect(a.info.sampleRate).toBe(8000);
    expect(a.info.frames).toBe(240);
    const b = await decodeAudio(path.join(out, 'sample-02.wav'));
    expect(a.channels[0]).not.toEqual(b.channels[0]);
    const html = await fs.readFile(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain('src="sample-03.wav"');
    expect(html).toContain('src="sample-03.png"');
    expect(html).toContain('nearest training item: '); // the fixture's dataset is still there
    expect(existsSync(path.join(out, 'curves.svg'))).toBe(true);
  });

  it('reconstruct takes dataset items or files, writes three WAVs each with scores, and skips bad files', async () => {
    const out = path.join(root, 'rec');
    const r = cli('reconstruct', '--checkpoint', fx.run, '--data', fx.data, '--count', '2', '--out', out);
    expect(r.status).toBe(0);
    // Validation holds the take-0 files; the oracle (phase loss only) beats an untrained model.
    const lines = r.stdout.split('\n').filter((l) => l.includes('oracle'));
    expect(lines).toHaveLength(3); // two items and the mean
    for (const l of lines.slice(0, 2)) {
      const [oracle, recon] = [...l.matchAll(/SC (-?[\d.]+) dB/g)].map((m) => Number(m[1]));
      expect(oracle!).toBeLessThan(recon! - 3);
    }
    const names = (await fs.readdir(out)).sort();
    expect(names.filter((n) => n.endsWith('.wav'))).toHaveLength(6);
    expect(names.some((n) => /_tester_0-original\.wav$/.test(n))).toBe(true);

    const bad = path.join(root, 'missing.wav');
    const r2 = cli('reconstruct', '--checkpoint', fx.run, fx.audio[4]!, bad, '--out', path.join(root, 'rec2'));
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(`${bad}:`);
    expect(r2.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(root, 'rec2', '2_tester_1-reconstruction.wav'))).toBe(true);
  });

  it('interpolate writes both paths, and report builds the full page', async () => {
    const out = path.join(root, 'int');
    const r = cli('interpolate', '--checkpoint', fx.run, fx.audio[0]!, fx.audio[8]!, '--steps', '3', '--out', out);
    expect(r.status).toBe(0);
    expect((await fs.readdir(out)).sort()).toEqual([
      'linear-00.wav',
      'linear-01.wav',
      'linear-02.wav',
      'spherical-00.wav',
      'spherical-01.wav',
      'spherical-02.wav',
    ]);

    const rep = path.join(root, 'report');
    const r2 = cli('report', '--checkpoint', fx.run, '--out', rep, '--count', '3', '--samples', '2', '--steps', '3');
    expect(r2.status).toBe(0);
    const html = await fs.readFile(path.join(rep, 'index.html'), 'utf8');
    for (const id of ['reconstructions', 'generated', 'interpolations', 'latent', 'curves']) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('nearest training item');
    // three per reconstruction, each sample with its nearest training item, two interpolation strips
    expect(html.match(/<audio /g)).toHaveLength(3 * 3 + 2 * 2 + 2 * 3);
    expect(html).toContain('hear the nearest training item');
    expect(html).toMatch(/RMS <b>-?\d+\.\d<\/b> · peak <b>-?\d+\.\d<\/b> dBFS/);
  });

  it('explains a folder that is not a checkpoint in one line', () => {
    const r = cli('generate', '--checkpoint', root, '--out', path.join(root, 'x'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('not a soundvae checkpoint');
  });

  it('generate --seconds chains codes into longer sounds with a time-latent model, and explains why a dense one cannot', async () => {
    const timeFx = await makeFixture(path.join(root, 'time'), { ...FIXTURE_CONFIG, latent: 2, bottleneck: 'time' });
    const out = path.join(root, 'long');
    const r = cli('generate', '--checkpoint', timeFx.run, '--count', '2', '--seconds', '0.25', '--out', out, '--sampler', 'prior', '--report');
    expect(r.status, r.stderr).toBe(0);
    for (const name of ['sample-01', 'sample-02']) {
      const { info } = await decodeAudio(path.join(out, `${name}.wav`));
      expect(info.frames).toBe(0.25 * info.sampleRate); // 2000 samples: eight 240-sample clips' worth, cut to length
    }
    expect(r.stdout).toContain('per 0.25 s sound');
    const dense = cli('generate', '--checkpoint', fx.run, '--seconds', '1', '--out', path.join(root, 'x2'), '--sampler', 'prior');
    expect(dense.status).toBe(1);
    expect(dense.stderr.trim().split('\n').pop()).toMatch(/^soundvae: --seconds needs a model with a latent per time step/);
    expect(dense.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('export copies a checkpoint for generation only: no optimiser state, sampler included, generate works from it', async () => {
    const out = path.join(root, 'exported');
    const e = cli('export', fx.run, '--out', out);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/exported .* -> .*exported: \d+\.\d MB, for generation only/);
    const files = (await fs.readdir(out)).sort();
    expect(files).toEqual(['checksums.json', 'config.json', 'decoder', 'encoder', 'sampler.json', 'training.json']);
    const g = cli('generate', '--checkpoint', out, '--count', '1', '--out', path.join(root, 'from-exported'));
    expect(g.status, g.stderr).toBe(0);
    expect(existsSync(path.join(root, 'from-exported', 'sample-01.wav'))).toBe(true);
    const again = cli('export', fx.run, '--out', out);
    expect(again.status).toBe(1);
    expect(again.stderr.trim()).toMatch(/^soundvae: .*exported: a checkpoint is already there \(add --overwrite to replace it\)$/);
  });

  it('similar finds a dataset file itself first, and writes a playlist page; a bad file is named and skipped', async () => {
    const out = path.join(root, 'similar');
    const file = fx.audio[2]!;
    const r = cli('similar', '--checkpoint', fx.run, file, path.join(root, 'missing.wav'), '--top', '3', '--out', out);
    expect(r.status, r.stderr).toBe(1); // one input failed
    expect(r.stderr).toMatch(/missing\.wav: no such file \(skipped\)/);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf(`${file}:`);
    expect(at, r.stdout).toBeGreaterThanOrEqual(0);
    expect(lines[at + 1]).toMatch(new RegExp(`^\\s+1\\. ${path.basename(file).replace('.', '\\.')} @ 0\\.00 s\\s+label \\d\\s+distance 0\\.\\d\\d$`));
    expect(lines.slice(at + 1, at + 4).every((l) => /^\s+\d\. /.test(l))).toBe(true);
    const page = await fs.readFile(path.join(out, 'index.html'), 'utf8');
    expect((page.match(/<audio /g) ?? []).length).toBe(4); // the query and its three matches
  });
});
