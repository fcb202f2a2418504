/**
 * Clean-up for real recordings, as pure functions on mono Float32Array samples: trim silence at
 * the ends, mute the tape click at the start or end, shorten long internal silences, normalise
 * peak or loudness, and split long recordings into fixed-length clips.
 *
 * Levels are measured on short frames (RMS), in dB. Thresholds are relative to the loudest frame
 * by default (librosa's `top_db` convention), so hiss on a quiet tape counts as silence just as
 * digital zeros do on a loud one.
 */
import type { Decibels, Hertz, Ratio, Samples, Seconds } from '../units.ts';

/** How silence is told apart from sound. */
export interface SilenceOptions {
  /** Frames below this level are silent. Default -60 dB (librosa's top_db = 60). */
  thresholdDb: Decibels;
  /** 'peak': threshold relative to the loudest frame; 'fullScale': absolute dBFS. Default 'peak'. */
  relativeTo: 'peak' | 'fullScale';
  /** RMS frame length. Default 0.025 s. */
  frame: Seconds;
  /** Hop between frames. Default 0.01 s. */
  hop: Seconds;
}

export interface TrimOptions extends SilenceOptions {
  /** Sound kept on each side of the detected content, so onsets and decays are not clipped. Default 0.02 s. */
  margin: Seconds;
}

export interface InternalSilenceOptions extends SilenceOptions {
  /** Silences at least this long are shortened; shorter pauses are kept as they are (they are musical). Default 1 s. */
  minSilence: Seconds;
  /** What is left of a shortened silence. Default 0.25 s. */
  keep: Seconds;
  /** Crossfade at each join, to avoid a click. Default 0.005 s. */
  crossfade: Seconds;
}

export interface ClickOptions {
  /** Longest transient treated as a click. Default 0.02 s. */
  maxClick: Seconds;
  /** Stretch after (or before) the click compared with it. Default 0.2 s. */
  context: Seconds;
  /** A click peaks at least this much above the context's peak. Default 12 dB. */
  prominenceDb: Decibels;
  /** Fade applied where the muted click meets the recording. Default 0.002 s. */
  fade: Seconds;
}

export interface LoudnessOptions {
  /** 'rms': RMS level in dBFS; 'lufs': ITU-R BS.1770 integrated loudness (K-weighted, gated). Default 'rms'. */
  method: 'rms' | 'lufs';
  /** Target level (dBFS for rms, LUFS for lufs). Default -20. */
  target: Decibels;
  /** The gain is limited so the peak stays at or below this. Default -1 dBFS. */
  maxPeakDb: Decibels;
}

export interface SplitOptions {
  /** Fraction of a clip shared with the next, in [0, 1). Default 0. */
  overlap: Ratio;
  /** A last clip shorter than the length is zero-padded ('pad') or dropped ('drop'). Default 'pad'. */
  keepShort: 'pad' | 'drop';
}

/** Every clean-up default, in one place. */
export const DEFAULT_CLEANUP = {
  silence: { thresholdDb: -60, relativeTo: 'peak', frame: 0.025, hop: 0.01 } as SilenceOptions,
  trim: { thresholdDb: -60, relativeTo: 'peak', frame: 0.025, hop: 0.01, margin: 0.02 } as TrimOptions,
  internalSilence: {
    thresholdDb: -50,
    relativeTo: 'peak',
    frame: 0.025,
    hop: 0.01,
    minSilence: 1,
    keep: 0.25,
    crossfade: 0.005,
  } as InternalSilenceOptions,
  click: { maxClick: 0.02, context: 0.2, prominenceDb: 12, fade: 0.002 } as ClickOptions,
  loudness: { method: 'rms', target: -20, maxPeakDb: -1 } as LoudnessOptions,
  peak: -1 as Decibels,
  split: { overlap: 0, keepShort: 'pad' } as SplitOptions,
};

/** Frames quieter than this are digital silence (below 24-bit resolution). */
const DIGITAL_SILENCE_DB: Decibels = -150;

const dbToGain = (db: Decibels): Ratio => 10 ** (db / 20);
/** A gain in dB, floored at -240 dB (the frame levels' scale). */
export const gainToDb = (gain: Ratio): Decibels => 20 * Math.log10(Math.max(gain, 1e-12));

