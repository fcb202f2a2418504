/**
 * Whole-file reconstruction: a file longer than a clip is cut into the checkpoint's clips, and original, oracle and
 * reconstruction come back as long as the (preprocessed) file, stitched at the right offsets. Library and CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, writeWav } from '../audio/index.ts';
import { magnitude, spectralConvergence, stft } from '../dsp/index.ts';
import { disposeVae, loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { createGenerator, reconstructFile, Stitcher, type Generator } from './operations.ts';
import { makeFixture } from './test-fixture.ts';

const bin = path.resolve(__dirname, '../../bin/soundvae.js');
const SR = 8000;
const CLIP = 240; // the fixture's clip: 30 ms at 8 kHz, 33 frames of hop 16
let root: string;
let fx: { audio: string[]; data: string; run: string };
let ckpt: LoadedCheckpoint;
let g: Generator;
let long: string;
const LONG = 2400; // 0.3 s: eleven or so clips

/** A sweep whose pitch and level both move, so clips at the wrong place would not match. */
function sweep(samples: number): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => {
    const t = i / SR;
    return 0.4 * Math.sin(2 * Math.PI * (300 * t + 4000 * t * t)) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 7 * t));
  });
}

function cli(...args: string[]) {
  return spawnSync('node', [bin, ...args, '--backend', 'cpu'], { encoding: 'utf8' });
}

const sc = (estimate: Float32Array, reference: Float32Array) => {
  const opts = { nFft: 64, hop: 16 };
  return spectralConvergence(magnitude(stft(estimate, opts)), magnitude(stft(reference, opts)));
};

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-whole-'));
  fx = await makeFixture(root);
  long = path.join(root, 'long', 'sweep.wav');
  await writeWav(long, sweep(LONG), SR);
  ckpt = await loadCheckpoint(fx.run);
  g = createGenerator(ckpt);
});
afterAll(async () => {
  if (ckpt) disposeVae(ckpt.vae);
  await fs.rm(root, { recursive: true, force: true });
});

describe('Stitcher', () => {
  for (const [what, hop, maxFade] of [
    ['50 % overlap', 120, 1000],
    ['a short join overlap', 210, 1000],
    ['a fade shorter than the overlap', 120, 17],
  ] as const) {
    it(`gives back the signal from its own clips with ${what}`, () => {
      const x = sweep(1000);
      const spans = [];
      for (let offset = 0; offset < x.length; offset += hop) {
        spans.push({ offset, length: Math.min(CLIP, x.length - offset) });
        if (offset + CLIP >= x.length) break;
      }
      const st = new Stitcher(x.length, spans, maxFade);
      spans.forEach((s, i) => st.add(i, x.slice(s.offset, s.offset + s.length)));
      for (let t = 0; t < x.length; t++) expect(st.out[t]).toBeCloseTo(x[t]!, 6);
      // And ones everywhere, so the weights sum to one.
      const ones = new Stitcher(x.length, spans, maxFade);
      spans.forEach((s, i) => ones.add(i, new Float32Array(s.length).fill(1)));
      for (let t = 0; t < x.length; t++) expect(ones.out[t]).toBeCloseTo(1, 6);
    });
  }

  it('crossfades smoothly: no weight jumps by more than the fade allows', () => {
    const spans = [{ offset: 0, length: CLIP }, { offset: 120, length: CLIP }];
    const st = new Stitcher(360, spans, 1000);
    st.add(0, new Float32Array(CLIP).fill(1));
    const w = st.out;
    expect(w[0]).toBe(1);
    expect(w[359]).toBe(0);
    for (let t = 1; t < 360; t++) expect(Math.abs(w[t]! - w[t - 1]!)).toBeLessThan(0.02); // 120-sample raised cosine
  });
});

