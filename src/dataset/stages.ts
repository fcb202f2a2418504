/**
 * The preprocessing stages, named after the reference Keras pipeline (Loader -> Padder ->
 * LogSpectrogramExtractor -> MinMaxNormaliser -> Saver), plus a Cleaner and a Splitter for real-world
 * recordings. Each is a small object usable on its own; `FileProcessor` chains them for one file.
 *
 * @example
 * const s = resolveSettings('reference');
 * const { samples } = await new Loader(s).load('7_jackson_32.wav');
 * const clip = new Padder(s).pad(samples.subarray(0, s.clip));
 * const { data, min, max } = new MinMaxNormaliser().normalise(new LogSpectrogramExtractor(s).extract(clip));
 */
import { decodeAudio } from '../audio/decode.ts';
import { openStreamingAudio, readRange, type AudioReader } from '../audio/reader.ts';
import { isForwardOnly, type StreamOptions } from '../audio/stream-decode.ts';
import { toMono } from '../audio/mono.ts';
import { resampledLength, resampleSegment, type ResampleQuality } from '../audio/resample.ts';
import {
  type CleanupPlan,
  CleanedAudio,
  type CleanupSteps,
  type FrameGeometry,
  type FrameRange,
  type LevelStep,
  measureFrames,
  measureGain,
  type PlanStart,
  planCleanup,
  planStart,
} from '../audio/cleanup-stream.ts';
import { clipOffsets, normalizeLoudness, normalizePeak, peak, removeEdgeClicks, removeSilences, trimSilence } from '../audio/cleanup.ts';
import { amplitudeToDb } from '../dsp/db.ts';
import { StftPlan } from '../dsp/stft.ts';
import { WasmSpectrogramPlan, wasmSpectrogramSupports } from '../dsp/spectrogram-wasm.ts';
import type { Ratio, Samples, Seconds } from '../units.ts';
import { spectrogramShape, type CleanupSettings, type PreprocessSettings } from './presets.ts';
import { MelFeatureExtractor, type FeatureExtractor } from './features.ts';

/** Decoded audio: mono at the file's own rate. */
export interface DecodedMono {
  samples: Float32Array;
  sampleRate: number;
  /** The file's duration. */
  duration: Seconds;
}

/**
 * Output samples [outStart, outEnd) of `resample(samples, from, to)`, computed from only the input they need
 * (`resampleSegment` with the whole signal as its segment): equal to slicing the whole result.
 * @example resampleRange(x, 8000, 22050, 'default', 0, 16317) // the first 0.74 s at 22.05 kHz
 */
export function resampleRange(samples: Float32Array, from: number, to: number, quality: ResampleQuality, outStart: Samples, outEnd: Samples): Float32Array {
  if (from === to) return samples.subarray(outStart, outEnd);
  const end = Math.min(outEnd, resampledLength(samples.length, from, to));
  return resampleSegment(samples, 0, from, to, outStart, Math.max(0, end - outStart), { quality });
}

/** Samples of one file at the target rate, read forward clip by clip. */
export interface ClipReader {
  readonly length: Samples;
  /**
   * Output samples [start, end). A block read ahead stops at `until` (default: the end), so a share of a file
   * reads only its own range.
   */
  read(start: Samples, end: Samples, until?: Samples): Promise<Float32Array>;
}

/** Where the next block read for [start, end) ends: a block's length ahead, within [end, until]. */
function blockEnd(start: Samples, end: Samples, block: Samples, until: Samples): Samples {
  return Math.max(end, Math.min(until, start + block));
}

/**
 * Reads a long signal at the target rate piece by piece: `read(a, b)` gives output samples [a, b) from a block
 * fetched `block` samples at a time, so a long recording is never held whole at the target rate. Reads must move
 * forward. `fetch(start, stop)` makes output samples [start, stop); see `resampledReader` and `streamedReader`.
 */
export class BlockReader implements ClipReader {
  private buf: Float32Array = new Float32Array(0);
  private bufStart = 0;

  constructor(
    readonly length: Samples,
    private readonly fetch: (start: Samples, stop: Samples) => Float32Array | Promise<Float32Array>,
    /** Output samples fetched at once. */
    private readonly block: Samples = 1 << 20,
  ) {}

  async read(start: Samples, end: Samples, until: Samples = this.length): Promise<Float32Array> {
    end = Math.min(end, this.length);
    if (start < this.bufStart || end > this.bufStart + this.buf.length) {
      this.buf = await this.fetch(start, Math.min(this.length, blockEnd(start, end, this.block, until)));
      this.bufStart = start;
    }
    return this.buf.subarray(start - this.bufStart, end - this.bufStart);
  }
}