/** Largest absolute sample value. */
export function peak(samples: Float32Array): number {
  let p = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i]!);
    if (a > p) p = a;
  }
  return p;
}

/** Root mean square of the samples (0 for none). */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += samples[i]! * samples[i]!;
  return Math.sqrt(s / samples.length);
}

/** RMS and peak level in dB relative to full scale (floored at -200 dB, so silence stays finite). */
export function audioLevels(samples: Float32Array): { rms: Decibels; peak: Decibels } {
  return { rms: 20 * Math.log10(Math.max(rms(samples), 1e-10)), peak: 20 * Math.log10(Math.max(peak(samples), 1e-10)) };
}

/**
 * Frame-wise RMS level in dB (frames of `frame` seconds every `hop` seconds; the last frame may be short).
 * Returns the levels and the frame geometry in samples.
 */
export function frameLevels(
  samples: Float32Array,
  sampleRate: Hertz,
  frame: Seconds = DEFAULT_CLEANUP.silence.frame,
  hop: Seconds = DEFAULT_CLEANUP.silence.hop,
): { levels: Float64Array; frameLength: Samples; hopLength: Samples } {
  const { frameLength, hopLength } = frameGeometry(sampleRate, frame, hop);
  const count = frameCount(samples.length, frameLength, hopLength);
  const levels = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    const start = f * hopLength;
    levels[f] = gainToDb(rms(samples.subarray(start, Math.min(samples.length, start + frameLength))));
  }
  return { levels, frameLength, hopLength };
}

/** Frame length and hop in samples, as `frameLevels` rounds them. */
export function frameGeometry(sampleRate: Hertz, frame: Seconds, hop: Seconds): { frameLength: Samples; hopLength: Samples } {
  return { frameLength: Math.max(1, Math.round(frame * sampleRate)), hopLength: Math.max(1, Math.round(hop * sampleRate)) };
}

/** How many frames `frameLevels` makes of `length` samples (the last may be short). */
export function frameCount(length: Samples, frameLength: Samples, hopLength: Samples): number {
  return length === 0 ? 0 : Math.ceil(Math.max(0, length - frameLength) / hopLength) + 1;
}

/**
 * Per-frame "is sound" flags (1: sound) from frame levels under the silence options (shared with the streaming
 * clean-up). A byte per frame: a 31-hour recording has 11 million frames.
 */
export function loudFrames(levels: Float64Array, opts: Pick<SilenceOptions, 'thresholdDb' | 'relativeTo'>): Uint8Array {
  let loudest = -Infinity;
  for (const l of levels) if (l > loudest) loudest = l;
  const threshold = (opts.relativeTo === 'peak' ? loudest : 0) + opts.thresholdDb;
  const loud = new Uint8Array(levels.length);
  // Digital silence is never sound, whatever the threshold.
  for (let f = 0; f < levels.length; f++) loud[f] = levels[f]! > threshold && levels[f]! > DIGITAL_SILENCE_DB ? 1 : 0;
  return loud;
}

/** Per-frame "is sound" flags under the silence options. */
function soundFrames(samples: Float32Array, sampleRate: Hertz, opts: SilenceOptions) {
  const { levels, frameLength, hopLength } = frameLevels(samples, sampleRate, opts.frame, opts.hop);
  return { loud: loudFrames(levels, opts), frameLength, hopLength };
}

/**
 * Where `trimSilence` cuts a signal of `length` samples, from its frames' sound flags; undefined when none is sound.
 * @param margin sound kept on each side, in samples
 */
export function trimBounds(
  loud: Uint8Array,
  length: Samples,
  frameLength: Samples,
  hopLength: Samples,
  margin: Samples,
): { start: Samples; end: Samples } | undefined {
  const first = loud.indexOf(1);
  if (first < 0) return undefined;
  const last = loud.lastIndexOf(1);
  return { start: Math.max(0, first * hopLength - margin), end: Math.min(length, last * hopLength + frameLength + margin) };
}

