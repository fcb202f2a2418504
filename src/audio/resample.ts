/**
 * Band-limited resampling with a Kaiser-windowed sinc filter, in polyphase form.
 *
 * For a rational ratio `to / from = up / down` (after dividing by their gcd; 8000 -> 22050 is
 * 441 / 160) every output sample falls on one of `up` fractional positions between input samples,
 * so the filter taps for each position are computed once and cached. The low-pass cutoff is the
 * lower of the two Nyquist frequencies times `rolloff`, which is what removes aliasing when
 * downsampling and imaging when upsampling. Same design as torchaudio's `sinc_interp_kaiser` and
 * librosa/resampy's `kaiser_best` / `kaiser_fast`.
 */
import type { Hertz, Samples } from '../units.ts';
import { wasmResampleTable } from './resample-wasm.ts';

/** One resampling filter design. */
export interface ResampleFilter {
  /** Zero crossings of the sinc kept on each side of the centre (filter half-length, in output-or-input periods). */
  zeros: number;
  /** Cutoff as a fraction of the lower Nyquist frequency (below 1 leaves room for the transition band). */
  rolloff: number;
  /** Kaiser window shape: larger means lower side lobes (stronger stop band) and a wider transition. */
  beta: number;
  /** Window over the sinc. Default 'kaiser'; 'hann' reproduces torchaudio's default `sinc_interp_hann`. */
  window?: 'kaiser' | 'hann';
}

/**
 * Named filter designs. `best` and `fast` are resampy's `kaiser_best` / `kaiser_fast`;
 * `default` sits between them (stop band below -95 dB, -6 dB point at 0.9 of the lower Nyquist)
 * at under half the cost of `best`; `torchaudio` is `torchaudio.functional.resample`'s default
 * (Hann window, 6 zero crossings, rolloff 0.99: wide pass band, weak stop band), for parity with
 * pipelines built on it.
 */
export const RESAMPLE_QUALITIES = {
  best: { zeros: 64, rolloff: 0.9475937167399596, beta: 14.769656459379492 },
  default: { zeros: 24, rolloff: 0.9, beta: 9 },
  fast: { zeros: 16, rolloff: 0.85, beta: 8.555504641634386 },
  torchaudio: { zeros: 6, rolloff: 0.99, beta: 0, window: 'hann' },
} as const satisfies Record<string, ResampleFilter>;

export type ResampleQuality = keyof typeof RESAMPLE_QUALITIES;

export interface ResampleOptions {
  /** A named design or an explicit filter. Default 'default'. */
  quality: ResampleQuality | ResampleFilter;
  /**
   * Ratios whose reduced numerator exceeds this get taps computed per output sample instead of a
   * table (a table would hold `up x taps` numbers). Default 4096.
   */
  maxPhases: number;
  /**
   * Which loop runs the table path: 'auto' (default) the WebAssembly SIMD kernel where WebAssembly has SIMD,
   * else the TypeScript loop; 'js' always the TypeScript loop (as GriffinLim's option). Both give bit-identical
   * results.
   */
  kernel?: 'auto' | 'js';
}

export const DEFAULT_RESAMPLE: ResampleOptions = { quality: 'default', maxPhases: 4096 };

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for beta < 30). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

/** A polyphase table: `taps` coefficients for each of `up` phases, phase-major. */
interface Polyphase {
  up: number;
  down: number;
  /** Taps per phase (= 2 * half). */
  taps: number;
  /** Input samples on each side of the output position. */
  half: number;
  table: Float32Array;
}

/** Filter design resolved for one ratio. */
function design(up: number, down: number, filter: ResampleFilter) {
  // Cutoff in cycles per input sample, relative to the input Nyquist (1 = input Nyquist).
  const cutoff = Math.min(1, up / down) * filter.rolloff;
  // The window spans `zeros` zero crossings of the sinc on each side, i.e. zeros / cutoff input samples.
  const half = Math.ceil(filter.zeros / cutoff);
  const i0Beta = besselI0(filter.beta);
  const hann = filter.window === 'hann';
  /** The impulse response at `tau` input samples from the output position. */
  const h = (tau: number): number => {
    const x = (tau * cutoff) / filter.zeros;
    if (x < -1 || x > 1) return 0;
    const w = hann ? Math.cos((Math.PI * x) / 2) ** 2 : besselI0(filter.beta * Math.sqrt(1 - x * x)) / i0Beta;
    const a = Math.PI * cutoff * tau;
    return cutoff * (a === 0 ? 1 : Math.sin(a) / a) * w;
  };
  return { half, h };
}