/** A decoded signal at another rate, resampled a block at a time. */
export function resampledReader(samples: Float32Array, from: number, to: number, quality: ResampleQuality, block?: Samples): BlockReader {
  return new BlockReader(resampledLength(samples.length, from, to), (a, b) => resampleRange(samples, from, to, quality, a, b), block);
}

/**
 * The on-demand twin of `resampledReader`: each block's frames (plus the filter's reach, which keeps block edges
 * seamless) are read from the file when needed and mixed to mono, so memory is a block or two whatever the
 * file's length. Gives the same samples as resampling the whole decoded file.
 */
export function streamedReader(audio: AudioReader, to: number, quality: ResampleQuality, block?: Samples): BlockReader {
  const options = { sampleRate: to, mono: true, resample: { quality } };
  const length = resampledLength(audio.info.frames, audio.info.sampleRate, to);
  return new BlockReader(length, async (a, b) => ((await readRange(audio, a, b - a, options)) as [Float32Array])[0], block);
}

/**
 * Loader: decode and mix to mono at the file's rate; `load` also resamples to the target rate. Given
 * `maxSamples`, only what that many output samples need is resampled, as `librosa.load(duration=...)` reads
 * only that much.
 */
export class Loader {
  constructor(private readonly settings: Pick<PreprocessSettings, 'sampleRate' | 'resampleQuality'>) {}

  /** Mono samples at the file's own rate. */
  async decode(file: string): Promise<DecodedMono> {
    const { info, channels, repaired } = await decodeAudio(file);
    // Said, not silent: the file held NaN or infinite samples, now 0 (a full-scale click before).
    if (repaired) process.stderr.write(`note: ${file}: ${repaired} NaN or infinite sample${repaired === 1 ? '' : 's'} set to 0\n`);
    if (info.warning) process.stderr.write(`note: ${file}: ${info.warning}\n`); // e.g. a header claiming more than the file holds
    return { samples: toMono(channels), sampleRate: info.sampleRate, duration: info.frames / info.sampleRate };
  }

  /**
   * @param file any format the audio layer decodes.
   * @param maxSamples keep at most this many samples at the target rate (default: all).
   */
  async load(file: string, maxSamples?: Samples): Promise<{ samples: Float32Array; duration: Seconds }> {
    const { samples: mono, sampleRate: from, duration } = await this.decode(file);
    const { sampleRate, resampleQuality } = this.settings;
    const length = resampledLength(mono.length, from, sampleRate);
    const samples = resampleRange(mono, from, sampleRate, resampleQuality, 0, Math.min(length, maxSamples ?? length));
    return { samples, duration };
  }

  /** Mono samples at the file's own rate, cleaned there: clean-up works on the whole file, before resampling. */
  async decodeCleaned(file: string, cleanup: CleanupSettings): Promise<PreparedFile> {
    const decoded = await this.decode(file);
    const cleaner = new Cleaner(cleanup, decoded.sampleRate);
    const { samples, start } = cleaner.active ? cleaner.clean(decoded.samples) : { samples: decoded.samples, start: 0 };
    return { decoded, samples, start };
  }
}

/** Whether the settings turn any clean-up on. */
export function cleanupActive(c: CleanupSettings): boolean {
  return c.clicks || c.trimDb !== null || c.maxSilence !== null || c.normalise !== 'none';
}

/** The streaming clean-up's steps (`planCleanup`, `CleanedAudio`) for these settings: `Cleaner.clean`'s, block by block. */
export function cleanupSteps(c: CleanupSettings): CleanupSteps {
  return {
    clicks: c.clicks ? {} : null,
    trim: c.trimDb === null ? null : { thresholdDb: c.trimDb },
    silences: c.maxSilence === null ? null : { minSilence: c.maxSilence, thresholdDb: c.silenceDb },
    level: c.normalise === 'none' ? null : { method: c.normalise, target: c.level },
  };
}

/** Cleaner: the optional clean-up of a whole file (clicks, ends, long silences, level), in that order. */
export class Cleaner {
  constructor(
    private readonly cleanup: CleanupSettings,
    private readonly sampleRate: number,
  ) {}

  /** Whether any clean-up is on. */
  get active(): boolean {
    return cleanupActive(this.cleanup);
  }

