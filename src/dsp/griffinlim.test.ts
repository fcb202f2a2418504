import { describe, expect, it } from 'vitest';
import { GriffinLim, griffinLim, griffinLimBatch } from './griffinlim.ts';
import { signalSpectralConvergence } from './metrics.ts';
import { pghi } from './pghi.ts';
import { magnitude, stft } from './stft.ts';

/** A chirp with a little noise: 0.5 s at 8 kHz, small enough for quick tests. */
function chirp(length = 4000, rate = 8000): Float32Array {
  let seed = 3;
  return new Float32Array(length).map((_, i) => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    const t = i / rate;
    return 0.5 * Math.sin(2 * Math.PI * (100 * t + 4000 * t * t)) + 0.02 * (seed / 4294967296 - 0.5);
  });
}

const o = { nFft: 256, hop: 64 };

describe('griffinLim', () => {
  const x = chirp();
  const S = magnitude(stft(x, o));

  it('improves spectral convergence over the iterations and reports it truthfully', () => {
    const r = griffinLim(S, { ...o, iterations: 30, length: x.length, trace: true });
    expect(r.audio.length).toBe(x.length);
    expect(r.history!.length).toBe(30);
    expect(r.history![29]!).toBeLessThan(r.history![0]! - 6);
    expect(r.spectralConvergence).toBeLessThan(-15);
    // the reported figure is the output's own |STFT| against the target, as an outside scorer would compute it
    expect(r.spectralConvergence).toBeCloseTo(signalSpectralConvergence(r.audio, x, o), 3);
  });

  it('momentum converges faster than plain Griffin-Lim', () => {
    const fast = griffinLim(S, { ...o, iterations: 20, length: x.length });
    const plain = griffinLim(S, { ...o, iterations: 20, length: x.length, momentum: 0 });
    expect(fast.spectralConvergence).toBeLessThan(plain.spectralConvergence);
  });

  it('is reproducible with a seed and varies without one', () => {
    const a = griffinLim(S, { ...o, iterations: 3, seed: 5 });
    const b = griffinLim(S, { ...o, iterations: 3, seed: 5 });
    const c = griffinLim(S, { ...o, iterations: 3, seed: 6 });
    expect(Array.from(a.audio)).toEqual(Array.from(b.audio));
    expect(Array.from(a.audio)).not.toEqual(Array.from(c.audio));
  });

  it('PGHI starts far closer than a random phase and stays ahead at equal iterations', () => {
    for (const iterations of [0, 8]) {
      const random = griffinLim(S, { ...o, iterations, length: x.length, init: 'random' });
      const heap = griffinLim(S, { ...o, iterations, length: x.length, init: 'pghi' });
      expect(heap.spectralConvergence).toBeLessThan(random.spectralConvergence - 5);
    }
  });

  it('the true phase as the given initial phase rebuilds the signal', () => {
    const X = stft(x, o);
    const phase = new Float32Array(X.re.length).map((_, i) => Math.atan2(X.im[i]!, X.re[i]!));
    const r = griffinLim(S, { ...o, iterations: 0, init: phase, length: x.length });
    expect(r.spectralConvergence).toBeLessThan(-60);
    expect(pghi(S, o).length).toBe(S.data.length);
  });

  it('handles silence and tiny inputs without NaN', () => {
    const silent = magnitude(stft(new Float32Array(500), o));
    const r = griffinLim(silent, { ...o, iterations: 3, length: 500, init: 'pghi' });
    expect(r.spectralConvergence).toBe(-Infinity);
    expect(r.audio.every((v) => v === 0)).toBe(true);
    const one = griffinLim(magnitude(stft(Float32Array.of(0.5), o)), { ...o, iterations: 3, length: 1 });
    expect(one.audio.length).toBe(1);
    expect(Number.isFinite(one.audio[0])).toBe(true);
  });

  it('batches clips of different sizes with one engine, and rejects bad settings', () => {
    const y = chirp(1000);
    const results = griffinLimBatch([S, magnitude(stft(y, o)), S], { ...o, iterations: 5 }, [x.length, y.length, x.length]);
    expect(results.map((r) => r.audio.length)).toEqual([x.length, y.length, x.length]);
    expect(results[0]!.spectralConvergence).toBe(results[2]!.spectralConvergence);
    expect(() => new GriffinLim().run(S, { ...o, momentum: 1 })).toThrow(/momentum/);
    expect(() => new GriffinLim().run(S, { nFft: 512, hop: 64 })).toThrow(/bins/);
  });
});

describe('the WebAssembly Griffin-Lim kernel', () => {
  /** Root-mean-square difference of two signals relative to the first's RMS. */
  function relativeDiff(a: Float32Array, b: Float32Array): number {
    let d = 0,
      n = 0;
    for (let i = 0; i < a.length; i++) {
      d += (a[i]! - b[i]!) ** 2;
      n += a[i]! ** 2;
    }
    return Math.sqrt(d / n);
  }

  it('follows the TypeScript loop step by step (frame counts not a multiple of four, odd settings)', () => {
    const x = chirp(3990);
    for (const settings of [
      { nFft: 256, hop: 64 }, // 63 frames: the last quad has one phantom frame
      { nFft: 256, hop: 100, winLength: 200 },
      { nFft: 64, hop: 16, center: false },
      { nFft: 8, hop: 2 },
      { nFft: 32, hop: 40 }, // frames that do not overlap: gaps stay unnormalised zeros
    ]) {
      const S = magnitude(stft(x, settings));
      for (const iterations of [0, 1, 10]) {
        const base = { ...settings, iterations, length: x.length, trace: true };
        const js = griffinLim(S, { ...base, kernel: 'js' });
        const wasm = griffinLim(S, { ...base, kernel: 'wasm' });
        const where = `${JSON.stringify(settings)} after ${iterations} iterations`;
        expect(wasm.audio.length, where).toBe(js.audio.length);
        expect(relativeDiff(js.audio, wasm.audio), where).toBeLessThan(iterations === 10 ? 1e-3 : 1e-5);
        expect(wasm.spectralConvergence, where).toBeCloseTo(js.spectralConvergence, 2);
        wasm.history!.forEach((h, i) => expect(h, `${where}, history ${i}`).toBeCloseTo(js.history![i]!, 2));
      }
    }
  });

  it('is used by default where it applies, and refused where it cannot run', () => {
    const x = chirp();
    const S = magnitude(stft(x, o));
    const auto = griffinLim(S, { ...o, iterations: 4 });
    expect(Array.from(auto.audio)).toEqual(Array.from(griffinLim(S, { ...o, iterations: 4, kernel: 'wasm' }).audio));
    expect(Array.from(auto.audio)).not.toEqual(Array.from(griffinLim(S, { ...o, iterations: 4, kernel: 'js' }).audio));
    const odd = { nFft: 200, hop: 50 }; // not a power of two: the TypeScript loop
    const S2 = magnitude(stft(x, odd));
    expect(griffinLim(S2, { ...odd, iterations: 4 }).spectralConvergence).toBeLessThan(-5);
    expect(() => griffinLim(S2, { ...odd, kernel: 'wasm' })).toThrow(/power of two/);
  });
});
