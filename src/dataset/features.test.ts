import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../audio/wav-write.ts';
import { applyFilterbank, melFilterbank, mfcc, powerToDb } from '../dsp/mel.ts';
import { magnitude, stft } from '../dsp/stft.ts';
import { MelFeatureExtractor } from './features.ts';
import { preprocess } from './pipeline.ts';
import { DEFAULT_FEATURES, resolveSettings, spectrogramShape } from './presets.ts';
import { openDataset } from './store.ts';

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-features-'));
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

/** A vowel-like clip: three harmonics of a pitch that glides. */
function clip(n: number, sr: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const f0 = 150 + (50 * i) / n;
    return [1, 2, 3].reduce((sum, h) => sum + Math.sin((2 * Math.PI * f0 * h * i) / sr) / h, 0) * 0.3;
  });
}

describe('MelFeatureExtractor', () => {
  const settings = resolveSettings('digits', { features: { ...DEFAULT_FEATURES, kind: 'mel', nMels: 40 } });
  const x = clip(settings.clip, settings.sampleRate);
  const expectedMelDb = () => {
    const mag = magnitude(stft(x, { nFft: settings.nFft, hop: settings.hop }));
    const power = { ...mag, data: mag.data.map((m) => m * m) };
    const mel = applyFilterbank(power, melFilterbank({ sampleRate: 8000, nFft: settings.nFft, nMels: 40 }));
    return { ...mel, data: powerToDb(mel.data) }; // digits' dB settings (ref 1, amin 1e-5, top 80) are librosa's defaults squared
  };

  it('gives mel bands in dB as the dsp functions do, nMels x frames', () => {
    const e = new MelFeatureExtractor({ ...settings, features: settings.features! });
    expect(e.shape).toEqual([40, 64]);
    const got = e.extract(x);
    const want = expectedMelDb().data;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst, 'worst dB difference against stft -> filterbank -> powerToDb').toBeLessThan(1e-3);
  });

  it('gives MFCCs of those bands', () => {
    const features = { ...settings.features!, kind: 'mfcc' as const, nMfcc: 13 };
    const e = new MelFeatureExtractor({ ...settings, features });
    expect(e.shape).toEqual([13, 64]);
    const want = mfcc(expectedMelDb(), 13).data;
    const got = e.extract(x);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-2);
  });
});

describe('feature settings', () => {
  it('size the items by bands or coefficients', () => {
    const mel = resolveSettings('digits', { features: { ...DEFAULT_FEATURES, kind: 'mel', nMels: 64 } });
    expect(spectrogramShape(mel)).toEqual([64, 64]);
    const m = resolveSettings('digits', { features: { ...DEFAULT_FEATURES, kind: 'mfcc', nMels: 64, nMfcc: 20 } });
    expect(spectrogramShape(m)).toEqual([20, 64]);
  });

  it('refuse bands past Nyquist and more MFCCs than bands, naming the values', () => {
    expect(() => resolveSettings('digits', { features: { ...DEFAULT_FEATURES, kind: 'mel', fmax: 5000 } })).toThrow(/fmax <= 4000 Hz.*5000/);
    expect(() => resolveSettings('digits', { features: { ...DEFAULT_FEATURES, kind: 'mfcc', nMels: 10, nMfcc: 20 } })).toThrow(/up to the 10 mel bands/);
  });

  it('leave STFT settings without a features key (older manifests still match)', () => {
    expect('features' in resolveSettings('digits')).toBe(false);
  });
});

describe('preprocess --features', () => {
  it('stores MFCC items of nMfcc x frames, normalised to [0, 1]', async () => {
    const inputs = path.join(dir, 'in');
    await fsp.mkdir(inputs, { recursive: true });
    for (const d of [0, 1]) await fsp.writeFile(path.join(inputs, `${d}_ann_0.wav`), encodeWav(clip(6000, 8000), 8000));
    const out = path.join(dir, 'mfcc');
    const features = { ...DEFAULT_FEATURES, kind: 'mfcc' as const, nMels: 32, nMfcc: 12 };
    const summary = await preprocess([inputs], out, { preset: 'digits', overrides: { features }, workers: 0, labels: { from: 'fsdd' } });
    expect(summary.items).toBe(2);
    expect(summary.warning, 'no stride warning: only the VAE needs multiples of 32').toBeUndefined();
    const ds = await openDataset(out);
    try {
      expect(ds.shape).toEqual([12, 64]);
      expect((ds.manifest.settings as { features?: unknown }).features).toEqual(features);
      const item = await ds.read([0]);
      expect(Math.min(...item)).toBe(0);
      expect(Math.max(...item)).toBeCloseTo(1, 6);
    } finally {
      await ds.close();
    }
  });
});
