/**
 * Clean-up of a long recording in bounded memory, with the same output as the whole-file functions of cleanup.ts
 * (edge clicks, then trimming, then shortening long internal silences, then levelling, each step on the output of
 * the one before), sample for sample.
 *
 * Each step that needs a statistic of the whole signal gets one pass over the reader: the loudest frame for the
 * trim (pass 1, over the input with the clicks muted), the loudest frame of the trimmed signal and so where the
 * silences are (pass 2), the peak, RMS or LUFS of the signal after trimming and silence removal (pass 3). A pass
 * reads the signal as the steps already decided make it, a chunk at a time, and keeps only its statistic: frame
 * levels (8 bytes per hop, 3 MB per hour at 10 ms), 100 ms loudness sums, a sum of squares. The edge clicks need
 * only the first and last quarter second, so the first pass holds back that much and decides them at its end.
 *
 * What the passes decide is a `CleanupPlan`; `CleanedAudio` reads any range of the cleaned signal from it on demand
 * (as an `AudioReader`, so `readRange` resamples it as it does a file): a range maps to stretches of the input
 * and the crossfades across cut silences, read from the source and muted, faded and scaled as the whole-file path
 * does, with the same float32 roundings. A cut silence is never read at all.
 *
 * Frames are cut as `frameLevels` cuts them (frame f covers [f * hop, f * hop + frame) of the signal being measured,
 * the last one short), whatever the chunk boundaries, so levels, thresholds and cuts are the same numbers.
 */
import type { Decibels, Ratio, Samples } from '../units.ts';
import {
  type Biquad,
  type ClickOptions,
  clickEnd,
  DEFAULT_CLEANUP,
  frameCount,
  frameGeometry,
  gainToDb,
  gatedLoudness,
  type InternalSilenceOptions,
  kWeightFilters,
  LUFS_STEPS_PER_BLOCK,
  loudFrames,
  loudnessGain,
  lufsStep,
  peakGain,
  rms,
  shortLoudness,
  silenceCuts,
  type TrimOptions,
  trimBounds,
} from './cleanup.ts';
import { toMono } from './mono.ts';
import type { AudioReader } from './types.ts';

/** The level step: 'peak' as `normalizePeak`, 'rms' or 'lufs' as `normalizeLoudness`. */
export interface LevelStep {
  method: 'peak' | 'rms' | 'lufs';
  /** dBFS peak, dBFS RMS or LUFS. */
  target: Decibels;
  /** For 'rms' and 'lufs': the peak limit (default as `normalizeLoudness`'s). */
  maxPeakDb?: Decibels;
}

/** Which clean-up steps run, with their options (null: off). They run in this order. */
export interface CleanupSteps {
  clicks: Partial<ClickOptions> | null;
  trim: Partial<TrimOptions> | null;
  silences: Partial<InternalSilenceOptions> | null;
  level: LevelStep | null;
}

/** How the streaming clean-up reads. */
export interface StreamCleanupOptions {
  /** Input samples read at once in a pass. Default 2^18 (6 s at 44.1 kHz). */
  chunk: Samples;
}

export const DEFAULT_STREAM_CLEANUP: StreamCleanupOptions = { chunk: 1 << 18 };

/** What `removeEdgeClicks` mutes: `head` samples at the start and `tail` at the end, each faded in over `fade`. */
export interface ClickPlan {
  head: Samples;
  tail: Samples;
  fade: Samples;
}

/** Everything the passes decided: enough to make any range of the cleaned signal from the input. */
export interface CleanupPlan {
  /** Mono samples in the input. */
  inputLength: Samples;
  clicks: ClickPlan;
  /** The trimmed range of the input, [start, end) (both 0 when trimming found no sound). */
  start: Samples;
  end: Samples;
  /** Silences cut, [start, end) in the trimmed signal, each replaced by a crossfade of `fade` samples. */
  cuts: [Samples, Samples][];
  fade: Samples;
  /** The level step's gain; undefined: unscaled. */
  gain: Ratio | undefined;
  /** Samples in the cleaned signal. */
  length: Samples;
}

