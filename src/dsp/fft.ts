/**
 * Complex FFTs of any size on interleaved `[re0, im0, re1, im1, ...]` Float64Arrays.
 * Powers of two use fft.js (radix-4); other sizes use Bluestein's chirp-z algorithm on top of it, so every
 * n_fft works, just more slowly. Both compute the unnormalised forward DFT `X[k] = sum x[n] e^{-2 pi i k n / N}`.
 */
import FFT from 'fft.js';

/** A forward complex DFT of a fixed size on interleaved buffers of length 2 * size. */
export interface ComplexFft {
  readonly size: number;
  /** out <- DFT(input); the two buffers must differ. */
  transform(out: Float64Array, input: Float64Array): void;
}

/** True for 2, 4, 8, ... (what fft.js accepts). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

class Radix4Fft implements ComplexFft {
  private readonly fft: FFT;
  constructor(readonly size: number) {
    this.fft = new FFT(size);
  }
  transform(out: Float64Array, input: Float64Array): void {
    this.fft.transform(out, input);
  }
}

/** Bluestein: a length-N DFT as a circular convolution of length M = 2^k >= 2N - 1. */
class BluesteinFft implements ComplexFft {
  private readonly inner: Radix4Fft;
  private readonly chirp: Float64Array; // b[n] = e^{i pi n^2 / N}, interleaved
  private readonly chirpSpectrum: Float64Array; // FFT of b extended circularly, already divided by M
  private readonly a: Float64Array;
  private readonly c: Float64Array;
  constructor(readonly size: number) {
    const n = size;
    let m = 2;
    while (m < 2 * n - 1) m *= 2;
    this.inner = new Radix4Fft(m);
    this.chirp = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      // n^2 mod 2N keeps the angle small and exact for large n
      const angle = (Math.PI * ((i * i) % (2 * n))) / n;
      this.chirp[2 * i] = Math.cos(angle);
      this.chirp[2 * i + 1] = Math.sin(angle);
    }
    const b = new Float64Array(2 * m);
    for (let i = 0; i < n; i++) {
      b[2 * i] = this.chirp[2 * i]!;
      b[2 * i + 1] = this.chirp[2 * i + 1]!;
      if (i > 0) {
        b[2 * (m - i)] = this.chirp[2 * i]!;
        b[2 * (m - i) + 1] = this.chirp[2 * i + 1]!;
      }
    }
    this.chirpSpectrum = new Float64Array(2 * m);
    this.inner.transform(this.chirpSpectrum, b);
    for (let i = 0; i < 2 * m; i++) this.chirpSpectrum[i]! /= m;
    this.a = new Float64Array(2 * m);
    this.c = new Float64Array(2 * m);
  }
  transform(out: Float64Array, input: Float64Array): void {
    const { size: n, chirp, a, c, chirpSpectrum: bs } = this;
    const m = this.inner.size;
    a.fill(0);
    for (let i = 0; i < n; i++) {
      // a = x * conj(b)
      const xr = input[2 * i]!,
        xi = input[2 * i + 1]!;
      const br = chirp[2 * i]!,
        bi = chirp[2 * i + 1]!;
      a[2 * i] = xr * br + xi * bi;
      a[2 * i + 1] = xi * br - xr * bi;
    }
    this.inner.transform(c, a);
    // multiply by B and conjugate, so a forward FFT then gives the conjugated inverse
    for (let i = 0; i < m; i++) {
      const cr = c[2 * i]!,
        ci = c[2 * i + 1]!;
      const br = bs[2 * i]!,
        bi = bs[2 * i + 1]!;
      a[2 * i] = cr * br - ci * bi;
      a[2 * i + 1] = -(cr * bi + ci * br);
    }
    this.inner.transform(c, a);
    for (let k = 0; k < n; k++) {
      // conv = conj(c); X = conj(b) * conv
      const vr = c[2 * k]!,
        vi = -c[2 * k + 1]!;
      const br = chirp[2 * k]!,
        bi = chirp[2 * k + 1]!;
      out[2 * k] = vr * br + vi * bi;
      out[2 * k + 1] = vi * br - vr * bi;
    }
  }
}

/** A complex FFT of the given size (>= 1): radix-4 for powers of two, Bluestein otherwise. */
export function createFft(size: number): ComplexFft {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer, got ${size}`);
  if (size === 1) return { size, transform: (out, input) => out.set(input.subarray(0, 2)) };
  return isPowerOfTwo(size) ? new Radix4Fft(size) : new BluesteinFft(size);
}
