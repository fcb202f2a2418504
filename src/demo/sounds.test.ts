import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_OPTIONS, DEMO_FAMILIES, makeDemoSounds } from './catalogue.ts';
import { bell, chirp, makeRng, pluck } from './sounds.ts';

/** Frequency of the strongest DFT bin between lo and hi Hz (a slow scan: test sizes only). */
function peakFrequency(x: Float32Array, rate: number, lo: number, hi: number): number {
  let best = 0;
  let bestF = 0;
  for (let f = lo; f <= hi; f += 2) {
    let re = 0;
    let im = 0;
    const w = (2 * Math.PI * f) / rate;
    for (let i = 0; i < x.length; i++) {
      re += x[i]! * Math.cos(w * i);
      im -= x[i]! * Math.sin(w * i);
    }
    const p = re * re + im * im;
    if (p > best) [best, bestF] = [p, f];
  }
  return bestF;
}

describe('demo sounds', () => {
  const base = { sampleRate: 8000, duration: 0.25 };

  it('a Karplus-Strong pluck sounds at its pitch and decays', () => {
    const x = pluck({ ...base, frequency: 200 }, makeRng(3));
    expect(Math.abs(peakFrequency(x, 8000, 100, 400) - 200)).toBeLessThanOrEqual(8);
    const energy = (a: number, b: number) => x.subarray(a, b).reduce((s, v) => s + v * v, 0);
    expect(energy(1500, 2000), 'the last quarter should be quieter than the first').toBeLessThan(energy(0, 500));
  });

  it('a bell has its strike tone as the strongest partial near its frequency', () => {
    const x = bell({ ...base, frequency: 500 });
    expect(Math.abs(peakFrequency(x, 8000, 400, 700) - 500)).toBeLessThanOrEqual(6);
  });

  it('sounds are finite, peak-normalised and deterministic for a seed', () => {
    const a = makeDemoSounds({ count: 10, sampleRate: 8000, duration: 0.2, seed: 7 });
    const b = makeDemoSounds({ count: 10, sampleRate: 8000, duration: 0.2, seed: 7 });
    expect(a.map((s) => s.label)).toEqual([...DEMO_FAMILIES, ...DEMO_FAMILIES]);
    for (let i = 0; i < a.length; i++) {
      expect(a[i]!.samples).toEqual(b[i]!.samples);
      const peak = a[i]!.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(peak, `${a[i]!.name} peak`).toBeCloseTo(0.8, 5);
    }
  });

  it('the default catalogue holds no two identical sounds (duplicates would leak across the split)', () => {
    const sounds = makeDemoSounds({ ...DEFAULT_DEMO_OPTIONS, duration: 0.05 });
    const seen = new Map<string, string>();
    for (const s of sounds) {
      const key = Buffer.from(s.samples.buffer, s.samples.byteOffset, s.samples.byteLength).toString('base64');
      expect(seen.get(key), `${s.name} repeats`).toBeUndefined();
      seen.set(key, s.name);
    }
    expect(seen.size).toBe(DEFAULT_DEMO_OPTIONS.count);
  });

  it('a chirp moves from its start to its end frequency', () => {
    const x = chirp({ ...base, frequency: 300 }, 1200);
    const rate = 8000;
    const head = x.subarray(200, 600);
    const tail = x.subarray(x.length - 800, x.length - 400);
    // Mid-window instantaneous frequencies: 300 * 4^0.2 = 396 Hz and 300 * 4^0.7 = 788 Hz.
    expect(Math.abs(peakFrequency(head, rate, 200, 1500) - 396)).toBeLessThan(40);
    expect(Math.abs(peakFrequency(tail, rate, 200, 1500) - 788)).toBeLessThan(60);
  });
});