/**
 * Trims leading and trailing silence, like `librosa.effects.trim`. All-silent input gives an empty result.
 *
 * @param samples mono samples
 * @param sampleRate their rate
 * @param options threshold (default -60 dB below the loudest frame), frame/hop, margin (default 0.02 s)
 * @returns the trimmed samples (a view, not a copy) and where they start and end in the input
 * @example
 * const { samples: trimmed, start } = trimSilence(x, 22050, { thresholdDb: -40 });
 */
export function trimSilence(
  samples: Float32Array,
  sampleRate: Hertz,
  options: Partial<TrimOptions> = {},
): { samples: Float32Array; start: Samples; end: Samples } {
  const opts = { ...DEFAULT_CLEANUP.trim, ...options };
  const { loud, frameLength, hopLength } = soundFrames(samples, sampleRate, opts);
  const bounds = trimBounds(loud, samples.length, frameLength, hopLength, Math.round(opts.margin * sampleRate));
  if (!bounds) return { samples: samples.subarray(0, 0), start: 0, end: 0 };
  const { start, end } = bounds;
  return { samples: samples.subarray(start, end), start, end };
}

/**
 * Shortens internal silences of at least `minSilence` seconds to `keep` seconds, joining the
 * sound on either side with a short crossfade. Shorter pauses are left alone. Leading and
 * trailing silence are left for `trimSilence`.
 *
 * @param samples mono samples
 * @param sampleRate their rate
 * @param options threshold (default -50 dB below the loudest frame), minSilence (1 s), keep (0.25 s), crossfade (5 ms)
 * @example
 * const tightened = removeSilences(tape, 44100, { minSilence: 2 });
 */
export function removeSilences(samples: Float32Array, sampleRate: Hertz, options: Partial<InternalSilenceOptions> = {}): Float32Array {
  const opts = { ...DEFAULT_CLEANUP.internalSilence, ...options };
  const { loud, frameLength, hopLength } = soundFrames(samples, sampleRate, opts);
  const { cuts, fade } = silenceCuts(loud, frameLength, hopLength, sampleRate, opts);
  if (cuts.length === 0) return samples;
  const removed = cuts.reduce((n, [a, b]) => n + (b - a), 0);
  const out = new Float32Array(samples.length - removed + cuts.length * fade);
  let read = 0;
  let write = 0;
  for (const [cutStart, cutEnd] of cuts) {
    // Copy up to the cut, then crossfade `fade` samples across it.
    out.set(samples.subarray(read, cutStart), write);
    write += cutStart - read;
    for (let i = 0; i < fade; i++) {
      const t = (i + 0.5) / fade;
      out[write + i] = (samples[cutStart + i] ?? 0) * (1 - t) + (samples[cutEnd - fade + i] ?? 0) * t;
    }
    write += fade;
    read = cutEnd;
  }
  out.set(samples.subarray(read), write);
  return out;
}

/**
 * What `removeSilences` cuts, from its frames' sound flags: [start, end) sample ranges in order, and the crossfade
 * length in samples that replaces each (shared with the streaming clean-up).
 */
export function silenceCuts(
  loud: Uint8Array,
  frameLength: Samples,
  hopLength: Samples,
  sampleRate: Hertz,
  opts: Pick<InternalSilenceOptions, 'minSilence' | 'keep' | 'crossfade'>,
): { cuts: [Samples, Samples][]; fade: Samples } {
  const keep = Math.round(opts.keep * sampleRate);
  const fade = Math.max(0, Math.min(Math.round(opts.crossfade * sampleRate), Math.floor(keep / 2)));
  // Silent stretches in samples: from the end of the last loud frame to the start of the next.
  const cuts: [number, number][] = [];
  let lastLoud = -1;
  for (let f = 0; f < loud.length; f++) {
    if (!loud[f]) continue;
    if (lastLoud >= 0) {
      const silenceStart = lastLoud * hopLength + frameLength;
      const silenceEnd = f * hopLength;
      if ((silenceEnd - silenceStart) / sampleRate >= opts.minSilence) {
        // Keep half of `keep` after the sound that ends and half before the sound that starts.
        const cutStart = silenceStart + Math.floor(keep / 2);
        const cutEnd = silenceEnd - Math.ceil(keep / 2);
        if (cutEnd > cutStart) cuts.push([cutStart, cutEnd]);
      }
    }
    lastLoud = f;
  }
  return { cuts, fade };
}