describe('reconstructFile', () => {
  it('returns original, oracle and reconstruction as long as the preprocessed file, from all its clips', async () => {
    const r = await reconstructFile(g, long);
    // 20 ms trimmed at most by the fixture's -50 dB end trim; the sweep starts and ends loud.
    expect(r.original.length).toBeGreaterThan(LONG - 20);
    expect(r.original.length).toBeLessThanOrEqual(LONG);
    expect(r.oracle.audio.length).toBe(r.original.length);
    expect(r.reconstruction.audio.length).toBe(r.original.length);
    expect(r.clips).toBeGreaterThanOrEqual(Math.ceil(LONG / CLIP));
    expect(r.scored).toBe(r.clips);
    expect(r.name).toBe('sweep');
    expect(Number.isFinite(r.oracle.scores.spectralConvergence)).toBe(true);
    // The untrained fixture model loses far more than the phase.
    expect(r.oracle.scores.spectralConvergence).toBeLessThan(r.reconstruction.scores.spectralConvergence - 3);
  });

  it('stitches the oracle in place: close to the original, unlike the same audio shuffled', async () => {
    const r = await reconstructFile(g, long);
    const n = r.original.length;
    const own = sc(r.oracle.audio, r.original);
    // The oracle's 30 ms pieces in another order, and the oracle a clip late: what misplaced clips would give.
    const pieces = Array.from({ length: Math.ceil(n / CLIP) }, (_, i) => r.oracle.audio.slice(i * CLIP, (i + 1) * CLIP));
    const shuffled = new Float32Array(n);
    let at = 0;
    for (const p of [...pieces.filter((_, i) => i % 2 === 1), ...pieces.filter((_, i) => i % 2 === 0)]) {
      shuffled.set(p.subarray(0, n - at), at);
      at += p.length;
    }
    const late = new Float32Array(n);
    late.set(r.oracle.audio.subarray(0, n - CLIP), CLIP);
    expect(own).toBeLessThan(-10);
    expect(own).toBeLessThan(sc(shuffled, r.original) - 10);
    expect(own).toBeLessThan(sc(late, r.original) - 10);
  });

  it('gives the same audio whatever the batch size, and reports progress per batch', async () => {
    const calls: [number, number][] = [];
    const a = await reconstructFile(g, long, { batch: 4, onProgress: (done, total) => calls.push([done, total]) });
    const b = await reconstructFile(g, long, { batch: 64 });
    expect(calls.length).toBe(1 + Math.ceil(a.scored / 4));
    expect(calls[0]).toEqual([0, a.scored]);
    expect(calls.at(-1)).toEqual([a.scored, a.scored]);
    for (let t = 0; t < a.oracle.audio.length; t += 7) {
      expect(a.oracle.audio[t]).toBeCloseTo(b.oracle.audio[t]!, 5);
      expect(a.reconstruction.audio[t]).toBeCloseTo(b.reconstruction.audio[t]!, 5);
    }
  });

  it('explains a silent file', async () => {
    const silent = path.join(root, 'long', 'silent.wav');
    await writeWav(silent, new Float32Array(1000), SR);
    await expect(reconstructFile(g, silent)).rejects.toThrow(/silent\.wav: no sound/);
  });
});

describe('soundvae reconstruct FILE...', () => {
  it('writes whole-file WAVs by default and clip-long ones with --first-clip', async () => {
    const out = path.join(root, 'rec-whole');
    const r = cli('reconstruct', '--checkpoint', fx.run, long, fx.audio[4]!, '--out', out, '--batch', '4');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sweep\s+oracle SC -?[\d.]+ dB .*\(\d+ clips\)$/m);
    expect(r.stdout).toMatch(/^2_tester_1\s+oracle .*\(2 clips\)$/m); // 300 samples: a clip and a padded one
    const lengths: number[] = [];
    for (const kind of ['original', 'oracle', 'reconstruction']) lengths.push((await decodeAudio(path.join(out, `sweep-${kind}.wav`))).info.frames);
    expect(lengths[0]).toBeGreaterThan(LONG - 20);
    expect(new Set(lengths).size).toBe(1);
    expect((await decodeAudio(path.join(out, '2_tester_1-reconstruction.wav'))).info.frames).toBeGreaterThan(CLIP);

    const first = path.join(root, 'rec-first');
    const r2 = cli('reconstruct', '--checkpoint', fx.run, long, '--first-clip', '--out', first);
    expect(r2.status).toBe(0);
    expect(r2.stdout).not.toContain('clips)');
    for (const kind of ['original', 'oracle', 'reconstruction']) {
      expect((await decodeAudio(path.join(first, `sweep-${kind}.wav`))).info.frames).toBe(CLIP);
    }
  });

  it('reports a bad file in one line, skips it and completes the others', async () => {
    const garbage = path.join(root, 'long', 'garbage.wav');
    await fs.writeFile(garbage, 'RIFF this is not audio at all');
    const out = path.join(root, 'rec-bad');
    const r = cli('reconstruct', '--checkpoint', fx.run, fx.audio[0]!, garbage, long, '--out', out);
    expect(r.status).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('soundvae:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${garbage}:`);
    expect(errors[0]).toContain('(skipped)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    for (const base of ['1_tester_0', 'sweep']) {
      for (const kind of ['original', 'oracle', 'reconstruction']) expect(existsSync(path.join(out, `${base}-${kind}.wav`))).toBe(true);
    }
    expect(r.stdout).toContain('2 x 3 WAVs');
  });
});