  /**
   * The same steps for the streaming clean-up (`planCleanup` / `CleanedAudio` in audio/cleanup-stream.ts), which
   * gives `clean`'s samples from a reader a block at a time.
   */
  steps(): CleanupSteps {
    return cleanupSteps(this.cleanup);
  }

  /** Returns the cleaned samples and how many samples were cut from the start (to keep offsets true). */
  clean(samples: Float32Array): { samples: Float32Array; start: Samples } {
    const c = this.cleanup;
    const sr = this.sampleRate;
    let x = samples;
    let start = 0;
    if (c.clicks) x = removeEdgeClicks(x, sr);
    if (c.trimDb !== null) {
      const t = trimSilence(x, sr, { thresholdDb: c.trimDb });
      x = t.samples;
      start = t.start;
    }
    if (c.maxSilence !== null) x = removeSilences(x, sr, { minSilence: c.maxSilence, thresholdDb: c.silenceDb });
    if (c.normalise === 'peak') x = normalizePeak(x, c.level);
    else if (c.normalise === 'rms' || c.normalise === 'lufs') x = normalizeLoudness(x, sr, { method: c.normalise, target: c.level });
    return { samples: x, start };
  }
}

/** A clip cut from a recording: where it starts and how many real (unpadded) samples it has. */
export interface ClipSpan {
  offset: Samples;
  length: Samples;
}

/** Splitter: where the clips of a recording start ('first': one clip; 'clips': all, with overlap). */
export class Splitter {
  constructor(private readonly settings: Pick<PreprocessSettings, 'clip' | 'split' | 'overlap' | 'keepShort'>) {}

  spans(length: Samples): ClipSpan[] {
    const { clip, split, overlap, keepShort } = this.settings;
    if (length === 0) return [];
    if (split === 'first') return keepShort === 'drop' && length < clip ? [] : [{ offset: 0, length: Math.min(clip, length) }];
    return clipOffsets(length, clip, { overlap, keepShort }).map((offset) => ({ offset, length: Math.min(clip, length - offset) }));
  }
}

/** Padder: zero-pads a clip to the clip length, on the right (the reference) or evenly on both sides. */
export class Padder {
  constructor(private readonly settings: Pick<PreprocessSettings, 'clip' | 'pad'>) {}

  pad(samples: Float32Array): Float32Array {
    const { clip, pad } = this.settings;
    if (samples.length === clip) return samples;
    const out = new Float32Array(clip);
    const n = Math.min(clip, samples.length);
    out.set(samples.subarray(0, n), pad === 'center' ? Math.floor((clip - n) / 2) : 0);
    return out;
  }
}

/**
 * LogSpectrogramExtractor: |STFT| (periodic Hann, centred frames, reflect padding: librosa and torch.stft),
 * Nyquist bin dropped on request, in dB (librosa.amplitude_to_db); bins x frames, bin-major.
 * Keeps one STFT plan, so a worker extracts thousands of clips without re-planning. Runs the WebAssembly SIMD
 * kernel (dsp/spectrogram-wasm.ts: float32 FFT, within ~1e-4 dB of the float64 TypeScript path) where it can.
 */
export class LogSpectrogramExtractor implements FeatureExtractor {
  readonly shape: [number, number];
  /** Which implementation runs: the WebAssembly SIMD kernel, or the TypeScript STFT (float64 FFT). */
  readonly kernel: 'wasm' | 'js';
  private readonly plan: StftPlan;
  private readonly padded: Float64Array;
  private readonly re: Float32Array;
  private readonly im: Float32Array;
  private readonly wasm: WasmSpectrogramPlan | null;

  /**
   * @param options.kernel 'auto' (default): the WebAssembly kernel where it runs (SIMD, nFft a power of two
   * >= 8, a numeric ref), else TypeScript; 'js' forces the TypeScript path (as GriffinLim's option).
   */
  constructor(
    private readonly settings: Pick<PreprocessSettings, 'nFft' | 'hop' | 'clip' | 'dropNyquist' | 'db'>,
    options: { kernel?: 'auto' | 'js' } = {},
  ) {
    this.shape = spectrogramShape(settings);
    this.plan = new StftPlan({ nFft: settings.nFft, hop: settings.hop, center: true, padMode: 'reflect' }, this.shape[1], settings.clip);
    const useKernel = (options.kernel ?? 'auto') === 'auto' && wasmSpectrogramSupports(settings.nFft, settings.db);
    this.wasm = useKernel ? new WasmSpectrogramPlan(this.plan, this.shape[0], settings.db) : null;
    this.kernel = this.wasm ? 'wasm' : 'js';
    const size = this.wasm ? 0 : this.plan.frames * this.plan.bins;
    this.padded = new Float64Array(this.wasm ? 0 : this.plan.paddedLength);
    this.re = new Float32Array(size);
    this.im = new Float32Array(size);
  }