/** Where a click at the start of `x` ends (exclusive), or 0 when there is none (shared with the streaming clean-up). */
export function clickEnd(x: Float32Array, sampleRate: Hertz, opts: ClickOptions): number {
  const clickLength = Math.round(opts.maxClick * sampleRate);
  const contextLength = Math.round(opts.context * sampleRate);
  if (x.length < clickLength + contextLength) return 0;
  const head = x.subarray(0, clickLength);
  const after = x.subarray(clickLength, clickLength + contextLength);
  const headPeak = peak(head);
  const afterPeak = peak(after);
  if (headPeak === 0 || gainToDb(headPeak) - gainToDb(afterPeak) < opts.prominenceDb) return 0;
  // The click extends to the last head sample clearly above what follows.
  const level = Math.max(afterPeak * 2, headPeak * 0.05);
  let end = 0;
  for (let i = 0; i < head.length; i++) if (Math.abs(head[i]!) > level) end = i + 1;
  // Its decay runs on a little below that level: mute a fade's length more.
  return end === 0 ? 0 : Math.min(x.length, end + Math.round(opts.fade * sampleRate));
}

/**
 * Mutes a tape click at the very start and/or end: a short transient (at most `maxClick`) that
 * stands well above the `context` next to it. The muted stretch is faded into the rest; the
 * length is unchanged (trim afterwards). Returns a new array, or the input when there is no click.
 *
 * @param samples mono samples
 * @param sampleRate their rate
 * @param options maxClick (default 20 ms), context (200 ms), prominenceDb (12 dB), fade (2 ms)
 * @example
 * const clean = trimSilence(removeEdgeClicks(tape, 44100), 44100).samples;
 */
export function removeEdgeClicks(samples: Float32Array, sampleRate: Hertz, options: Partial<ClickOptions> = {}): Float32Array {
  const opts = { ...DEFAULT_CLEANUP.click, ...options };
  const start = clickEnd(samples, sampleRate, opts);
  // Only the tail matters for the end click: reverse just that, not the whole recording.
  const tail = Math.round(opts.maxClick * sampleRate) + Math.round(opts.context * sampleRate);
  const end = clickEnd(samples.slice(Math.max(0, samples.length - tail)).reverse(), sampleRate, opts);
  if (start === 0 && end === 0) return samples;
  const out = samples.slice();
  const fade = Math.round(opts.fade * sampleRate);
  if (start > 0) {
    out.fill(0, 0, start);
    for (let i = 0; i < fade && start + i < out.length; i++) out[start + i]! *= (i + 0.5) / fade;
  }
  if (end > 0) {
    const from = out.length - end;
    out.fill(0, from);
    for (let i = 0; i < fade && from - 1 - i >= 0; i++) out[from - 1 - i]! *= (i + 0.5) / fade;
  }
  return out;
}

/** Scales by `gain` into a new array. */
function scaled(samples: Float32Array, gain: Ratio): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! * gain;
  return out;
}

/**
 * Scales so the largest absolute sample is `targetDb` dBFS (default -1). Silence is returned unchanged.
 * @example
 * const y = normalizePeak(x, -3); // peak at 0.708
 */
export function normalizePeak(samples: Float32Array, targetDb: Decibels = DEFAULT_CLEANUP.peak): Float32Array {
  const gain = peakGain(peak(samples), targetDb);
  return gain === undefined ? samples : scaled(samples, gain);
}

/** The gain `normalizePeak` applies to a signal whose peak is `p`; undefined (unchanged) for silence. */
export function peakGain(p: number, targetDb: Decibels): Ratio | undefined {
  return p === 0 ? undefined : dbToGain(targetDb) / p;
}

/** A biquad filter (direct form I), coefficients normalised by a0. */
function biquad(x: Float64Array, b: [number, number, number], a: [number, number]): Float64Array {
  const y = new Float64Array(x.length);
  const [b0, b1, b2] = b;
  const [a1, a2] = a;
  let x1 = 0,
    x2 = 0,
    y1 = 0,
    y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = b0 * x[i]! + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x[i]!;
    y2 = y1;
    y1 = v;
    y[i] = v;
  }
  return y;
}