const tableCache = new Map<string, Polyphase>();

function polyphase(up: number, down: number, filter: ResampleFilter): Polyphase {
  const key = `${up}/${down}/${filter.zeros}/${filter.rolloff}/${filter.beta}/${filter.window ?? 'kaiser'}`;
  const cached = tableCache.get(key);
  if (cached) return cached;
  const { half, h } = design(up, down, filter);
  const taps = 2 * half;
  const table = new Float32Array(up * taps);
  for (let p = 0; p < up; p++) {
    const frac = p / up;
    // Tap j multiplies input sample (i0 - half + 1 + j); its distance from the output position.
    for (let j = 0; j < taps; j++) table[p * taps + j] = h(j - half + 1 - frac);
  }
  const result = { up, down, taps, half, table };
  if (tableCache.size > 32) tableCache.clear();
  tableCache.set(key, result);
  return result;
}

/** Output length for `n` input samples: `ceil(n * to / from)`, as librosa and torchaudio do. */
export function resampledLength(n: number, from: Hertz, to: Hertz): number {
  return Math.ceil((n * to) / from - 1e-9);
}

/** The reduced ratio and filter for a pair of rates. */
function plan(from: Hertz, to: Hertz, options: Partial<ResampleOptions>) {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from > 0 && to > 0)) {
    throw new RangeError(`resample: sample rates must be positive integers (got ${from} -> ${to})`);
  }
  const opts = { ...DEFAULT_RESAMPLE, ...options };
  const filter = typeof opts.quality === 'string' ? RESAMPLE_QUALITIES[opts.quality] : opts.quality;
  const g = gcd(from, to);
  return { up: to / g, down: from / g, filter, maxPhases: opts.maxPhases, kernel: opts.kernel ?? 'auto' };
}

/**
 * The input samples an output sample depends on, on each side of its position: outputs near a cut
 * need this much context. (`zeros` zero crossings of a sinc whose cutoff is the lower Nyquist x rolloff.)
 */
export function resampleReach(from: Hertz, to: Hertz, options: Partial<ResampleOptions> = {}): Samples {
  const { up, down, filter } = plan(from, to, options);
  return design(up, down, filter).half;
}

/**
 * The input range `[start, end)` that outputs `[outStart, outStart + outCount)` of a resampling
 * read (before clamping to the signal), for reading a long file block by block.
 */
export function resampleInputRange(
  outStart: Samples,
  outCount: Samples,
  from: Hertz,
  to: Hertz,
  options: Partial<ResampleOptions> = {},
): { start: Samples; end: Samples } {
  const { up, down } = plan(from, to, options);
  const half = resampleReach(from, to, options);
  const last = outStart + Math.max(1, outCount) - 1;
  return { start: Math.floor((outStart * down) / up) - half + 1, end: Math.floor((last * down) / up) + half + 1 };
}

/**
 * Resamples one channel from `from` Hz to `to` Hz with a band-limited (anti-aliased) filter.
 * Returns the input itself when the rates are equal. Rates must be positive integers.
 *
 * @param samples input channel
 * @param from input sample rate in Hz
 * @param to output sample rate in Hz
 * @param options filter quality (default 'default': 24 zero crossings, rolloff 0.9, Kaiser beta 9)
 * @example
 * const y = resample(x, 8000, 22050); // y.length === Math.ceil(x.length * 22050 / 8000)
 */
export function resample(samples: Float32Array, from: Hertz, to: Hertz, options: Partial<ResampleOptions> = {}): Float32Array {
  plan(from, to, options); // validates the rates
  if (from === to) return samples;
  return resampleSegment(samples, 0, from, to, 0, resampledLength(samples.length, from, to), options);
}