const NO_CLICKS: ClickPlan = { head: 0, tail: 0, fade: 0 };

/** Samples the whole-file click detection looks at on each side, and its fade. */
function clickSpan(options: ClickOptions, sampleRate: number): { span: Samples; fade: Samples } {
  return { span: Math.round(options.maxClick * sampleRate) + Math.round(options.context * sampleRate), fade: Math.round(options.fade * sampleRate) };
}

/**
 * `x` (input samples [at, at + x.length) of a signal of `length`) with the clicks muted and faded as
 * `removeEdgeClicks` does (start first, then end); `x` itself when the range holds neither.
 */
export function muteClicks(x: Float32Array, at: Samples, length: Samples, c: ClickPlan): Float32Array {
  const end = at + x.length;
  const tailFrom = length - c.tail;
  const head = c.head > 0 && at < c.head + c.fade;
  const tail = c.tail > 0 && end > tailFrom - c.fade;
  if (!head && !tail) return x;
  const out = x.slice();
  if (head) {
    for (let k = at; k < Math.min(end, c.head); k++) out[k - at] = 0;
    for (let i = 0; i < c.fade; i++) {
      const k = c.head + i;
      if (k >= at && k < end && k < length) out[k - at]! *= (i + 0.5) / c.fade;
    }
  }
  if (tail) {
    for (let k = Math.max(at, tailFrom); k < end; k++) out[k - at] = 0;
    for (let i = 0; i < c.fade; i++) {
      const k = tailFrom - 1 - i;
      if (k >= 0 && k >= at && k < end) out[k - at]! *= (i + 0.5) / c.fade;
    }
  }
  return out;
}

/** Something a pass feeds the signal to, in order. */
interface Sink {
  push(x: Float32Array): void;
}

/** `a` then `b` in a new array (`b` copied even when `a` is empty, so a reader's buffer is never kept). */
function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Frame levels as `frameLevels` computes them on the concatenation of everything pushed. */
export class FrameMeter implements Sink {
  private rest: Float32Array = new Float32Array(0);
  /** Where `rest` starts in the signal. */
  private restStart = 0;
  /** Start of the next frame. */
  private next = 0;
  private levels: Float64Array;
  private readonly fixed: boolean;
  private count = 0;

  /** `into`: where the levels go when their count is known (no growing); else an array that grows. */
  constructor(
    readonly frameLength: Samples,
    readonly hopLength: Samples,
    into?: Float64Array,
  ) {
    this.levels = into ?? new Float64Array(1024);
    this.fixed = into !== undefined;
  }

  push(x: Float32Array): void {
    const data = concat(this.rest, x);
    const end = this.restStart + data.length;
    const L = this.frameLength;
    while (this.next + L <= end) {
      const s = this.next - this.restStart;
      this.add(gainToDb(rms(data.subarray(s, s + L))));
      this.next += this.hopLength;
    }
    const drop = Math.min(data.length, this.next - this.restStart);
    this.rest = data.slice(drop);
    this.restStart += drop;
  }

  /** The levels of every frame (the last ones short, as `frameLevels` makes them) and the samples measured. */
  finish(): { levels: Float64Array; length: Samples } {
    const length = this.restStart + this.rest.length;
    const total = frameCount(length, this.frameLength, this.hopLength);
    while (this.count < total) {
      const s = this.next - this.restStart;
      this.add(gainToDb(rms(this.rest.subarray(s, Math.min(this.rest.length, s + this.frameLength)))));
      this.next += this.hopLength;
    }
    return { levels: this.levels.subarray(0, this.count), length };
  }

  private add(level: number): void {
    if (this.count === this.levels.length) {
      if (this.fixed) throw new Error('FrameMeter: more frames than the array it was given holds');
      const grown = new Float64Array(this.levels.length * 2);
      grown.set(this.levels);
      this.levels = grown;
    }
    this.levels[this.count++] = level;
  }
}

/** One biquad run sample by sample, as cleanup.ts's `biquad` runs it over an array. */
class BiquadState {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  constructor(private readonly f: Biquad) {}