  /** The log-magnitude spectrogram of one clip of exactly `clip` samples. */
  extract(signal: Float32Array): Float32Array {
    if (this.wasm) return this.wasm.extract(signal);
    const [outBins, frames] = this.shape;
    const { bins } = this.plan;
    this.plan.load(signal, this.padded);
    this.plan.analyze(this.padded, this.re, this.im);
    // Frame-major complex -> bin-major magnitude, keeping the first outBins bins.
    const mag = new Float32Array(outBins * frames);
    const { re, im } = this;
    for (let t = 0; t < frames; t++) {
      const o = t * bins;
      for (let k = 0; k < outBins; k++) {
        const a = re[o + k]!,
          b = im[o + k]!;
        mag[k * frames + t] = Math.sqrt(a * a + b * b); // not Math.hypot: several times slower in V8
      }
    }
    return amplitudeToDb(mag, this.settings.db);
  }
}

/**
 * The extractor the settings ask for: MelFeatureExtractor for `features` mel/mfcc, else LogSpectrogramExtractor.
 * @example createExtractor(resolveSettings('digits')).extract(clip) // 256 x 64 log-magnitude STFT
 */
export function createExtractor(settings: PreprocessSettings): FeatureExtractor {
  const { features } = settings;
  return features ? new MelFeatureExtractor({ ...settings, features }) : new LogSpectrogramExtractor(settings);
}

/** MinMaxNormaliser: scales values to [0, 1] with their own min and max, kept to undo it. */
export class MinMaxNormaliser {
  /** Normalises in place; a constant input becomes all zeros. */
  normalise(data: Float32Array): { data: Float32Array; min: number; max: number } {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min;
    const scale = range > 0 ? 1 / range : 0;
    for (let i = 0; i < data.length; i++) data[i] = (data[i]! - min) * scale;
    return { data, min, max };
  }

  /** The inverse: `x * (max - min) + min`, into a new array. */
  static denormalise(data: Float32Array, min: number, max: number): Float32Array {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! * (max - min) + min;
    return out;
  }
}

/** One spectrogram made from a file, with what the manifest keeps about it. */
export interface ClipResult {
  /** Start in the (cleaned) source, seconds. */
  offset: Seconds;
  /** Sound in the clip before padding, seconds. */
  duration: Seconds;
  min: number;
  max: number;
  data: Float32Array;
}

/** A decoded, cleaned file, ready to cut. */
export interface PreparedFile {
  decoded: DecodedMono;
  /** Cleaned mono samples at the file's rate. */
  samples: Float32Array;
  /** Samples trimmed from the start. */
  start: Samples;
}

/** A file opened for cutting into clips. */
interface OpenedFile {
  reader: ClipReader;
  /** Seconds cut from the file's start by clean-up, so clip offsets stay true to the source. */
  trimmed: Seconds;
  close(): Promise<void>;
}

/**
 * A reader that several shares of one file may use at once. An unshared file's is closed when its one user is
 * done; a kept one (a shared file's) when the last user is done after it was retired (another file replaced it).
 */
class SharedSource {
  private users = 0;
  private retired = false;

  constructor(
    readonly file: string,
    readonly reader: AudioReader,
    private readonly keep: boolean,
  ) {}

  acquire(): this {
    this.users++;
    return this;
  }

  async release(): Promise<void> {
    this.users--;
    if (this.users === 0 && (this.retired || !this.keep)) await this.reader.close();
  }

  /** No later share will ask for it: close it as soon as no one reads it. */
  async retire(): Promise<void> {
    this.retired = true;
    if (this.users === 0) await this.reader.close();
  }
}

/** A step of planning a shared file's clean-up, run by `FileProcessor.measure` on any worker. */
export type MeasureJob =
  | { kind: 'start'; clicks: CleanupSteps['clicks'] }
  | { kind: 'frames'; plan: CleanupPlan; geometry: FrameGeometry; range: FrameRange }
  | { kind: 'gain'; plan: CleanupPlan; level: LevelStep };

/** What a `MeasureJob` gives. */
export type MeasureResult<J extends MeasureJob> = J extends { kind: 'start' } ? PlanStart : J extends { kind: 'frames' } ? undefined : Ratio | undefined;

