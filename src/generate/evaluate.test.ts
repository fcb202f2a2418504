import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import { createDatasetWriter, openDataset } from '../dataset/store.ts';
import { amplitudeToDb, magnitude, stft } from '../dsp/index.ts';
import { buildVae } from '../model/vae.ts';
import type { VaeConfig } from '../model/vae-config.ts';
import { evaluate } from './evaluate.ts';
import { scoreAgainstItem, type ClipSettings } from './spectra.ts';

const TINY: VaeConfig = { filters: [4, 4], kernels: [3, 3], strides: [[2, 2], [2, 2]], latent: 4, reconstructionWeight: 1000, learningRate: 1e-3, batchSize: 4 };
// 32 bins of a 64-point FFT (Nyquist dropped, like the reference), 8 frames of hop 16: 120-sample clips.
const SETTINGS: ClipSettings = { sampleRate: 8000, clipSamples: 120, stft: { nFft: 64, hop: 16 }, bins: 32, frames: 8 };

/** A tone's normalised spectrogram, as the dataset stores it, with its dB range. */
function toneItem(f0: number): { x01: Float32Array; min: number; max: number } {
  const x = Float32Array.from({ length: SETTINGS.clipSamples }, (_, i) => 0.5 * Math.sin((2 * Math.PI * f0 * i) / SETTINGS.sampleRate));
  const mag = magnitude(stft(x, SETTINGS.stft));
  const db = amplitudeToDb(mag.data.subarray(0, SETTINGS.bins * mag.frames), { topDb: 80 });
  const min = Math.min(...db);
  const max = Math.max(...db);
  return { x01: db.map((v) => (v - min) / (max - min)), min, max };
}

let dir: string;
beforeAll(async () => {
  await initBackend('cpu');
  dir = await mkdtemp(path.join(os.tmpdir(), 'soundvae-eval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('evaluate', () => {
  it('scores reconstructions against the oracle and catches a copied item', async () => {
    const w = await createDatasetWriter(dir, { shape: [32, 8], settings: {}, split: { holdout: { field: 'set', values: ['val'] } } });
    const freqs = [300, 500, 700, 900, 1100, 1300, 1500, 1700];
    freqs.forEach((f, i) => {
      const it = toneItem(f);
      w.append({ source: `tone-${i}`, offset: 0, min: it.min, max: it.max, labels: { set: i < 6 ? 'train' : 'val' } }, it.x01);
    });
    // A validation item identical to training item 0: its nearest-training distance must be 0.
    const copy = toneItem(freqs[0]!);
    w.append({ source: 'copy', offset: 0, min: copy.min, max: copy.max, labels: { set: 'val' } }, copy.x01);
    await w.finish();
    const ds = await openDataset(dir);
    try {
      const vae = buildVae(TINY, [32, 8], 1);
      const stats = ds.manifest.stats;
      const r = await evaluate(vae, ds, SETTINGS, stats, { samples: 5, batch: 2 });
      expect(r.validation.items).toBe(3);
      // The oracle only loses phase; an untrained model loses far more.
      expect(r.validation.oracle!.spectralConvergence).toBeLessThan(-10);
      expect(r.validation.reconstruction!.spectralConvergence).toBeGreaterThan(r.validation.oracle!.spectralConvergence + 3);
      expect(r.prior.samples).toBe(5);
      expect(r.prior.validationNearestTrain!.min).toBeCloseTo(0, 3);
      expect(r.prior.validationNearestTrain!.mean).toBeGreaterThan(1);
      expect(r.prior.nearestTrain.mean).toBeGreaterThan(0);
      expect(r.prior.diversity).toBeGreaterThanOrEqual(0);
      expect(r.prior.validationDiversity).toBeGreaterThan(1);
      expect(r.prior.secondsPerSample).toBeGreaterThan(0);
      vae.encoder.dispose();
      vae.decoder.dispose();
    } finally {
      await ds.close();
    }
  });

  it('scores a perfect rebuild of an item near -inf SC and 0 LSD only for that item', () => {
    const a = toneItem(440);
    const b = toneItem(1500);
    const x = Float32Array.from({ length: 120 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    const same = scoreAgainstItem(x, a.x01, a, SETTINGS);
    const other = scoreAgainstItem(x, b.x01, b, SETTINGS);
    expect(same.spectralConvergence).toBeLessThan(-40);
    expect(same.logSpectralDistance).toBeLessThan(0.5);
    expect(other.spectralConvergence).toBeGreaterThan(-3);
  });
});