  step(x: number): number {
    const [b0, b1, b2] = this.f.b;
    const [a1, a2] = this.f.a;
    const v = b0 * x + b1 * this.x1 + b2 * this.x2 - a1 * this.y1 - a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = v;
    return v;
  }
}

/** `loudnessLufs` of everything pushed: K-weighting with its state carried over, sums of squares per 100 ms step. */
export class LufsMeter implements Sink {
  private readonly filters: [BiquadState, BiquadState];
  private readonly step: Samples;
  private steps = new Float64Array(1024);
  private stepCount = 0;
  private stepSum = 0;
  private stepFill = 0;
  private total = 0;
  private length = 0;

  constructor(sampleRate: number) {
    const [head, highPass] = kWeightFilters(sampleRate);
    this.filters = [new BiquadState(head), new BiquadState(highPass)];
    this.step = lufsStep(sampleRate);
  }

  push(x: Float32Array): void {
    const [head, highPass] = this.filters;
    for (let i = 0; i < x.length; i++) {
      const y = highPass.step(head.step(x[i]!));
      const sq = y * y;
      this.total += sq;
      this.stepSum += sq;
      if (++this.stepFill === this.step) this.endStep();
    }
    this.length += x.length;
  }

  /** Integrated loudness in LUFS, -Infinity for silence or nothing. */
  loudness(): Decibels {
    if (this.length === 0) return -Infinity;
    if (this.length < this.step * LUFS_STEPS_PER_BLOCK) return shortLoudness(this.total, this.length);
    return gatedLoudness(this.steps.subarray(0, this.stepCount), this.step);
  }

  private endStep(): void {
    if (this.stepCount === this.steps.length) {
      const grown = new Float64Array(this.steps.length * 2);
      grown.set(this.steps);
      this.steps = grown;
    }
    this.steps[this.stepCount++] = this.stepSum;
    this.stepSum = 0;
    this.stepFill = 0;
  }
}

/** The statistic the level step needs, and from it the gain, as `normalizePeak` / `normalizeLoudness` compute it. */
export class LevelMeter implements Sink {
  private peak = 0;
  private sum = 0;
  private length = 0;
  private readonly lufs?: LufsMeter;

  constructor(
    private readonly step: LevelStep,
    sampleRate: number,
  ) {
    if (step.method === 'lufs') this.lufs = new LufsMeter(sampleRate);
  }

  push(x: Float32Array): void {
    let p = this.peak;
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]!);
      if (a > p) p = a;
    }
    this.peak = p;
    if (this.step.method === 'rms') {
      let s = this.sum;
      for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
      this.sum = s;
    }
    this.lufs?.push(x);
    this.length += x.length;
  }

  /** The gain, or undefined when the signal is left as it is (silence). */
  gain(): Ratio | undefined {
    const { method, target } = this.step;
    if (method === 'peak') return peakGain(this.peak, target);
    if (this.peak === 0) return undefined;
    const level = this.lufs ? this.lufs.loudness() : gainToDb(this.length === 0 ? 0 : Math.sqrt(this.sum / this.length));
    return loudnessGain(this.peak, level, { target, maxPeakDb: this.step.maxPeakDb ?? DEFAULT_CLEANUP.loudness.maxPeakDb });
  }
}

/** Mono samples [at, at + count) of a reader, as `toMono` mixes the whole decode. */
async function readMono(source: AudioReader, at: Samples, count: Samples): Promise<Float32Array> {
  return toMono(await source.read(at, count));
}

/**
 * Pass 1: reads the whole input in order, decides the clicks (holding back the last `span + fade` samples until the
 * end is known) and feeds the input with them muted to `sink`. Returns the clicks and the input's length.
 */
