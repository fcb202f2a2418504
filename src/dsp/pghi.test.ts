import { describe, expect, it } from 'vitest';
import { wasmPghiSupported } from './pghi-wasm.ts';
import { DEFAULT_PGHI, pghi, pghiFrameMajor, type PghiOptions } from './pghi.ts';
import { magnitude, resolveStftOptions, stft, toFrameMajor } from './stft.ts';
import type { StftOptions } from './types.ts';

/** A chirp with a little noise, and optionally stretches of exact silence (disconnected loud regions). */
function signal(length: number, gaps = false, rate = 8000): Float32Array {
  let seed = 11;
  return new Float32Array(length).map((_, i) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    if (gaps && Math.floor(i / 1500) % 2 === 1) return 0;
    const t = i / rate;
    return 0.5 * Math.sin(2 * Math.PI * (150 * t + 3000 * t * t)) + 0.02 * (seed / 2 ** 32 - 0.5);
  });
}

/** Frame-major magnitude of x. */
function frameMajor(x: Float32Array, o: StftOptions): { mag: Float32Array; frames: number } {
  const S = magnitude(stft(x, o));
  return { mag: toFrameMajor(S.data, S.bins, S.frames), frames: S.frames };
}

/** Phases from both loops. */
function both(mag: Float32Array, frames: number, o: StftOptions, options: PghiOptions = {}): { js: Float64Array; wasm: Float64Array } {
  const size = frames * resolveStftOptions(o).bins;
  const js = new Float64Array(size);
  const wasm = new Float64Array(size);
  pghiFrameMajor(mag, frames, o, js, { ...options, kernel: 'js' });
  pghiFrameMajor(mag, frames, o, wasm, { ...options, kernel: 'wasm' });
  return { js, wasm };
}

/** Bit-for-bit comparison (NaN, -0 included), reporting the first difference. */
function expectSameBits(a: Float64Array, b: Float64Array): void {
  expect(b.length).toBe(a.length);
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  const first = x.findIndex((v, i) => v !== y[i]);
  expect(first === -1 ? 'identical' : `first difference at ${first}: ${a[first]} vs ${b[first]}`).toBe('identical');
}

/** Connected regions (4-neighbour) of bins above tolerance x the peak: the heap passes PGHI needs at least. */
function regions(mag: Float32Array, frames: number, bins: number, tolerance: number): number {
  const floor = Math.max(...mag) * tolerance * (1 + 1e-9);
  const seen = new Uint8Array(mag.length);
  let count = 0;
  for (let s = 0; s < mag.length; s++) {
    if (seen[s] || mag[s]! <= floor) continue;
    count++;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const i = stack.pop()!;
      const t = Math.floor(i / bins),
        k = i % bins;
      for (const j of [t + 1 < frames ? i + bins : -1, t > 0 ? i - bins : -1, k + 1 < bins ? i + 1 : -1, k > 0 ? i - 1 : -1]) {
        if (j >= 0 && !seen[j] && mag[j]! > floor) (seen[j] = 1), stack.push(j);
      }
    }
  }
  return count;
}

