/**
 * The digits model shipped in checkpoints/digits must keep loading and sounding right through format changes:
 * it is decoded here without any training, through the library and through the CLI a newcomer runs first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioLevels } from '../src/audio/cleanup.ts';
import { decodeAudio } from '../src/audio/index.ts';
import { initBackend } from '../src/backend/backend.ts';
import { decodeLatents, encodeItems } from '../src/generate/model.ts';
import { decodeCodes, readSampler, type LatentSampler } from '../src/generate/sampler.ts';
import { latentSize } from '../src/model/vae.ts';
import { disposeVae, loadCheckpoint, type LoadedCheckpoint } from '../src/train/checkpoint.ts';

const root = path.resolve(__dirname, '..');
const shipped = path.join(root, 'checkpoints', 'digits');
const bin = path.join(root, 'bin', 'soundvae.js');

let ckpt: LoadedCheckpoint;
let sampler: LatentSampler;
let out: string;
beforeAll(async () => {
  await initBackend('cpu');
  ckpt = await loadCheckpoint(shipped);
  sampler = (await readSampler(shipped))!;
  out = mkdtempSync(path.join(tmpdir(), 'soundvae-shipped-'));
});
afterAll(() => {
  if (ckpt) disposeVae(ckpt.vae);
  rmSync(out, { recursive: true, force: true });
});

describe('the shipped digits model', () => {
  it('loads with its sampler: ten digits, neighbour codes, not resumable', () => {
    expect(ckpt.resumable).toBe(false);
    expect(sampler, `${shipped}/sampler.json`).toBeDefined();
    expect(Object.keys(sampler.labels!.values).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(sampler.neighbours!.labels).toHaveLength(sampler.items);
  });

  it('decodes training codes to spectrograms that encode back next to a code of the same digit', () => {
    const nb = sampler.neighbours!;
    const codes = decodeCodes(nb.codes, latentSize(ckpt.vae.config, ckpt.vae.inputShape), nb.encoding);
    const picks = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => nb.labels.indexOf(d));
    const x = decodeLatents(
      ckpt.vae,
      picks.map((i) => codes[i]!),
    );
    for (const xi of x) {
      const mean = xi.reduce((s, v) => s + v, 0) / xi.length;
      expect(mean, 'mean decoded value (0 = an empty spectrogram)').toBeGreaterThan(0.05);
    }
    const again = encodeItems(ckpt.vae, x).mu;
    const nearestLabel = (z: Float32Array) => {
      let best = -1;
      let bestD = Infinity;
      codes.forEach((c, j) => {
        let d = 0;
        for (let q = 0; q < c.length; q++) d += (c[q]! - z[q]!) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      });
      return nb.labels[best];
    };
    expect(again.map(nearestLabel)).toEqual(picks.map((i) => nb.labels[i]));
  });

  it('generate --label digit=7 writes audible sevens at the training level, in seconds', () => {
    const dir = path.join(out, 'sevens');
    const r = spawnSync('node', [bin, 'generate', '--checkpoint', shipped, '--label', 'digit=7', '--count', '2', '--out', dir, '--backend', 'cpu'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    for (const name of ['sample-01.wav', 'sample-02.wav']) {
      const file = path.join(dir, name);
      expect(existsSync(file), file).toBe(true);
    }
  });

  it("the generated sevens sit within 3 dB of the training clips' median loudness", async () => {
    for (const name of ['sample-01.wav', 'sample-02.wav']) {
      const audio = await decodeAudio(path.join(out, 'sevens', name));
      expect(audio.info.sampleRate).toBe(8000);
      const { rms } = audioLevels(audio.channels[0]!);
      expect(Math.abs(rms - sampler.trainRms.p50), `${name}: ${rms.toFixed(1)} dBFS against ${sampler.trainRms.p50.toFixed(1)}`).toBeLessThan(3);
    }
  });
});
