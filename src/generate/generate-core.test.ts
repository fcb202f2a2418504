import { describe, expect, it } from 'vitest';
import { amplitudeToDb, magnitude, spectralConvergence, stft } from '../dsp/index.ts';
import { dbToMagnitude, denormalise, invertMagnitudes, limitPeaks, preventClipping, priorRange } from './invert.ts';
import { interpolatePath, lerp, samplePrior, slerp } from './latent.ts';

const norm = (v: Float32Array) => Math.hypot(...v);

describe('de-normalising and inverting', () => {
  it('maps [0, 1] onto the dB range and back to a tone Griffin-Lim can rebuild', () => {
    const sr = 16000;
    const x = Float32Array.from({ length: 4096 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sr) * Math.exp(-i / 3000));
    const opts = { nFft: 256, hop: 64 };
    const mag = magnitude(stft(x, opts));
    // Drop the Nyquist bin like the reference does and normalise with the item's own min/max.
    const bins = mag.bins - 1;
    const db = amplitudeToDb(mag.data.subarray(0, bins * mag.frames), { ref: 1, topDb: 80 });
    const min = Math.min(...db);
    const max = Math.max(...db);
    const x01 = db.map((v) => (v - min) / (max - min));
    const back = denormalise(x01, { min, max });
    back.forEach((v, i) => expect(v).toBeCloseTo(db[i]!, 3));
    const m = dbToMagnitude(back, bins, mag.frames, opts.nFft);
    expect(m.bins).toBe(mag.bins);
    expect(m.data[bins * mag.frames]).toBe(0); // restored Nyquist row
    const [audio] = invertMagnitudes([m], opts, x.length);
    expect(audio!.length).toBe(x.length);
    expect(spectralConvergence(magnitude(stft(audio!, opts)), mag)).toBeLessThan(-15);
  });

  it('takes the prior range from the mean per-item min and max, and explains when it is missing', () => {
    expect(priorRange({ minMean: -70, maxMean: 10 })).toEqual({ min: -70, max: 10 });
    expect(() => priorRange(undefined, 'runs/x/best')).toThrow(/runs\/x\/best: no dataset statistics/);
  });

  it('rejects a bin count that does not fit the FFT size', () => {
    expect(() => dbToMagnitude(new Float32Array(100 * 2), 100, 2, 512)).toThrow(/100 bins/);
  });

  it('limits peaks locally, with a gain that ramps instead of jumping', () => {
    const sr = 8000;
    const x = Float32Array.from({ length: sr }, (_, i) => 0.5 * Math.sin(i / 5));
    x[4000] = 1.6;
    const y = limitPeaks(x, sr, { ceiling: 0.99, attack: 0.005, release: 0.05 });
    expect(Math.max(...y.map(Math.abs))).toBeLessThanOrEqual(0.99 + 1e-6);
    // far from the peak the signal keeps its level (a single gain would have scaled it by 0.99 / 1.6)
    expect(y[1000]).toBe(x[1000]);
    expect(y[7000]).toBe(x[7000]);
    // the gain falls within 40 samples (5 ms) before the peak and rises within 400 after it, one step at a time
    expect(y[4000 - 41]).toBe(x[4000 - 41]);
    expect(y[4000 + 401]).toBe(x[4000 + 401]);
    for (let i = 3900; i < 4500; i++) {
      const g0 = x[i] === 0 ? 1 : y[i]! / x[i]!;
      const g1 = x[i + 1] === 0 ? 1 : y[i + 1]! / x[i + 1]!;
      expect(Math.abs(g1 - g0), `gain step at ${i}`).toBeLessThanOrEqual(1 / 40 + 1e-6);
    }
    const quiet = Float32Array.of(0.1, -0.3);
    expect(limitPeaks(quiet, sr)).toBe(quiet);
  });

  it('scales clipping audio down and leaves quiet audio alone', () => {
    expect(Math.max(...preventClipping(Float32Array.of(0.2, -2, 1)).map(Math.abs))).toBeCloseTo(0.99);
    const quiet = Float32Array.of(0.1, -0.3);
    expect(preventClipping(quiet)).toBe(quiet);
  });
});

describe('latent arithmetic', () => {
  it('samples the prior with the right spread, repeatably', () => {
    const z = samplePrior(200, 64, 0.5, 3);
    const all = z.flatMap((v) => [...v]);
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    const sd = Math.sqrt(all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(sd).toBeGreaterThan(0.47);
    expect(sd).toBeLessThan(0.53);
    expect(samplePrior(2, 8, 1, 3)).toEqual(samplePrior(2, 8, 1, 3));
    expect(samplePrior(2, 8, 1, 4)).not.toEqual(samplePrior(2, 8, 1, 3));
  });

  it('interpolates from a to b; slerp keeps the norm where lerp sags', () => {
    const [a, b] = samplePrior(2, 128, 1, 9) as [Float32Array, Float32Array];
    const path = interpolatePath(a, b, 5, 'spherical');
    expect(path).toHaveLength(5);
    path[0]!.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 5));
    path[4]!.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    const mid = slerp(a, b, 0.5);
    const midLinear = lerp(a, b, 0.5);
    const expected = (norm(a) + norm(b)) / 2;
    expect(Math.abs(norm(mid) - expected) / expected).toBeLessThan(0.05);
    expect(norm(midLinear)).toBeLessThan(0.85 * expected); // near-orthogonal Gaussian vectors: about 1/sqrt(2)
    expect(interpolatePath(a, b, 3, 'linear')[1]).toEqual(midLinear);
  });
});