/**
 * Output samples `[outStart, outStart + outCount)` of resampling a long signal of which only
 * `segment` is in memory, starting at input sample `segmentStart` (samples outside it count as
 * zero). Given the input range from `resampleInputRange` (clamped to the signal), the result equals
 * the same stretch of `resample` on the whole signal, so a long file can be resampled block by block.
 *
 * @example
 * const { start, end } = resampleInputRange(k0, 22050, 44100, 22050);
 * const part = resampleSegment(read(Math.max(0, start), end), Math.max(0, start), 44100, 22050, k0, 22050);
 */
export function resampleSegment(
  segment: Float32Array,
  segmentStart: Samples,
  from: Hertz,
  to: Hertz,
  outStart: Samples,
  outCount: Samples,
  options: Partial<ResampleOptions> = {},
): Float32Array {
  const { up, down, filter, maxPhases, kernel } = plan(from, to, options);
  if (up > maxPhases) return resampleDirect(segment, segmentStart, up, down, outStart, outCount, filter);

  const { taps, half, table } = polyphase(up, down, filter);
  const step = Math.floor(down / up);
  const stepRem = down % up;
  // Output k sits at input position k * down / up = i0 + p / up (i0 relative to the segment).
  let i0 = Math.floor((outStart * down) / up) - segmentStart;
  let p = (outStart * down) % up;
  if (kernel === 'auto' && outCount > 0) {
    const fast = wasmResampleTable(segment, table, taps, half, up, step, stepRem, i0, p, outCount);
    if (fast) return fast;
  }
  // The TypeScript loop (where WebAssembly has no SIMD): the kernel in src/dsp/wasm/resample.c mirrors it
  // operation for operation, so the two give the same bits.
  const out = new Float32Array(outCount);
  const samples = segment;
  const n = samples.length;
  for (let k = 0; k < outCount; k++) {
    const start = i0 - half + 1;
    const base = p * taps;
    let acc = 0;
    if (start >= 0 && start + taps <= n) {
      // Four partial sums (taps is even): fewer loop-carried dependencies, about twice as fast in V8.
      let a1 = 0,
        a2 = 0,
        a3 = 0;
      let si = start;
      let ti = base;
      const tEnd = base + taps - 3;
      for (; ti < tEnd; ti += 4, si += 4) {
        acc += samples[si]! * table[ti]!;
        a1 += samples[si + 1]! * table[ti + 1]!;
        a2 += samples[si + 2]! * table[ti + 2]!;
        a3 += samples[si + 3]! * table[ti + 3]!;
      }
      for (; ti < base + taps; ti++, si++) acc += samples[si]! * table[ti]!;
      acc += a1 + a2 + a3;
    } else {
      // Near the edges: samples outside the segment are zero.
      const jLo = Math.max(0, -start);
      const jHi = Math.min(taps, n - start);
      for (let j = jLo; j < jHi; j++) acc += samples[start + j]! * table[base + j]!;
    }
    out[k] = acc;
    i0 += step;
    p += stepRem;
    if (p >= up) {
      p -= up;
      i0 += 1;
    }
  }
  return out;
}

/** The same filter with taps computed per output sample, for ratios with a huge numerator (44100 -> 44101). */
function resampleDirect(
  samples: Float32Array,
  segmentStart: Samples,
  up: number,
  down: number,
  outStart: Samples,
  outCount: Samples,
  filter: ResampleFilter,
): Float32Array {
  const { half, h } = design(up, down, filter);
  const out = new Float32Array(outCount);
  const n = samples.length;
  for (let k = 0; k < outCount; k++) {
    const absolute = outStart + k;
    const whole = Math.floor((absolute * down) / up);
    const frac = ((absolute * down) % up) / up;
    const i0 = whole - segmentStart;
    let acc = 0;
    for (let i = Math.max(0, i0 - half + 1); i <= Math.min(n - 1, i0 + half); i++) acc += samples[i]! * h(i - i0 - frac);
    out[k] = acc;
  }
  return out;
}

/** Resamples every channel of a multichannel signal. */
export function resampleChannels(channels: Float32Array[], from: Hertz, to: Hertz, options: Partial<ResampleOptions> = {}): Float32Array[] {
  return channels.map((c) => resample(c, from, to, options));
}