/** Which consecutive share of a file's clips to make: the `part`-th of `parts`, cleaned by `plan` when given. */
export interface FileShare {
  part: number;
  parts: number;
  plan?: CleanupPlan;
}

/** Why a clip was left out; counted in the summary. */
export type ClipSkip = 'silent' | 'too short';

/**
 * Runs the stages on one file, yielding clips one at a time so a long recording never holds all its
 * spectrograms at once.
 */
export class FileProcessor {
  readonly loader: Loader;
  readonly splitter: Splitter;
  readonly padder: Padder;
  readonly extractor: FeatureExtractor;
  readonly normaliser = new MinMaxNormaliser();

  constructor(
    readonly settings: PreprocessSettings,
    /** Output samples resampled at once when cutting a whole recording (about 47 s at 22.05 kHz); tests make it small. */
    private readonly blockSamples: Samples = 1 << 20,
    /** How compressed files are streamed (`minBytes`: smaller ones are decoded whole); tests stream tiny files. */
    private readonly stream: Partial<StreamOptions> = {},
    /** Input samples read at once by the streaming clean-up's passes (default theirs); tests make it small. */
    private readonly cleanupChunk?: Samples,
  ) {
    this.loader = new Loader(settings);
    this.splitter = new Splitter(settings);
    this.padder = new Padder(settings);
    this.extractor = createExtractor(settings);
  }

  /** The last shared file prepared, so the next share of it on this thread skips decoding. */
  private cached?: { file: string; prepared: Promise<PreparedFile> };
  /** The last shared file's clean-up plan, so the next share of it on this thread skips the planning passes. */
  private cachedPlan?: { file: string; plan: Promise<CleanupPlan> };
  /** The last shared file opened for streaming, kept open for its other shares on this thread (an mp3 scans its headers once). */
  private cachedSource?: SharedSource;

  /**
   * Decodes and cleans a file (clean-up runs at the file's own rate, on the whole file; clips are resampled
   * later, block by block). A shared file is kept for its other shares; any other file drops it.
   */
  private prepare(file: string, shared: boolean): Promise<PreparedFile> {
    if (this.cached?.file === file) return this.cached.prepared;
    const prepared = this.loader.decodeCleaned(file, this.settings.cleanup);
    this.cached = shared ? { file, prepared } : undefined;
    return prepared;
  }

  /**
   * Opens a file to be read on demand where it can be (WAV by byte range; mp3, FLAC, Ogg Vorbis and Opus decoded
   * as read), so memory stays a few blocks whatever its length. A WAV share reads only its own range; a streamed
   * compressed share decodes from the file's start (the pipeline gives such files one task, not shares).
   * With clean-up on, such a file is cleaned as it is read (`cleanedAudio`); other formats are decoded whole, and
   * so is a compressed file shared among workers with clean-up on (the pipeline shares those, as they used to be
   * decoded whole; streamed, each share would decode from the start).
   */
  private async open(file: string, shared: boolean, block: Samples, plan?: CleanupPlan): Promise<OpenedFile> {
    const { sampleRate, resampleQuality, cleanup } = this.settings;
    const wholeShare = shared && cleanupActive(cleanup) && (await isForwardOnly(file));
    const source = wholeShare ? undefined : await this.openSource(file, shared);
    if (source) {
      this.cached = undefined; // nothing to keep for a streamed file; drop any other file's decode
      if (plan) this.cachedPlan = { file, plan: Promise.resolve(plan) };
      const { reader, trimmed } = await this.cleanedAudio(file, source.reader, shared).catch(async (err) => {
        await source.release();
        throw err;
      });
      return { reader: streamedReader(reader, sampleRate, resampleQuality, block), trimmed, close: () => source.release() };
    }
    const { decoded, samples, start } = await this.prepare(file, shared);
    const reader = resampledReader(samples, decoded.sampleRate, sampleRate, resampleQuality, block);
    return { reader, trimmed: start / decoded.sampleRate, close: async () => undefined };
  }

  /**
   * A file opened to be read on demand (undefined: it must be decoded whole). A shared file's reader is kept for
   * its other shares on this thread and closed once another file replaces it and no share still reads it.
   */
  private async openSource(file: string, shared: boolean): Promise<SharedSource | undefined> {
    if (shared && this.cachedSource?.file === file) return this.cachedSource.acquire();
    const old = this.cachedSource;
    this.cachedSource = undefined;
    await old?.retire();
    const reader = await openStreamingAudio(file, this.stream);
    if (!reader) return undefined;
    const source = new SharedSource(file, reader, shared);
    if (shared) this.cachedSource = source;
    return source.acquire();
  }

