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
 * Internally an `StftPlan` keeps frame-major Float64 buffers and packs two real frames into one complex FFT, so
 * Griffin-Lim can call it hundreds of times without allocating.
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
  private readonly invWindowSum: Float64Array;
  private readonly padSource: Int32Array; // for each pad sample, the padded index it mirrors (-1: zero)
  private readonly padTarget: Int32Array;
  private readonly fft: ComplexFft;
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
    this.fft = createFft(nFft);
    this.zIn = new Float64Array(2 * nFft);
    this.zOut = new Float64Array(2 * nFft);
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

  /** STFT of a padded buffer into frame-major `re`, `im` (frames * bins each). */
  analyze(padded: Float64Array, re: Float64Array, im: Float64Array): void {
    const { frames, bins, window: w, zIn, zOut, fft } = this;
    const { nFft: N, hop } = this.options;
    for (let t = 0; t < frames; t += 2) {
      const a = t * hop;
      const pair = t + 1 < frames;
      const b = pair ? a + hop : a;
      for (let n = 0; n < N; n++) {
        zIn[2 * n] = w[n]! * padded[a + n]!;
        zIn[2 * n + 1] = pair ? w[n]! * padded[b + n]! : 0;
      }
      fft.transform(zOut, zIn);
      // X1 = (Z[k] + conj Z[N-k]) / 2, X2 = (Z[k] - conj Z[N-k]) / 2i
      const o1 = t * bins;
      const o2 = o1 + bins;
      for (let k = 0; k < bins; k++) {
        const j = k === 0 ? 0 : N - k;
        const zr = zOut[2 * k]!, zi = zOut[2 * k + 1]!;
        const cr = zOut[2 * j]!, ci = zOut[2 * j + 1]!;
        re[o1 + k] = 0.5 * (zr + cr);
        im[o1 + k] = 0.5 * (zi - ci);
        if (pair) {
          re[o2 + k] = 0.5 * (zi + ci);
          im[o2 + k] = 0.5 * (cr - zr);
        }
      }
    }
  }

  /**
   * Inverse STFT of frame-major `re`, `im` into `padded` by weighted overlap-add, normalised by the window sum;
   * the padding is then refilled so `analyze(padded)` is the STFT of the signal.
   */
  synthesize(re: Float64Array, im: Float64Array, padded: Float64Array): void {
    const { frames, bins, synthesisWindow: w, zIn, zOut, fft, invWindowSum } = this;
    const { nFft: N, hop } = this.options;
    const half = Math.ceil(N / 2); // bins 1..half-1 have a mirror partner; N/2 is Nyquist when N is even
    padded.fill(0);
    for (let t = 0; t < frames; t += 2) {
      const pair = t + 1 < frames;
      const o1 = t * bins;
      const o2 = o1 + bins;
      // Z = X1 + i X2 over the full circle, stored re/im-swapped so a forward FFT computes N * ifft
      const dc2 = pair ? re[o2]! : 0;
      zIn[0] = dc2;
      zIn[1] = re[o1]!;
      for (let k = 1; k < half; k++) {
        const r1 = re[o1 + k]!, i1 = im[o1 + k]!;
        const r2 = pair ? re[o2 + k]! : 0, i2 = pair ? im[o2 + k]! : 0;
        zIn[2 * k] = i1 + r2;
        zIn[2 * k + 1] = r1 - i2;
        const j = N - k;
        zIn[2 * j] = r2 - i1;
        zIn[2 * j + 1] = r1 + i2;
      }
      if (N % 2 === 0 && N > 1) {
        zIn[N] = pair ? re[o2 + half]! : 0;
        zIn[N + 1] = re[o1 + half]!;
      }
      fft.transform(zOut, zIn);
      const a = t * hop;
      for (let n = 0; n < N; n++) padded[a + n]! += w[n]! * zOut[2 * n + 1]!;
      if (pair) {
        const b = a + hop;
        for (let n = 0; n < N; n++) padded[b + n]! += w[n]! * zOut[2 * n]!;
      }
    }
    const end = this.offset + this.length;
    for (let i = this.offset; i < end; i++) padded[i]! *= invWindowSum[i]!;
    this.refreshPadding(padded);
  }
}

/** Frame-major Float64 (frames x bins) to bin-major Float32 (bins x frames). */
export function toBinMajor(src: Float64Array, bins: number, frames: number): Float32Array {
  const out = new Float32Array(bins * frames);
  for (let t = 0; t < frames; t++) for (let k = 0; k < bins; k++) out[k * frames + t] = src[t * bins + k]!;
  return out;
}

/** Bin-major (bins x frames) to frame-major Float64 (frames x bins). */
export function toFrameMajor(src: ArrayLike<number>, bins: number, frames: number, out?: Float64Array): Float64Array {
  const dst = out ?? new Float64Array(bins * frames);
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
  const re = new Float64Array(frames * plan.bins);
  const im = new Float64Array(frames * plan.bins);
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