describe.runIf(wasmPghiSupported())('the PGHI WebAssembly kernel', () => {
  const settings: [string, StftOptions][] = [];
  for (const nFft of [512, 256, 64, 2048]) {
    for (const hop of [nFft / 4, nFft / 2]) settings.push([`nFft ${nFft}, hop ${hop}`, { nFft, hop }]);
  }
  settings.push(['nFft 512, hop 128, winLength 400', { nFft: 512, hop: 128, winLength: 400 }]);
  settings.push(['nFft 256, hop 50, winLength 201', { nFft: 256, hop: 50, winLength: 201 }]);

  for (const [name, o] of settings) {
    it(`gives the TypeScript loop's phases bit for bit (${name})`, () => {
      const { mag, frames } = frameMajor(signal(6000), o);
      const { js, wasm } = both(mag, frames, o);
      expectSameBits(js, wasm);
      // nearly every bin is loud here: its phase is integrated, the same whatever the seed of the random ones
      const other = both(mag, frames, o, { seed: 99 }).wasm;
      expect(other.filter((p, i) => p !== js[i]).length).toBeLessThan(js.length / 20);
    });

    it(`does so with several heap passes and quiet bins (${name})`, () => {
      const { mag, frames } = frameMajor(signal(9000, true), o);
      for (const options of [{}, { tolerance: 1e-2, seed: 7 }, { tolerance: 0.3, seed: 3 }]) {
        const { js, wasm } = both(mag, frames, o, options);
        expectSameBits(js, wasm);
      }
    });
  }

  it('does so when the loud bins form several regions, one heap pass each', () => {
    // exact silence between bursts, longer than a frame, cuts the spectrogram into separate loud regions
    for (const [o, tolerance] of [
      [{ nFft: 256, hop: 64 }, 1e-5],
      [{ nFft: 512, hop: 128 }, 1e-3],
    ] as const) {
      const { mag, frames } = frameMajor(signal(9000, true), o);
      expect(regions(mag, frames, resolveStftOptions(o).bins, tolerance)).toBeGreaterThanOrEqual(3);
      const { js, wasm } = both(mag, frames, o, { tolerance });
      expectSameBits(js, wasm);
    }
  });

  it('does so on tiny inputs of 1 to 3 frames and on silence', () => {
    const o = { nFft: 64, hop: 16 };
    for (const frames of [1, 2, 3]) {
      const { mag } = frameMajor(signal(64 * 4), o);
      const cut = mag.slice(0, frames * 33);
      for (const options of [{}, { tolerance: 0.5, seed: 9 }]) {
        const { js, wasm } = both(cut, frames, o, options);
        expectSameBits(js, wasm);
      }
    }
    const silent = new Float32Array(20 * 33);
    const { js, wasm } = both(silent, 20, o, { seed: 4 });
    expectSameBits(js, wasm);
    expect(new Set(js).size).toBeGreaterThan(600); // random phases everywhere
  });

  it('does so with odd nFft and a single bin', () => {
    let seed = 5;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (const [o, frames] of [
      [{ nFft: 63, hop: 16, winLength: 50 }, 17],
      [{ nFft: 1, hop: 1 }, 40],
      [{ nFft: 2, hop: 1 }, 1],
    ] as const) {
      const bins = resolveStftOptions(o).bins;
      const mag = new Float32Array(frames * bins).map(() => rand() ** 4);
      const { js, wasm } = both(mag, frames, o, { tolerance: 0.01 });
      expectSameBits(js, wasm);
    }
  });

  it('does so, without trapping, when a magnitude is NaN', () => {
    const o = { nFft: 64, hop: 16 };
    const { mag, frames } = frameMajor(signal(2000), o);
    mag[100] = NaN;
    const { js, wasm } = both(mag, frames, o);
    expectSameBits(js, wasm);
  });

  it('is unaffected by earlier calls of other sizes (buffers reused, memory grown)', () => {
    const small = { nFft: 64, hop: 16 };
    const large = { nFft: 2048, hop: 256 };
    const a = frameMajor(signal(3000, true), small);
    const b = frameMajor(signal(40000), large);
    const first = both(a.mag, a.frames, small).js;
    both(b.mag, b.frames, large);
    const again = both(a.mag, a.frames, small);
    expectSameBits(first, again.wasm);
    expectSameBits(first, again.js);
  });

  it("is what pghi and the default 'auto' use", () => {
    const o = { nFft: 256, hop: 64 };
    const x = signal(5000);
    const S = magnitude(stft(x, o));
    const { mag, frames } = frameMajor(x, o);
    const { js } = both(mag, frames, o);
    const auto = new Float64Array(js.length);
    pghiFrameMajor(mag, frames, o, auto);
    expectSameBits(js, auto);
    expect(Array.from(pghi(S, o))).toEqual(Array.from(pghi(S, o, { kernel: 'js' })));
    expect(DEFAULT_PGHI.kernel).toBe('auto');
  });
});
