import { describe, expect, it } from 'vitest';
import { gaussianSource } from './density.ts';
import { frechetDistance, logMelStats, recognisability } from './judge.ts';

const rows = (n: number, shift: number, scale: number, seed: number) => {
  const g = gaussianSource(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: 3 }, () => shift + scale * g()));
};

describe('judging generated sounds', () => {
  it('gives a Fréchet distance near 0 for two draws of one Gaussian and the squared shift plus spread terms otherwise', () => {
    expect(frechetDistance(rows(4000, 0, 1, 1), rows(4000, 0, 1, 2))).toBeLessThan(0.02);
    // means 2 apart in 3 dimensions: 3 * 4 = 12; spreads 1 and 2: 3 * (1 + 4 - 2 * 2) = 3
    expect(frechetDistance(rows(4000, 0, 1, 1), rows(4000, 2, 2, 2))).toBeCloseTo(15, 0);
  });

  it('counts confident samples, the classes they cover and the expected label', () => {
    const probs = Float32Array.from([0.9, 0.1, 0, 0.85, 0.1, 0.05, 0.5, 0.5, 0, 0.05, 0.05, 0.9]);
    const r = recognisability(probs, ['a', 'b', 'c'], 'a');
    expect(r.recognisable).toBeCloseTo(0.75);
    expect(r.classesCovered).toBe(2);
    expect(r.perClass).toEqual({ a: 2, c: 1 });
    expect(r.asExpected).toBeCloseTo(0.75); // the tie goes to the first class, a
    expect(r.meanEntropy).toBeGreaterThan(1);
  });

  it('summarises a spectrogram by mel-band means and deviations in dB', () => {
    const s = { sampleRate: 8000, clipSamples: 120, stft: { nFft: 64, hop: 16 }, bins: 32, frames: 8 };
    const flat = new Float32Array(32 * 8).fill(1); // every bin at the range's top: 0 dB
    const f = logMelStats(flat, { min: -80, max: 0 }, s, 10);
    expect(f).toHaveLength(20);
    for (let b = 0; b < 10; b++) {
      expect(f[b]).toBeCloseTo(0, 3);
      expect(f[10 + b]).toBeCloseTo(0, 3);
    }
  });
});

describe('the feature classifier', () => {
  it('separates two labelled clouds and is confident far from the boundary', async () => {
    const { fitFeatureClassifier, predictFeatures } = await import('./judge.ts');
    const a = rows(100, -2, 1, 3);
    const b = rows(100, 2, 1, 4);
    const model = fitFeatureClassifier([...a, ...b], [...a.map(() => 'a'), ...b.map(() => 'b')]);
    const p = predictFeatures(model, [Float32Array.from([-4, -4, -4]), Float32Array.from([4, 4, 4])]);
    expect(p[0]).toBeGreaterThan(0.95); // first row is class a
    expect(p[3]).toBeGreaterThan(0.95); // second row is class b
  });
});
