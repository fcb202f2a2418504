import { describe, expect, it } from 'vitest';
import { createFft } from './fft.ts';
import { frameCount, istft, magnitude, stft } from './stft.ts';
import { hann } from './window.ts';

/** A deterministic test signal: two tones, a chirp and a little pseudo-noise. */
function signal(length: number): Float32Array {
  const x = new Float32Array(length);
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    x[i] = 0.5 * Math.sin(0.03 * i) + 0.3 * Math.sin(0.0004 * i * i) + 0.1 * (seed / 2147483648 - 0.5);
  }
  return x;
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('hann', () => {
  it('periodic and symmetric forms', () => {
    expect(Array.from(hann(4))).toEqual([0, 0.5, 1, 0.5].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(hann(5, false))).toEqual([0, 0.5, 1, 0.5, 0].map((v) => expect.closeTo(v, 12)));
  });
});

describe('createFft', () => {
  it.each([8, 12, 15, 64])('matches a direct DFT for size %i', (n) => {
    const input = new Float64Array(2 * n).map((_, i) => Math.sin(i * 1.7) + (i % 3));
    const out = new Float64Array(2 * n);
    createFft(n).transform(out, input);
    for (let k = 0; k < n; k++) {
      let re = 0,
        im = 0;
      for (let j = 0; j < n; j++) {
        const a = (-2 * Math.PI * k * j) / n;
        re += input[2 * j]! * Math.cos(a) - input[2 * j + 1]! * Math.sin(a);
        im += input[2 * j]! * Math.sin(a) + input[2 * j + 1]! * Math.cos(a);
      }
      expect(out[2 * k]).toBeCloseTo(re, 8);
      expect(out[2 * k + 1]).toBeCloseTo(im, 8);
    }
  });
});

describe('stft', () => {
  it.each([64, 63, 48])('matches a direct windowed DFT of reflect-padded, centred frames (nFft %i)', (nFft) => {
    const x = signal(300);
    const hop = 16;
    const X = stft(x, { nFft, hop });
    expect(X.frames).toBe(frameCount(300, { nFft, hop }));
    expect(X.frames).toBe(1 + Math.floor(300 / hop));
    expect(X.bins).toBe(Math.floor(nFft / 2) + 1);
    const w = hann(nFft);
    const at = (i: number) => x[i < 0 ? -i : i >= x.length ? 2 * (x.length - 1) - i : i]!;
    for (const t of [0, 1, 9, X.frames - 1]) {
      for (const k of [0, 1, 7, 12, Math.floor(nFft / 2)]) {
        let re = 0,
          im = 0;
        for (let n = 0; n < nFft; n++) {
          const v = w[n]! * at(t * hop + n - Math.floor(nFft / 2));
          re += v * Math.cos((2 * Math.PI * k * n) / nFft);
          im -= v * Math.sin((2 * Math.PI * k * n) / nFft);
        }
        expect(X.re[k * X.frames + t]).toBeCloseTo(re, 4);
        expect(X.im[k * X.frames + t]).toBeCloseTo(im, 4);
      }
    }
  });

  it('constant padding puts zeros around the signal', () => {
    const x = new Float32Array(100).fill(1);
    const X = stft(x, { nFft: 32, hop: 8, padMode: 'constant' });
    const Y = stft(x, { nFft: 32, hop: 8 });
    // first frame: half the window sees zeros with constant padding, ones with reflection
    expect(X.re[0]).toBeCloseTo(8.5, 5); // w[16..31] of a periodic Hann of 32: 1 + 15/2
    expect(Y.re[0]).toBeCloseTo(16, 5);
  });

  it('magnitude is |X|', () => {
    const X = stft(signal(200), { nFft: 32, hop: 8 });
    const S = magnitude(X);
    for (const i of [0, 5, 77, S.data.length - 1]) expect(S.data[i]).toBeCloseTo(Math.hypot(X.re[i]!, X.im[i]!), 6);
  });
});

describe('istft', () => {
  it.each([
    { nFft: 512, hop: 128 },
    { nFft: 512, hop: 256 },
    { nFft: 256, hop: 64, winLength: 200 },
    { nFft: 400, hop: 100 },
    { nFft: 63, hop: 16 },
    { nFft: 512, hop: 128, center: false },
    { nFft: 128, hop: 32, padMode: 'constant' as const },
  ])('round-trips %o to 1e-5 relative', (o) => {
    const x = signal(4000);
    const X = stft(x, o);
    const center = o.center ?? true;
    const length = center ? x.length : o.nFft + o.hop * (X.frames - 1);
    const y = istft(X, { ...o, length });
    expect(y.length).toBe(length);
    // without centring, the first and last samples sit under a zero window and cannot come back
    const edge = center ? 0 : o.nFft;
    expect(relError(y.subarray(edge, length - edge), x.subarray(edge, length - edge))).toBeLessThan(1e-5);
  });

  it('skips silent frames without changing the result', () => {
    const x = signal(4000);
    x.fill(0, 1000, 3000);
    const o = { nFft: 256, hop: 64 };
    const X = stft(x, o);
    const mid = Math.round(2000 / 64);
    for (let k = 0; k < X.bins; k++) expect(X.re[k * X.frames + mid]).toBe(0);
    expect(X.re[5 * X.frames + 2]).not.toBe(0);
    expect(relError(istft(X, { ...o, length: x.length }), x)).toBeLessThan(1e-5);
  });

  it('defaults to the length the frames span and zero-fills a longer one', () => {
    const x = signal(1000);
    const X = stft(x, { nFft: 64, hop: 16 });
    expect(istft(X, { nFft: 64, hop: 16 }).length).toBe(16 * (X.frames - 1));
    const y = istft(X, { nFft: 64, hop: 16, length: 1100 });
    expect(y.length).toBe(1100);
    expect(y[1090]).toBe(0);
  });
});