async function scanInput(
  source: AudioReader,
  clicks: Partial<ClickOptions> | null,
  sink: Sink | undefined,
  chunk: Samples,
): Promise<{ clicks: ClickPlan; length: Samples }> {
  const sr = source.info.sampleRate;
  const opts = clicks ? { ...DEFAULT_CLEANUP.click, ...clicks } : undefined;
  const { span, fade } = opts ? clickSpan(opts, sr) : { span: 0, fade: 0 };
  const hold = opts ? span + fade : 0;
  let plan: ClickPlan | undefined = opts ? undefined : NO_CLICKS;
  // The whole-file detection sees the first span + fade samples of the input (clickEnd caps at the input's length).
  const decideHead = (head: Float32Array, length: Samples): ClickPlan => ({
    head: length < span ? 0 : clickEnd(head.subarray(0, Math.min(length, span + fade)), sr, opts!),
    tail: 0,
    fade,
  });
  let pending: Float32Array = new Float32Array(0);
  let pendingStart = 0;
  let length = 0;
  for (;;) {
    const x = await readMono(source, length, chunk);
    length += x.length;
    const done = x.length < chunk;
    if (hold === 0) sink?.push(x);
    else {
      pending = concat(pending, x);
      if (pending.length > hold) {
        plan ??= decideHead(pending, Infinity);
        const out = pending.length - hold;
        sink?.push(muteClicks(pending.subarray(0, out), pendingStart, Infinity, plan));
        pending = pending.slice(out);
        pendingStart += out;
      }
    }
    if (done) break;
  }
  if (!opts) return { clicks: NO_CLICKS, length };
  plan ??= decideHead(pending, length);
  // The end click, from the last `span` samples reversed, as removeEdgeClicks finds it.
  const last = pending.slice(Math.max(0, pending.length - span)).reverse();
  plan = { ...plan, tail: clickEnd(last, sr, opts) };
  sink?.push(muteClicks(pending, pendingStart, length, plan));
  return { clicks: plan, length };
}

/** A stretch of the cleaned signal: a copy of the trimmed signal from `from`, or (with `to`) a crossfade from `from` into `to`. */
interface Piece {
  out: Samples;
  length: Samples;
  from: Samples;
  to?: Samples;
}

/** The cleaned signal as pieces of the trimmed one, in order. */
function planPieces(plan: CleanupPlan): Piece[] {
  const pieces: Piece[] = [];
  let read = 0;
  let out = 0;
  const add = (p: Piece) => {
    if (p.length > 0) pieces.push(p);
    out += p.length;
  };
  for (const [a, b] of plan.cuts) {
    add({ out, length: a - read, from: read });
    add({ out, length: plan.fade, from: a, to: b - plan.fade });
    read = b;
  }
  add({ out, length: plan.end - plan.start - read, from: read });
  return pieces;
}

/**
 * The cleaned signal of a plan, read by range as an `AudioReader` (mono, at the input's rate): what
 * `removeEdgeClicks` -> `trimSilence` -> `removeSilences` -> levelling give on the whole input, read from the
 * source only where the range needs it. The last read is kept, so reads that step back a little (a resampling
 * filter's reach) do not read the source again. Returned arrays must not be modified.
 */
export class CleanedAudio implements AudioReader {
  readonly info: AudioReader['info'];
  readonly streaming: boolean;
  private readonly pieces: Piece[];
  private last: { start: Samples; samples: Float32Array } = { start: 0, samples: new Float32Array(0) };

  constructor(
    private readonly source: AudioReader,
    readonly plan: CleanupPlan,
  ) {
    const { sampleRate } = source.info;
    this.info = { ...source.info, channels: 1, frames: plan.length, duration: plan.length / sampleRate };
    this.streaming = source.streaming;
    this.pieces = planPieces(plan);
  }

  async read(start: Samples, count: Samples): Promise<Float32Array[]> {
    const from = Math.max(0, Math.min(start, this.plan.length));
    const to = Math.max(from, Math.min(start + count, this.plan.length));
    const out = new Float32Array(to - from);
    const { start: lastStart, samples: last } = this.last;
    let at = from;
    if (from >= lastStart && from < lastStart + last.length) {
      const n = Math.min(to, lastStart + last.length) - from;
      out.set(last.subarray(from - lastStart, from - lastStart + n));
      at += n;
    }
    if (at < to) {
      const fresh = out.subarray(at - from);
      await this.fill(fresh, at);
      const { gain } = this.plan;
      if (gain !== undefined) for (let i = 0; i < fresh.length; i++) fresh[i] = fresh[i]! * gain;
    }
    this.last = { start: from, samples: out };
    return [out];
  }