  /**
   * One step of planning a shared file's clean-up (`planCleanupWith`, which the pipeline runs with the frames
   * of each pass shared among workers): the input's start, frame levels of a range, or the level's gain. The
   * file stays open for the next step and for its shares. Null when the file is decoded whole, not read on demand.
   * @throws UserError "FILE: cause" when the file cannot be decoded.
   */
  async measure<J extends MeasureJob>(file: string, job: J): Promise<MeasureResult<J> | null> {
    const source = await this.openSource(file, true);
    if (!source) return null;
    const chunk = this.cleanupChunk === undefined ? {} : { chunk: this.cleanupChunk };
    try {
      const reader = source.reader;
      if (job.kind === 'start') return (await planStart(reader, job.clicks)) as MeasureResult<J>;
      if (job.kind === 'frames') return (await measureFrames(reader, job.plan, job.geometry, job.range, chunk)) as MeasureResult<J>;
      return (await measureGain(reader, job.plan, job.level, chunk)) as MeasureResult<J>;
    } finally {
      await source.release();
    }
  }

  /** Closes the file kept open for the shares of a long file (at the end of a run). */
  async closeShared(): Promise<void> {
    const old = this.cachedSource;
    this.cachedSource = undefined;
    this.cachedPlan = undefined;
    await old?.retire();
  }

  /**
   * A streamed file, cleaned as it is read when clean-up is on: the planning passes read it (one per step that
   * needs a whole-file statistic), then `CleanedAudio` gives the same samples as `Cleaner.clean` on the whole
   * decode, read on demand. A shared file's plan is kept for its other shares on this thread, so each share reads
   * only its own range.
   */
  private async cleanedAudio(file: string, audio: AudioReader, shared: boolean): Promise<{ reader: AudioReader; trimmed: Seconds }> {
    const cleaner = new Cleaner(this.settings.cleanup, audio.info.sampleRate);
    if (!cleaner.active) return { reader: audio, trimmed: 0 };
    let plan = this.cachedPlan?.file === file ? this.cachedPlan.plan : undefined;
    if (!plan) {
      plan = planCleanup(audio, cleaner.steps(), this.cleanupChunk === undefined ? {} : { chunk: this.cleanupChunk });
      this.cachedPlan = shared ? { file, plan } : undefined;
    }
    try {
      const reader = new CleanedAudio(audio, await plan);
      return { reader, trimmed: reader.plan.start / audio.info.sampleRate };
    } catch (err) {
      if (this.cachedPlan?.plan === plan) this.cachedPlan = undefined;
      throw err;
    }
  }

  /**
   * Clips of a file, and the clips skipped (with why) through `onSkip`. With `share`, only the `part`-th of
   * `parts` consecutive shares of the clips (so workers can split a long recording), cleaned by `share.plan`
   * when given (made once for all the shares, from `measure`'s steps).
   * @throws UserError "FILE: cause" when the file cannot be decoded.
   */
  async *process(file: string, onSkip: (why: ClipSkip) => void = () => undefined, share: FileShare = { part: 0, parts: 1 }): AsyncGenerator<ClipResult> {
    const sr = this.settings.sampleRate;
    // One clip from the start resamples only that clip; long recordings a block at a time.
    const block = this.settings.split === 'first' ? this.settings.clip : Math.max(this.settings.clip, this.blockSamples);
    const { reader, trimmed, close } = await this.open(file, share.parts > 1, block, share.plan);
    try {
      const minLength = this.settings.minDuration * sr;
      const all = this.splitter.spans(reader.length);
      // Shorter than one clip, and short ones dropped (counted once for a shared file).
      if (all.length === 0 && reader.length > 0 && share.part === 0) onSkip('too short');
      const spans = all.slice(Math.floor((share.part * all.length) / share.parts), Math.floor(((share.part + 1) * all.length) / share.parts));
      const last = spans.at(-1);
      const until = last ? last.offset + last.length : 0;
      for (const span of spans) {
        const clip = await reader.read(span.offset, span.offset + span.length, until);
        if (span.length < minLength) {
          onSkip('too short');
          continue;
        }
        if (peak(clip) === 0) {
          onSkip('silent');
          continue;
        }
        const { data, min, max } = this.normaliser.normalise(this.extractor.extract(this.padder.pad(clip)));
        yield { offset: trimmed + span.offset / sr, duration: span.length / sr, min, max, data };
      }
    } finally {
      await close();
    }
  }
}
