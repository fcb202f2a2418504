import { describe, expect, it } from 'vitest';
import { resample, resampleInputRange, resampledLength, resampleSegment, type ResampleOptions } from './resample.ts';
import { wasmResampleSupported, wasmResampleTable } from './resample-wasm.ts';

/** Deterministic white-ish noise in [-1, 1) (xorshift). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 31 - 1;
  });
}

const typescript: Partial<ResampleOptions> = { kernel: 'js' };

/** Index of the first difference in bits (NaN-safe, -0 != +0), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

const RATES = [
  [8000, 22050],
  [44100, 22050],
  [48000, 16000],
  [22050, 8000],
  [16000, 22050],
  [44100, 48000],
] as const;

describe('the WebAssembly resampling kernel', () => {
  it('runs here (Node has WebAssembly SIMD)', () => {
    expect(wasmResampleSupported()).toBe(true);
  });

  for (const [from, to] of RATES) {
    it(`gives the TypeScript loop's bits, ${from} -> ${to}`, () => {
      const x = noise(5000, from + to);
      for (const quality of ['default', 'torchaudio', 'best'] as const) {
        const n = resampledLength(x.length, from, to);
        const wasm = resampleSegment(x, 0, from, to, 0, n, { quality });
        const ts = resampleSegment(x, 0, from, to, 0, n, { quality, ...typescript });
        expect(firstDifference(wasm, ts), quality).toBe(-1);
        expect(firstDifference(resample(x, from, to, { quality }), ts)).toBe(-1);
        // Segment offsets, windows over either edge and past the end, tiny segments.
        for (const [segmentStart, length, outStart, outCount] of [
          [1234, 1500, 3000, 2000],
          [0, 700, 0, 3000],
          [-50, 300, 0, 400],
          [4000, 1000, 0, 50],
          [17, 1, 0, 200],
          [3, 2, 0, 100],
          [100, 3, 0, 2000],
          [0, 5000, 777, 1],
          [0, 5000, 778, 2],
          [0, 5000, 779, 3],
          [200, 2000, n - 10, 10],
          [0, 0, 0, 5],
        ] as const) {
          const seg = x.subarray(Math.max(0, segmentStart), Math.max(0, segmentStart) + length);
          const args = [seg, segmentStart, from, to, outStart, outCount] as const;
          const a = resampleSegment(...args, { quality });
          const b = resampleSegment(...args, { quality, ...typescript });
          expect(firstDifference(a, b), `${quality} ${segmentStart} ${length} ${outStart} ${outCount}`).toBe(-1);
        }
      }
    });

    it(`joins blocks into exactly the whole-signal result, ${from} -> ${to}`, () => {
      const x = noise(6000, 7 * from);
      const whole = resample(x, from, to);
      for (const block of [1, 2, 3, 97, 1000, 4093]) {
        const parts = new Float32Array(whole.length);
        for (let k0 = 0; k0 < whole.length; k0 += block) {
          const count = Math.min(block, whole.length - k0);
          const { start, end } = resampleInputRange(k0, count, from, to);
          const s = Math.max(0, start);
          parts.set(resampleSegment(x.subarray(s, Math.min(x.length, end)), s, from, to, k0, count), k0);
        }
        expect(firstDifference(parts, whole), `block ${block}`).toBe(-1);
      }
    });
  }

  it('splits long calls into chunks with the same result', () => {
    // 44100 -> 22050 over 600 000 samples: more than one chunk of kernel input.
    const x = noise(600_000, 3);
    const wasm = resample(x, 44100, 22050);
    expect(firstDifference(wasm, resample(x, 44100, 22050, typescript))).toBe(-1);
    const up = resample(x.subarray(0, 300_000), 8000, 22050);
    expect(firstDifference(up, resample(x.subarray(0, 300_000), 8000, 22050, typescript))).toBe(-1);
  });

  it('leaves huge-numerator ratios to the direct path (16000 -> 16001)', () => {
    const x = noise(3000, 5);
    // The direct path computes taps per output in float64: the kernel is not used, so both options agree.
    const a = resample(x, 16000, 16001);
    const b = resample(x, 16000, 16001, typescript);
    expect(firstDifference(a, b)).toBe(-1);
    expect(a.length).toBe(3001);
  });

  it('keeps the result of interleaved calls with different tables', () => {
    const x = noise(4000, 11);
    const expected = RATES.map(([from, to]) => resample(x, from, to, typescript));
    for (let round = 0; round < 2; round++) {
      RATES.forEach(([from, to], i) => expect(firstDifference(resample(x, from, to), expected[i]!)).toBe(-1));
    }
  });

  it('falls back when positions exceed 32-bit integers', () => {
    const table = new Float32Array(8);
    expect(wasmResampleTable(new Float32Array(4), table, 4, 2, 1, 1, 0, 2 ** 40, 0, 3)).toBeNull();
  });
});
