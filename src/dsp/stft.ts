/**
 * Short-time Fourier transform and its inverse, with torch.stft / torch.istft conventions (which librosa shares
 * for these defaults):
 * - frame t covers padded samples `[t*hop, t*hop + nFft)`; with `center` (default) the signal is padded by
 *   `floor(nFft/2)` on both sides first, so frame t is centred on sample `t*hop`; frames = `1 + floor(L / hop)`;
 * - `X[k, t] = sum_n w[n] x[t*hop + n] e^{-2 pi i k n / nFft}`: unnormalised, phase relative to the frame start,
 *   one-sided (`bins = floor(nFft/2) + 1`), periodic Hann window zero-padded in the centre to nFft;
 * - the inverse is the weighted overlap-add `y = sum_t w * irfft(X_t) / sum_t w^2` (Griffin & Lim 1984), dividing
 *   only where the window sum exceeds 1e-11; imaginary parts of the DC and Nyquist bins are ignored, as irfft does.
 * Reflect padding mirrors without repeating the edge sample (numpy 'reflect'), and keeps mirroring for signals
 * shorter than the pad, where torch would refuse.
 *
 * Internally an `StftPlan` keeps frame-major Float32 spectra and Float64 signal buffers, and computes each real
 * frame of an even nFft with one complex FFT of half the size (odd nFft: two real frames share one complex FFT),
 * so Griffin-Lim can call it hundreds of times without allocating.
 */
import type { Samples } from '../units.ts';
import { createFft, type ComplexFft } from './fft.ts';
import type { ComplexSpectrogram, Spectrogram, StftOptions } from './types.ts';
import { frameWindow } from './window.ts';

/** Defaults of the optional STFT settings (torch.stft's). */
export const DEFAULT_STFT = {
  window: 'hann',
  center: true,
  padMode: 'reflect',
} as const satisfies Partial<StftOptions>;

/** STFT settings with every default filled in and checked. */
export type ResolvedStftOptions = Required<StftOptions> & { bins: number };

/** The window sum below which ISTFT leaves samples unnormalised (torch's check value). */
const WINDOW_SUM_FLOOR = 1e-11;

/**
 * Fills defaults and validates STFT settings.
 * @throws RangeError when nFft, hop or winLength are not positive integers or winLength > nFft.
 */
export function resolveStftOptions(options: StftOptions): ResolvedStftOptions {
  const { nFft, hop } = options;
  if (!Number.isInteger(nFft) || nFft < 1) throw new RangeError(`nFft must be a positive integer, got ${nFft}`);
  if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`hop must be a positive integer, got ${hop}`);
  const winLength = options.winLength ?? nFft;
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft) {
    throw new RangeError(`winLength must be an integer in 1..nFft (${nFft}), got ${winLength}`);
  }
  return {
    nFft,
    hop,
    winLength,
    window: options.window ?? DEFAULT_STFT.window,
    center: options.center ?? DEFAULT_STFT.center,
    padMode: options.padMode ?? DEFAULT_STFT.padMode,
    bins: Math.floor(nFft / 2) + 1,
  };
}

/**
 * Number of STFT frames for a signal of `length` samples.
 * @example frameCount(16317, { nFft: 512, hop: 128 }) // 128
 */
export function frameCount(length: Samples, options: StftOptions): number {
  const o = resolveStftOptions(options);
  if (o.center) return 1 + Math.floor(length / o.hop);
  if (length < o.nFft) throw new RangeError(`signal of ${length} samples is shorter than nFft ${o.nFft}`);
  return 1 + Math.floor((length - o.nFft) / o.hop);
}