/**
 * K-weighting of ITU-R BS.1770 for any sample rate: a high shelf (+4 dB above ~1.7 kHz, the head)
 * then a high-pass at ~38 Hz (RLB). Analog prototypes and bilinear transform as in libebur128;
 * at 48 kHz this gives the standard's published coefficients exactly.
 */
function kWeight(samples: Float32Array, sampleRate: Hertz): Float64Array {
  const x = new Float64Array(samples);
  const [head, highPass] = kWeightFilters(sampleRate);
  x.set(biquad(x, head.b, head.a));
  return biquad(x, highPass.b, highPass.a);
}

/** One biquad's coefficients, normalised by a0. */
export interface Biquad {
  b: [number, number, number];
  a: [number, number];
}

/** The two K-weighting biquads (head shelf, then RLB high-pass) at a sample rate (shared with the streaming meter). */
export function kWeightFilters(sampleRate: Hertz): [Biquad, Biquad] {
  let head: Biquad;
  {
    const f0 = 1681.974450955533,
      G = 3.999843853973347,
      Q = 0.7071752369554196;
    const K = Math.tan((Math.PI * f0) / sampleRate);
    const Vh = 10 ** (G / 20);
    const Vb = Vh ** 0.4996667741545416;
    const a0 = 1 + K / Q + K * K;
    const b: [number, number, number] = [(Vh + (Vb * K) / Q + K * K) / a0, (2 * (K * K - Vh)) / a0, (Vh - (Vb * K) / Q + K * K) / a0];
    head = { b, a: [(2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0] };
  }
  const f0 = 38.13547087602444,
    Q = 0.5003270373238773;
  const K = Math.tan((Math.PI * f0) / sampleRate);
  const a0 = 1 + K / Q + K * K;
  return [head, { b: [1, -2, 1], a: [(2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0] }];
}

/**
 * Integrated loudness in LUFS (ITU-R BS.1770-4, mono): K-weighting, 400 ms blocks with 75 %
 * overlap, an absolute gate at -70 LUFS and a relative gate 10 LU below the ungated mean.
 * A signal shorter than one block is measured as a single block (the standard leaves it undefined).
 * Returns -Infinity for silence.
 */
export function loudnessLufs(samples: Float32Array, sampleRate: Hertz): Decibels {
  if (samples.length === 0) return -Infinity;
  const y = kWeight(samples, sampleRate);
  const step = lufsStep(sampleRate);
  if (y.length < step * LUFS_STEPS_PER_BLOCK) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * y[i]!;
    return shortLoudness(s, y.length);
  }
  // Sums of squares per 100 ms step; a 400 ms block is four consecutive steps.
  const steps = new Float64Array(Math.floor(y.length / step));
  for (let k = 0; k < steps.length; k++) {
    let s = 0;
    for (let i = k * step; i < (k + 1) * step; i++) s += y[i]! * y[i]!;
    steps[k] = s;
  }
  return gatedLoudness(steps, step);
}

/** A loudness block is this many 100 ms steps. */
export const LUFS_STEPS_PER_BLOCK = 4;
/** Samples per 100 ms loudness step. */
export const lufsStep = (sampleRate: Hertz): Samples => Math.round(0.1 * sampleRate);
const lufs = (z: number): Decibels => -0.691 + 10 * Math.log10(z);

/** Loudness of a signal shorter than one block, from its K-weighted sum of squares over `length` samples. */
export function shortLoudness(sumOfSquares: number, length: Samples): Decibels {
  const z = sumOfSquares / length;
  return lufs(z) > -70 ? lufs(z) : -Infinity;
}

/** Gated integrated loudness from the K-weighted sums of squares of consecutive `step`-sample steps. */
export function gatedLoudness(steps: ArrayLike<number>, step: Samples): Decibels {
  const stepsPerBlock = LUFS_STEPS_PER_BLOCK;
  const powers: number[] = [];
  for (let k = 0; k + stepsPerBlock <= steps.length; k++) {
    powers.push((steps[k]! + steps[k + 1]! + steps[k + 2]! + steps[k + 3]!) / (step * stepsPerBlock));
  }
  const mean = (zs: number[]) => zs.reduce((a, b) => a + b, 0) / zs.length;
  const absolute = powers.filter((z) => lufs(z) > -70);
  if (absolute.length === 0) return -Infinity;
  const relativeGate = lufs(mean(absolute)) - 10;
  return lufs(mean(absolute.filter((z) => lufs(z) > relativeGate)));
}

/**
 * Scales to a loudness target: RMS level in dBFS (default) or integrated LUFS. The gain is
 * limited so the peak does not exceed `maxPeakDb`. Silence is returned unchanged.
 *
 * @example
 * const y = normalizeLoudness(x, 22050, { method: 'lufs', target: -23 });
 */
export function normalizeLoudness(samples: Float32Array, sampleRate: Hertz, options: Partial<LoudnessOptions> = {}): Float32Array {
  const opts = { ...DEFAULT_CLEANUP.loudness, ...options };
  const p = peak(samples);
  if (p === 0) return samples;
  const level = opts.method === 'lufs' ? loudnessLufs(samples, sampleRate) : gainToDb(rms(samples));
  const gain = loudnessGain(p, level, opts);
  return gain === undefined ? samples : scaled(samples, gain);
}

/**
 * The gain `normalizeLoudness` applies to a signal of peak `p` measured at `level` (dBFS RMS or LUFS); undefined
 * (unchanged) for silence or an unmeasurable level.
 */
export function loudnessGain(p: number, level: Decibels, opts: Pick<LoudnessOptions, 'target' | 'maxPeakDb'>): Ratio | undefined {
  if (p === 0 || !Number.isFinite(level)) return undefined;
  return Math.min(dbToGain(opts.target - level), dbToGain(opts.maxPeakDb) / p);
}

/**
 * Start offsets of fixed-length clips over a signal of `length` samples (no samples needed, so a
 * long file can be read clip by clip). With keepShort 'pad' a trailing partial clip is included.
 */
export function clipOffsets(length: Samples, clipLength: Samples, options: Partial<SplitOptions> = {}): Samples[] {
  const opts = { ...DEFAULT_CLEANUP.split, ...options };
  if (!(clipLength >= 1)) throw new RangeError(`splitIntoClips: clip length must be at least 1 sample (got ${clipLength})`);
  if (!(opts.overlap >= 0 && opts.overlap < 1)) throw new RangeError(`splitIntoClips: overlap must be in [0, 1) (got ${opts.overlap})`);
  const hop = Math.max(1, Math.round(clipLength * (1 - opts.overlap)));
  const offsets: Samples[] = [];
  let start = 0;
  for (; start + clipLength <= length; start += hop) offsets.push(start);
  // A partial clip remains when the last full clip did not reach the end.
  const coveredTo = offsets.length ? offsets[offsets.length - 1]! + clipLength : 0;
  if (opts.keepShort === 'pad' && coveredTo < length) offsets.push(start);
  return offsets;
}

/**
 * Splits a recording into clips of `clipLength` samples, optionally overlapping. A last clip
 * shorter than the length is zero-padded (`keepShort: 'pad'`, the default, so a short file gives
 * one padded clip) or dropped (`'drop'`).
 *
 * @param samples mono samples
 * @param clipLength samples per clip
 * @param options overlap fraction in [0, 1) (default 0), keepShort (default 'pad')
 * @returns clips with their start offset in the input; full clips are views, padded ones copies
 * @example
 * const clips = splitIntoClips(tape, 16317, { overlap: 0.5, keepShort: 'drop' });
 */
export function splitIntoClips(samples: Float32Array, clipLength: Samples, options: Partial<SplitOptions> = {}): { samples: Float32Array; offset: Samples }[] {
  return clipOffsets(samples.length, clipLength, options).map((offset) => {
    const view = samples.subarray(offset, offset + clipLength);
    if (view.length === clipLength) return { samples: view, offset };
    const padded = new Float32Array(clipLength);
    padded.set(view);
    return { samples: padded, offset };
  });
}