  close(): Promise<void> {
    return this.source.close();
  }

  /** Cleaned samples [at, at + out.length) before the gain, into `out`. */
  private async fill(out: Float32Array, at: Samples): Promise<void> {
    const end = at + out.length;
    let lo = 0;
    let hi = this.pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const p = this.pieces[mid]!;
      if (p.out + p.length <= at) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.pieces.length && this.pieces[k]!.out < end; k++) {
      const p = this.pieces[k]!;
      const a = Math.max(at, p.out);
      const b = Math.min(end, p.out + p.length);
      const head = await this.trimmed(p.from + (a - p.out), b - a);
      if (p.to === undefined) {
        out.set(head, a - at);
        continue;
      }
      // The crossfade of removeSilences: the cut's start fading out into the end of what it removes.
      const tail = await this.trimmed(p.to + (a - p.out), b - a);
      for (let i = a - p.out; i < b - p.out; i++) {
        const t = (i + 0.5) / p.length;
        const j = i - (a - p.out);
        out[a - at + j] = (head[j] ?? 0) * (1 - t) + (tail[j] ?? 0) * t;
      }
    }
  }

  /** Trimmed-signal samples [at, at + count): the input there with the clicks muted. */
  private async trimmed(at: Samples, count: Samples): Promise<Float32Array> {
    const from = this.plan.start + at;
    return muteClicks(await readMono(this.source, from, count), from, this.plan.inputLength, this.plan.clicks);
  }
}

/** Reads `audio` in order, `chunk` samples at a time, into `sink`. */
async function measure(audio: AudioReader, sink: Sink, chunk: Samples): Promise<void> {
  for (let at = 0; at < audio.info.frames; at += chunk) sink.push((await audio.read(at, chunk))[0]!);
}

/** A frame meter with a step's frame geometry. */
function frameMeter(sampleRate: number, opts: { frame: number; hop: number }): FrameMeter {
  const { frameLength, hopLength } = frameGeometry(sampleRate, opts.frame, opts.hop);
  return new FrameMeter(frameLength, hopLength);
}

/**
 * Decides the clean-up of a recording in one pass per step that needs a whole-signal statistic (trim, silences,
 * level; the clicks ride on the first pass, which always runs, to find the end), each reading the source a chunk
 * at a time. Memory: a chunk, the click look-back, and the statistics (frame levels: 8 bytes per hop).
 *
 * @param source the recording (mixed to mono as `toMono` mixes it)
 * @param steps the steps and their options, as the whole-file functions take them
 * @example
 * const plan = await planCleanup(reader, { clicks: {}, trim: { thresholdDb: -40 }, silences: { minSilence: 1 }, level: { method: 'lufs', target: -23 } });
 */
export async function planCleanup(source: AudioReader, steps: CleanupSteps, options: Partial<StreamCleanupOptions> = {}): Promise<CleanupPlan> {
  const { chunk } = { ...DEFAULT_STREAM_CLEANUP, ...options };
  const sr = source.info.sampleRate;
  const { trim, silences } = stepOptions(steps);
  const trimMeter = trim ? frameMeter(sr, trim) : undefined;
  const silenceMeter = silences ? frameMeter(sr, silences) : undefined;
  const levelMeter = steps.level ? new LevelMeter(steps.level, sr) : undefined;
  // Pass 1 feeds the first step that measures; the later ones read the signal as decided so far.
  const first = trimMeter ?? silenceMeter ?? levelMeter;
  const { clicks, length } = await scanInput(source, steps.clicks, first, chunk);
  let plan = unplanned(length, clicks);
  if (trim && trimMeter) plan = withTrim(plan, trimMeter.finish().levels, trim, trimMeter, sr);
  if (silences && silenceMeter) {
    if (first !== silenceMeter) await measure(new CleanedAudio(source, plan), silenceMeter, chunk);
    plan = withSilences(plan, silenceMeter.finish().levels, silences, silenceMeter, sr);
  }
  if (levelMeter) {
    if (first !== levelMeter) await measure(new CleanedAudio(source, plan), levelMeter, chunk);
    plan = { ...plan, gain: levelMeter.gain() };
  }
  return plan;
}