/** Index into a signal of `length` samples mirrored about its ends without repeating them (numpy 'reflect'). */
function reflectIndex(i: number, length: number): number {
  if (length === 1) return 0;
  const period = 2 * (length - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < length ? j : period - j;
}

/**
 * A reusable STFT/ISTFT engine for a fixed setting, frame count and signal length. Spectra are frame-major
 * (`re[frame * bins + bin]`), signals live in a padded buffer of `paddedLength` samples whose interior
 * `[offset, offset + length)` is the signal.
 */
export class StftPlan {
  readonly options: ResolvedStftOptions;
  readonly bins: number;
  readonly frames: number;
  /** Signal length (what ISTFT returns). */
  readonly length: number;
  /** Samples of centre padding before the signal. */
  readonly offset: number;
  readonly paddedLength: number;
  readonly window: Float64Array;
  private readonly synthesisWindow: Float64Array; // window / nFft, folding irfft's scale in
  /** 1 / (sum of squared windows) per padded sample, 1 where the sum vanishes: ISTFT's normalisation. */
  readonly invWindowSum: Float64Array;
  /** The centre padding: padded index `padTarget[j]` copies index `padSource[j]` (-1: zero). */
  readonly padSource: Int32Array;
  readonly padTarget: Int32Array;
  private readonly sourceIndex: Int32Array; // padded index -> the interior index it copies (-1: zero)
  private readonly fft: ComplexFft;
  /** Even nFft: each real frame is one complex FFT of half the size (fields below); odd: two frames per FFT. */
  private readonly halfSize: boolean;
  private readonly halfFft: ComplexFft | undefined;
  private readonly halfWindow: Float64Array; // window * 2 / nFft: irfft's scale for the half-size path
  private readonly twiddle: Float64Array; // e^{-2 pi i k / nFft} for k <= nFft / 4, interleaved
  private readonly zIn: Float64Array;
  private readonly zOut: Float64Array;

  /**
   * @param options STFT settings.
   * @param frames number of frames.
   * @param length signal length; default what the frames span (`hop * (frames - 1)` when centred).
   */
  constructor(options: StftOptions, frames: number, length?: Samples) {
    const o = (this.options = resolveStftOptions(options));
    const { nFft, hop } = o;
    this.bins = o.bins;
    this.frames = frames;
    this.offset = o.center ? Math.floor(nFft / 2) : 0;
    const span = nFft + hop * (frames - 1);
    this.length = length ?? span - 2 * this.offset;
    if (!(frames >= 1) || !Number.isInteger(frames)) throw new RangeError(`frames must be a positive integer, got ${frames}`);
    if (!Number.isInteger(this.length) || this.length < 1) throw new RangeError(`signal length must be >= 1, got ${this.length}`);
    this.paddedLength = Math.max(span, this.length + 2 * this.offset);
    this.window = frameWindow(o.window, o.winLength, nFft);
    this.synthesisWindow = this.window.map((v) => v / nFft);
    const sum = new Float64Array(this.paddedLength);
    for (let t = 0; t < frames; t++) {
      for (let n = 0; n < nFft; n++) sum[t * hop + n]! += this.window[n]! * this.window[n]!;
    }
    this.invWindowSum = sum.map((v) => (v > WINDOW_SUM_FLOOR ? 1 / v : 1));
    const targets: number[] = [];
    const sources: number[] = [];
    for (let i = 0; i < this.paddedLength; i++) {
      const s = i - this.offset;
      if (s >= 0 && s < this.length) continue;
      targets.push(i);
      const inPad = s < this.length + this.offset; // beyond the right pad only zeros remain
      sources.push(o.padMode === 'reflect' && inPad ? this.offset + reflectIndex(s, this.length) : -1);
    }
    this.padTarget = Int32Array.from(targets);
    this.padSource = Int32Array.from(sources);
    this.sourceIndex = Int32Array.from({ length: this.paddedLength }, (_, i) => i);
    targets.forEach((t, j) => (this.sourceIndex[t] = sources[j]!));
    this.fft = createFft(nFft);
    this.zIn = new Float64Array(2 * nFft);
    this.zOut = new Float64Array(2 * nFft);
    this.halfSize = nFft % 2 === 0 && nFft >= 4;
    const m = nFft / 2;
    this.halfFft = this.halfSize ? createFft(m) : undefined;
    this.halfWindow = this.window.map((v) => v / m);
    this.twiddle = new Float64Array(2 * (Math.floor(m / 2) + 1));
    for (let k = 0; k <= m / 2; k++) {
      this.twiddle[2 * k] = Math.cos((-2 * Math.PI * k) / nFft);
      this.twiddle[2 * k + 1] = Math.sin((-2 * Math.PI * k) / nFft);
    }
  }

  /** Copies `signal` (any length; cut or zero-filled to `length`) into `padded` and fills the padding. */
  load(signal: ArrayLike<number>, padded: Float64Array): void {
    padded.fill(0);
    const n = Math.min(signal.length, this.length);
    for (let i = 0; i < n; i++) padded[this.offset + i] = signal[i]!;
    this.refreshPadding(padded);
  }

  /** Re-fills the centre padding of `padded` from its interior (after the interior changed). */
  refreshPadding(padded: Float64Array): void {
    const { padTarget, padSource } = this;
    for (let j = 0; j < padTarget.length; j++) {
      const s = padSource[j]!;
      padded[padTarget[j]!] = s < 0 ? 0 : padded[s]!;
    }
  }

  /** The signal part of a padded buffer, as Float32. */
  extract(padded: Float64Array): Float32Array {
    return Float32Array.from(padded.subarray(this.offset, this.offset + this.length));
  }

  /**
   * STFT of frames t and t+1 (when it exists) of a padded buffer into `re`, `im` (frame t at [0, bins), frame
   * t+1 at [bins, 2 bins)): two real frames share one complex FFT. Returns how many frames it wrote.
   */
  analyzePair(padded: Float64Array, t: number, re: Float64Array, im: Float64Array): number {
    const { frames, bins, window: w, zIn, zOut, fft } = this;
    const { nFft: N, hop } = this.options;
    const a = t * hop;
    const pair = t + 1 < frames;
    if (isSilent(padded, a, a + (pair ? hop : 0) + N)) {
      // digital silence (padding, gaps) costs no FFT
      re.fill(0, 0, pair ? 2 * bins : bins);
      im.fill(0, 0, pair ? 2 * bins : bins);
      return pair ? 2 : 1;
    }
    if (this.halfSize) {
      this.analyzeHalf(padded, a, re, im, 0);
      if (pair) this.analyzeHalf(padded, a + hop, re, im, bins);
      return pair ? 2 : 1;
    }
    if (pair) {
      const b = a + hop;
      for (let n = 0, m = 0; n < N; n++, m += 2) {
        const wn = w[n]!;
        zIn[m] = wn * padded[a + n]!;
        zIn[m + 1] = wn * padded[b + n]!;
      }
      fft.transform(zOut, zIn);
      // X1 = (Z[k] + conj Z[N-k]) / 2, X2 = (Z[k] - conj Z[N-k]) / 2i
      re[0] = zOut[0]!;
      im[0] = 0;
      re[bins] = zOut[1]!;
      im[bins] = 0;
      for (let k = 1, j = 2 * (N - 1); k < bins; k++, j -= 2) {
        const zr = zOut[2 * k]!,
          zi = zOut[2 * k + 1]!;
        const cr = zOut[j]!,
          ci = zOut[j + 1]!;
        re[k] = 0.5 * (zr + cr);
        im[k] = 0.5 * (zi - ci);
        re[bins + k] = 0.5 * (zi + ci);
        im[bins + k] = 0.5 * (cr - zr);
      }
      return 2;
    }
    for (let n = 0, m = 0; n < N; n++, m += 2) {
      zIn[m] = w[n]! * padded[a + n]!;
      zIn[m + 1] = 0;
    }
    fft.transform(zOut, zIn);
    for (let k = 0; k < bins; k++) {
      re[k] = zOut[2 * k]!;
      im[k] = zOut[2 * k + 1]!;
    }
    return 1;
  }

  /** STFT of a padded buffer into frame-major `re`, `im` (frames * bins each). */
  analyze(padded: Float64Array, re: Float32Array, im: Float32Array): void {
    const { frames, bins } = this;
    const pr = new Float64Array(2 * bins),
      pi = new Float64Array(2 * bins);
    for (let t = 0; t < frames; t += 2) {
      const n = this.analyzePair(padded, t, pr, pi) * bins;
      re.set(n === pr.length ? pr : pr.subarray(0, n), t * bins);
      im.set(n === pi.length ? pi : pi.subarray(0, n), t * bins);
    }
  }

  /**
   * Inverse STFT of frame-major `re`, `im` into `padded` by weighted overlap-add, normalised by the window sum;
   * the padding is then refilled so `analyze(padded)` is the STFT of the signal.
   */
  synthesize(re: Float32Array, im: Float32Array, padded: Float64Array): void {
    padded.fill(0);
    this.overlapAdd(re, im, padded, 0, this.frames);
    const { invWindowSum } = this;
    const end = this.offset + this.length;
    for (let i = this.offset; i < end; i++) padded[i]! *= invWindowSum[i]!;
    this.refreshPadding(padded);
  }

  /**
   * Adds the windowed inverse FFTs of frames [t0, t1) into `out` at their positions (no normalisation).
   * t0 must be even so that frames pair up as in `analyzePair`.
   */
  overlapAdd(re: Float32Array, im: Float32Array, out: Float64Array, t0: number, t1: number): void {
    const { bins, synthesisWindow: w, zIn, zOut, fft } = this;
    const { nFft: N, hop } = this.options;
    const half = Math.ceil(N / 2); // bins 1..half-1 have a mirror partner; N/2 is Nyquist when N is even
    const nyquist = N % 2 === 0 && N > 1;
    const padded = out;
    for (let t = t0; t < t1; t += 2) {
      const a = t * hop;
      const o1 = t * bins;
      const count = t + 1 < t1 ? 2 * bins : bins;
      if (isSilent(re, o1, o1 + count) && isSilent(im, o1, o1 + count)) continue; // adds nothing
      if (this.halfSize) {
        this.synthesizeHalf(re, im, o1, padded, a);
        if (t + 1 < t1) this.synthesizeHalf(re, im, o1 + bins, padded, a + hop);
        continue;
      }
      if (t + 1 < t1) {
        // Z = X1 + i X2 over the full circle, stored re/im-swapped so a forward FFT computes N * ifft;
        // imaginary parts of DC and Nyquist are dropped, as irfft does
        const o2 = o1 + bins;
        zIn[0] = re[o2]!;
        zIn[1] = re[o1]!;
        for (let k = 1, j = 2 * (N - 1); k < half; k++, j -= 2) {
          const r1 = re[o1 + k]!,
            i1 = im[o1 + k]!;
          const r2 = re[o2 + k]!,
            i2 = im[o2 + k]!;
          zIn[2 * k] = i1 + r2;
          zIn[2 * k + 1] = r1 - i2;
          zIn[j] = r2 - i1;
          zIn[j + 1] = r1 + i2;
        }
        if (nyquist) {
          zIn[N] = re[o2 + half]!;
          zIn[N + 1] = re[o1 + half]!;
        }
        fft.transform(zOut, zIn);
        const b = a + hop;
        for (let n = 0, m = 0; n < N; n++, m += 2) {
          const wn = w[n]!;
          padded[a + n]! += wn * zOut[m + 1]!;
          padded[b + n]! += wn * zOut[m]!;
        }
      } else {
        zIn[0] = 0;
        zIn[1] = re[o1]!;
        for (let k = 1, j = 2 * (N - 1); k < half; k++, j -= 2) {
          const r1 = re[o1 + k]!,
            i1 = im[o1 + k]!;
          zIn[2 * k] = i1;
          zIn[2 * k + 1] = r1;
          zIn[j] = -i1;
          zIn[j + 1] = r1;
        }
        if (nyquist) {
          zIn[N] = 0;
          zIn[N + 1] = re[o1 + half]!;
        }
        fft.transform(zOut, zIn);
        for (let n = 0, m = 1; n < N; n++, m += 2) padded[a + n]! += w[n]! * zOut[m]!;
      }
    }
  }

  /**
   * One real frame (padded samples from `a`) to bins `o .. o + nFft/2` of re/im, through a complex FFT of size
   * M = nFft/2: z[n] = x[2n] + i x[2n+1]; with E, O the DFTs of the even and odd samples,
   * X[k] = E[k] + W^k O[k] and X[M-k] = conj(E[k] - W^k O[k]), W = e^{-2 pi i / nFft}.
   */
  private analyzeHalf(padded: Float64Array, a: number, re: Float64Array, im: Float64Array, o: number): void {
    const { window: w, zIn, zOut, twiddle: tw } = this;
    const m = this.options.nFft / 2;
    for (let n = 0; n < 2 * m; n++) zIn[n] = w[n]! * padded[a + n]!;
    this.halfFft!.transform(zOut, zIn);
    re[o] = zOut[0]! + zOut[1]!;
    im[o] = 0;
    re[o + m] = zOut[0]! - zOut[1]!;
    im[o + m] = 0;
    for (let k = 1, j = 2 * (m - 1); 2 * k <= m; k++, j -= 2) {
      const ar = zOut[2 * k]!,
        ai = zOut[2 * k + 1]!;
      const cr = zOut[j]!,
        ci = zOut[j + 1]!;
      const er = 0.5 * (ar + cr),
        ei = 0.5 * (ai - ci);
      const or = 0.5 * (ai + ci),
        oi = 0.5 * (cr - ar);
      const wr = tw[2 * k]!,
        wi = tw[2 * k + 1]!;
      const tr = wr * or - wi * oi,
        ti = wr * oi + wi * or;
      re[o + k] = er + tr;
      im[o + k] = ei + ti;
      re[o + m - k] = er - tr;
      im[o + m - k] = ti - ei;
    }
  }

  /**
   * The inverse of `analyzeHalf`, overlap-added with the synthesis window at `a`: Z[k] = E[k] + i O[k] with
   * E = (X[k] + conj X[M-k]) / 2, O = (X[k] - conj X[M-k]) conj(W^k) / 2, then z = ifft_M(Z) holds the even
   * samples in its real part and the odd ones in its imaginary part. Imaginary parts of DC and Nyquist are
   * dropped, as irfft does.
   */
  private synthesizeHalf(re: Float32Array, im: Float32Array, o: number, out: Float64Array, a: number): void {
    const { halfWindow: w, zIn, zOut, twiddle: tw } = this;
    const m = this.options.nFft / 2;
    // stored re/im-swapped, so a forward FFT computes M * ifft
    const r0 = re[o]!,
      rm = re[o + m]!;
    zIn[0] = 0.5 * (r0 - rm);
    zIn[1] = 0.5 * (r0 + rm);
    for (let k = 1, j = 2 * (m - 1); 2 * k <= m; k++, j -= 2) {
      const xr = re[o + k]!,
        xi = im[o + k]!;
      const yr = re[o + m - k]!,
        yi = im[o + m - k]!;
      const er = 0.5 * (xr + yr),
        ei = 0.5 * (xi - yi);
      const dr = xr - yr,
        di = xi + yi;
      const wr = tw[2 * k]!,
        wi = tw[2 * k + 1]!;
      const or = 0.5 * (dr * wr + di * wi),
        oi = 0.5 * (di * wr - dr * wi);
      zIn[2 * k] = ei + or;
      zIn[2 * k + 1] = er - oi;
      zIn[j] = or - ei;
      zIn[j + 1] = er + oi;
    }
    this.halfFft!.transform(zOut, zIn);
    for (let n = 0; n < 2 * m; n += 2) {
      out[a + n]! += w[n]! * zOut[n + 1]!;
      out[a + n + 1]! += w[n + 1]! * zOut[n]!;
    }
  }

  /** Padded sample range [start, end) covered by frames [t0, t1). */
  span(t0: number, t1: number): [number, number] {
    return [t0 * this.options.hop, (t1 - 1) * this.options.hop + this.options.nFft];
  }

  /**
   * Samples [start, end) of the padded, normalised signal whose un-normalised overlap-add is split across
   * `parts` (summed): what `synthesize` computes, for one range, from several threads' partial sums.
   */
  assemble(parts: Float64Array[], padded: Float64Array, start: number, end: number): void {
    const { sourceIndex, invWindowSum } = this;
    const [a, b] = parts as [Float64Array, Float64Array | undefined];
    for (let i = start; i < end; i++) {
      const s = sourceIndex[i]!;
      padded[i] = s < 0 ? 0 : (a[s]! + (b ? b[s]! : 0)) * invWindowSum[s]!;
    }
    for (let p = 2; p < parts.length; p++) {
      const c = parts[p]!;
      for (let i = start; i < end; i++) {
        const s = sourceIndex[i]!;
        if (s >= 0) padded[i]! += c[s]! * invWindowSum[s]!;
      }
    }
  }
}

/** True when `values[start, end)` are all exactly zero (stops at the first that is not). */
function isSilent(values: Float32Array | Float64Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (values[i] !== 0) return false;
  return true;
}

/** Frame-major (frames x bins) to bin-major (bins x frames). */
export function toBinMajor(src: ArrayLike<number>, bins: number, frames: number): Float32Array {
  const out = new Float32Array(bins * frames);
  for (let t = 0; t < frames; t++) for (let k = 0; k < bins; k++) out[k * frames + t] = src[t * bins + k]!;
  return out;
}

/** Bin-major (bins x frames) to frame-major (frames x bins). */
export function toFrameMajor(src: ArrayLike<number>, bins: number, frames: number, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(bins * frames);
  for (let k = 0; k < bins; k++) for (let t = 0; t < frames; t++) dst[t * bins + k] = src[k * frames + t]!;
  return dst;
}

/**
 * Short-time Fourier transform (torch.stft with `return_complex=True`, librosa.stft with pad_mode 'reflect').
 * @param signal mono samples.
 * @param options nFft, hop; winLength (default nFft), window 'hann' (periodic), center true, padMode 'reflect'.
 * @returns bins x frames, bin-major.
 * @example const X = stft(x, { nFft: 512, hop: 128 }); // X.bins = 257, X.frames = 1 + floor(x.length / 128)
 */
export function stft(signal: ArrayLike<number>, options: StftOptions): ComplexSpectrogram {
  const frames = frameCount(signal.length, options);
  const plan = new StftPlan(options, frames, signal.length);
  const padded = new Float64Array(plan.paddedLength);
  plan.load(signal, padded);
  const re = new Float32Array(frames * plan.bins);
  const im = new Float32Array(frames * plan.bins);
  plan.analyze(padded, re, im);
  return { bins: plan.bins, frames, re: toBinMajor(re, plan.bins, frames), im: toBinMajor(im, plan.bins, frames) };
}

/**
 * Inverse STFT by weighted overlap-add (torch.istft, librosa.istft).
 * @param spec bins x frames, bins must be `floor(nFft/2) + 1`.
 * @param options the STFT settings used for the forward transform, plus `length`: the output length (default
 *   what the frames span, `hop * (frames - 1)` when centred); longer outputs end in zeros.
 * @example const y = istft(stft(x, o), { ...o, length: x.length }); // y ≈ x for COLA settings
 */
export function istft(spec: ComplexSpectrogram, options: StftOptions & { length?: Samples }): Float32Array {
  const plan = new StftPlan(options, spec.frames, options.length);
  if (spec.bins !== plan.bins) throw new RangeError(`spectrogram has ${spec.bins} bins, nFft ${options.nFft} needs ${plan.bins}`);
  const padded = new Float64Array(plan.paddedLength);
  plan.synthesize(toFrameMajor(spec.re, spec.bins, spec.frames), toFrameMajor(spec.im, spec.bins, spec.frames), padded);
  return plan.extract(padded);
}

/**
 * Magnitude `|X|` of a complex spectrogram.
 * @example const S = magnitude(stft(x, { nFft: 512, hop: 128 }));
 */
export function magnitude(spec: ComplexSpectrogram): Spectrogram {
  const data = new Float32Array(spec.re.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.hypot(spec.re[i]!, spec.im[i]!);
  return { bins: spec.bins, frames: spec.frames, data };
}
