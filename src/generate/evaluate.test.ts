import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import { openDataset } from '../dataset/store.ts';
import { amplitudeToDb, magnitude, stft } from '../dsp/index.ts';
import { disposeVae, loadCheckpoint } from '../train/checkpoint.ts';
import { evaluate } from './evaluate.ts';
import { createGenerator } from './operations.ts';
import { loadOrFitSampler } from './session.ts';
import { makeFixture } from './test-fixture.ts';
import { scoreAgainstItem, type ClipSettings } from './spectra.ts';

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
  it('scores reconstructions model-only and after Griffin-Lim, and judges every sampler against real items', async () => {
    const fx = await makeFixture(path.join(dir, 'fixture'));
    const ckpt = await loadCheckpoint(fx.run);
    const ds = await openDataset(fx.data);
    try {
      const sampler = await loadOrFitSampler(ckpt, () => {});
      expect(sampler).toBeDefined();
      const g = createGenerator(ckpt, { iterations: 4 }, sampler);
      const r = await evaluate(g, ds, { samples: 4, batch: 2, perLabel: 0, trainReference: 10 });
      expect(r.validation.items).toBe(3);
      // The oracle only loses phase; an untrained model loses far more, before Griffin-Lim too.
      expect(r.validation.oracle!.spectralConvergence).toBeLessThan(-10);
      expect(r.validation.reconstruction!.spectralConvergence).toBeGreaterThan(r.validation.oracle!.spectralConvergence + 3);
      expect(r.validation.model!.spectralConvergence).toBeGreaterThan(-3);
      // Written reconstructions are levelled to their originals.
      expect(Math.abs(r.validation.levelWritten)).toBeLessThan(0.1);
      expect(r.generation.map((x) => x.sampler)).toEqual(['prior', 'gaussian', 'gmm', 'neighbours']);
      for (const x of r.generation) {
        expect(x.samples).toBe(4);
        expect(x.frechetFeature).toBeGreaterThanOrEqual(0);
        // levelled to the training clips' median loudness unless a limiter had to pull a peak down
        expect(x.rms.p50).toBeLessThanOrEqual(r.real!.trainRms.p50 + 0.1);
        expect(x.rms.p50).toBeGreaterThan(r.real!.trainRms.p50 - 12);
      }
      expect(r.real!.frechetFeature).toBeGreaterThanOrEqual(0);
      // the floor is estimated from as many training items as there are samples (10 loaded, 4 used)
      expect(r.real!.floorItems).toBe(4);
      expect(r.timing.secondsPerSample).toBeGreaterThan(0);
    } finally {
      await ds.close();
      disposeVae(ckpt.vae);
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