/** The trim and silence options with their defaults filled in (null: off). */
function stepOptions(steps: CleanupSteps): { trim: TrimOptions | null; silences: InternalSilenceOptions | null } {
  return {
    trim: steps.trim && { ...DEFAULT_CLEANUP.trim, ...steps.trim },
    silences: steps.silences && { ...DEFAULT_CLEANUP.internalSilence, ...steps.silences },
  };
}

/** The plan before any pass decided anything: the input as it is, clicks muted. */
function unplanned(length: Samples, clicks: ClickPlan): CleanupPlan {
  return { inputLength: length, clicks, start: 0, end: length, cuts: [], fade: 0, gain: undefined, length };
}

/** `plan` trimmed where the frame levels of its signal say the sound starts and ends. */
function withTrim(plan: CleanupPlan, levels: Float64Array, trim: TrimOptions, geometry: FrameGeometry, sr: number): CleanupPlan {
  const { frameLength, hopLength } = geometry;
  const bounds = trimBounds(loudFrames(levels, trim), plan.inputLength, frameLength, hopLength, Math.round(trim.margin * sr));
  const { start, end } = bounds ?? { start: 0, end: 0 };
  return { ...plan, start, end, length: end - start };
}

/** `plan` with the long silences its frame levels show cut. */
function withSilences(plan: CleanupPlan, levels: Float64Array, silences: InternalSilenceOptions, geometry: FrameGeometry, sr: number): CleanupPlan {
  const { cuts, fade } = silenceCuts(loudFrames(levels, silences), geometry.frameLength, geometry.hopLength, sr, silences);
  const removed = cuts.reduce((n, [a, b]) => n + (b - a), 0);
  return { ...plan, cuts, fade, length: plan.length - removed + cuts.length * fade };
}

/** How frames are cut: `frameLength` samples every `hopLength`. */
export interface FrameGeometry {
  frameLength: Samples;
  hopLength: Samples;
}

/** What planning needs of a seekable input before its passes: its rate, length and edge clicks. */
export interface PlanStart {
  sampleRate: number;
  length: Samples;
  clicks: ClickPlan;
}

/**
 * How `planCleanupWith` measures the signal a plan makes so far: the pipeline shares each pass's frames among its
 * workers (`measureFrames` on consecutive ranges of one `sharedLevels` array gives the whole pass's levels, number
 * for number) and measures the gain on one (`measureGain`).
 */
export interface PlanMeasures {
  /** `frameLevels`'s levels of the signal `plan` makes, cut with `geometry`. */
  frames(plan: CleanupPlan, geometry: FrameGeometry): Promise<Float64Array>;
  /** The level step's gain for the signal `plan` makes. */
  gain(plan: CleanupPlan, level: LevelStep): Promise<Ratio | undefined>;
}

/** The rate, length and edge clicks of a seekable input, from its first and last quarter second. */
export async function planStart(source: AudioReader, clicks: Partial<ClickOptions> | null): Promise<PlanStart> {
  const { sampleRate: sr, frames: length } = source.info;
  if (!clicks) return { sampleRate: sr, length, clicks: NO_CLICKS };
  const opts = { ...DEFAULT_CLEANUP.click, ...clicks };
  const { span, fade } = clickSpan(opts, sr);
  // As pass 1 decides them: the start from the first span + fade samples, the end from the last span reversed.
  const head = length < span ? 0 : clickEnd(await readMono(source, 0, Math.min(length, span + fade)), sr, opts);
  const last = (await readMono(source, Math.max(0, length - span), Math.min(length, span))).slice().reverse();
  return { sampleRate: sr, length, clicks: { head, tail: clickEnd(last, sr, opts), fade } };
}

/** The frames of a planning pass one thread measures: [first, end) of the pass's `levels` (all its frames). */
export interface FrameRange {
  first: number;
  end: number;
  /** Where the levels go, shared by the threads (a SharedArrayBuffer's); this range's part is filled. */
  levels: Float64Array;
}

/**
 * Fills `range.levels` [first, end) with the frame levels of the signal `plan` makes from `source`: one thread's
 * share of a planning pass. Frame f covers [f * hop, f * hop + frame) as in the whole pass, so the shares
 * together give the pass's levels, number for number.
 */
export async function measureFrames(
  source: AudioReader,
  plan: CleanupPlan,
  geometry: FrameGeometry,
  range: FrameRange,
  options: Partial<StreamCleanupOptions> = {},
): Promise<void> {
  const { chunk } = { ...DEFAULT_STREAM_CLEANUP, ...options };
  const { frameLength, hopLength } = geometry;
  const { first, end, levels } = range;
  if (levels.length !== frameCount(plan.length, frameLength, hopLength)) throw new Error('measureFrames: levels must hold every frame of the pass');
  const signal = new CleanedAudio(source, plan);
  const meter = new FrameMeter(frameLength, hopLength, levels.subarray(first, end));
  const last = end >= levels.length;
  const to = last ? plan.length : (end - 1) * hopLength + frameLength;
  for (let at = first * hopLength; at < to; at += chunk) meter.push((await signal.read(at, Math.min(chunk, to - at)))[0]!);
  if (last) meter.finish(); // the short frames at the end
}

/** An array for all the frame levels of a pass over `plan`'s signal, which threads can fill together. */
export function sharedLevels(plan: CleanupPlan, geometry: FrameGeometry): Float64Array {
  const count = frameCount(plan.length, geometry.frameLength, geometry.hopLength);
  return new Float64Array(new SharedArrayBuffer(count * Float64Array.BYTES_PER_ELEMENT));
}

/** The level step's gain for the signal `plan` makes from `source` (one pass, in order). */
export async function measureGain(
  source: AudioReader,
  plan: CleanupPlan,
  level: LevelStep,
  options: Partial<StreamCleanupOptions> = {},
): Promise<Ratio | undefined> {
  const meter = new LevelMeter(level, source.info.sampleRate);
  await measure(new CleanedAudio(source, plan), meter, { ...DEFAULT_STREAM_CLEANUP, ...options }.chunk);
  return meter.gain();
}

/**
 * The same plan as `planCleanup`, for a seekable input whose passes `measures` reads (so several workers can each
 * measure a range of frames). The edge clicks come from `planStart`.
 * @example
 * const frames = async (plan, g) => { const levels = sharedLevels(plan, g); await measureFrames(reader, plan, g, { first: 0, end: levels.length, levels }); return levels; };
 * const plan = await planCleanupWith(await planStart(reader, null), steps, { frames, gain: (plan, level) => measureGain(reader, plan, level) });
 */
export async function planCleanupWith(start: PlanStart, steps: CleanupSteps, measures: PlanMeasures): Promise<CleanupPlan> {
  const { sampleRate: sr } = start;
  const { trim, silences } = stepOptions(steps);
  let plan = unplanned(start.length, start.clicks);
  if (trim) {
    const g = frameGeometry(sr, trim.frame, trim.hop);
    plan = withTrim(plan, await measures.frames(plan, g), trim, g, sr);
  }
  if (silences) {
    const g = frameGeometry(sr, silences.frame, silences.hop);
    plan = withSilences(plan, await measures.frames(plan, g), silences, g, sr);
  }
  if (steps.level) plan = { ...plan, gain: await measures.gain(plan, steps.level) };
  return plan;
}

/**
 * The cleaned recording, planned (`planCleanup`) and read on demand; `plan.start` is how many input samples the
 * trim cut from the start. Closing it closes `source`.
 * @example
 * const cleaned = await openCleanedAudio(await openAudio('tape.wav'), { clicks: {}, trim: {}, silences: { minSilence: 1 }, level: null });
 * const [minute] = await cleaned.read(0, 60 * cleaned.info.sampleRate); // trimmed, silences shortened
 * const trimmedSeconds = cleaned.plan.start / cleaned.info.sampleRate;
 */
export async function openCleanedAudio(source: AudioReader, steps: CleanupSteps, options: Partial<StreamCleanupOptions> = {}): Promise<CleanedAudio> {
  return new CleanedAudio(source, await planCleanup(source, steps, options));
}
