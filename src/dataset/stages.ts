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
import { toMono } from '../audio/mono.ts';
import { RESAMPLE_QUALITIES, resample } from '../audio/resample.ts';
import {
  clipOffsets,
  normalizeLoudness,
  normalizePeak,
  peak,
  removeEdgeClicks,
  removeSilences,
  trimSilence,
} from '../audio/cleanup.ts';
import { amplitudeToDb } from '../dsp/db.ts';
import { StftPlan } from '../dsp/stft.ts';
import type { Samples, Seconds } from '../units.ts';
import { spectrogramShape, type CleanupSettings, type PreprocessSettings } from './presets.ts';

/** Loaded audio: mono at the target rate, and how long the file was. */
export interface LoadedClipSource {
  samples: Float32Array;
  /** The file's full duration, before any cut. */
  duration: Seconds;
}

/**
 * Loader: decode, mix to mono, resample to the target rate. Given `maxSamples`, only what that many output
 * samples need is resampled, as `librosa.load(duration=...)` reads only that much.
 */
export class Loader {
  constructor(private readonly settings: Pick<PreprocessSettings, 'sampleRate' | 'resampleQuality'>) {}

  /**
   * @param file any format the audio layer decodes.
   * @param maxSamples keep at most this many samples at the target rate (default: all).
   */
  async load(file: string, maxSamples?: Samples): Promise<LoadedClipSource> {
    const { sampleRate, resampleQuality } = this.settings;
    const { info, channels } = await decodeAudio(file);
    let mono = toMono(channels);
    const from = info.sampleRate;
    if (maxSamples !== undefined) {
      // Keep enough input for the filter's reach past the cut, so the kept samples are exactly those of
      // resampling the whole file
      // (up to rounding: the resampler sums edge samples in another order).
      const filter = RESAMPLE_QUALITIES[resampleQuality];
      const reach = Math.ceil((filter.zeros / filter.rolloff) * Math.max(1, from / sampleRate)) + 2;
      const need = Math.ceil((maxSamples * from) / sampleRate) + reach;
      if (mono.length > need) mono = mono.subarray(0, need);
    }
    let samples = resample(mono, from, sampleRate, { quality: resampleQuality });
    if (maxSamples !== undefined && samples.length > maxSamples) samples = samples.subarray(0, maxSamples);
    return { samples, duration: info.frames / from };
  }
}

/** Cleaner: the optional clean-up of a whole file (clicks, ends, long silences, level), in that order. */
export class Cleaner {
  constructor(
    private readonly cleanup: CleanupSettings,
    private readonly sampleRate: number,
  ) {}

  /** Whether any clean-up is on. */
  get active(): boolean {
    const c = this.cleanup;
    return c.clicks || c.trimDb !== null || c.maxSilence !== null || c.normalise !== 'none';
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
 * Keeps one STFT plan, so a worker extracts thousands of clips without re-planning.
 */
export class LogSpectrogramExtractor {
  readonly shape: [number, number];
  private readonly plan: StftPlan;
  private readonly padded: Float64Array;
  private readonly re: Float32Array;
  private readonly im: Float32Array;

  constructor(private readonly settings: Pick<PreprocessSettings, 'nFft' | 'hop' | 'clip' | 'dropNyquist' | 'db'>) {
    this.shape = spectrogramShape(settings);
    this.plan = new StftPlan({ nFft: settings.nFft, hop: settings.hop, center: true, padMode: 'reflect' }, this.shape[1], settings.clip);
    this.padded = new Float64Array(this.plan.paddedLength);
    this.re = new Float32Array(this.plan.frames * this.plan.bins);
    this.im = new Float32Array(this.plan.frames * this.plan.bins);
  }

  /** The log-magnitude spectrogram of one clip of exactly `clip` samples. */
  extract(signal: Float32Array): Float32Array {
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
        const a = re[o + k]!, b = im[o + k]!;
        mag[k * frames + t] = Math.sqrt(a * a + b * b); // not Math.hypot: several times slower in V8
      }
    }
    return amplitudeToDb(mag, this.settings.db);
  }
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

/** Why a clip was left out; counted in the summary. */
export type ClipSkip = 'silent' | 'too short';

/**
 * Runs the stages on one file, yielding clips one at a time so a long recording never holds all its
 * spectrograms at once.
 */
export class FileProcessor {
  readonly loader: Loader;
  readonly cleaner: Cleaner;
  readonly splitter: Splitter;
  readonly padder: Padder;
  readonly extractor: LogSpectrogramExtractor;
  readonly normaliser = new MinMaxNormaliser();

  constructor(readonly settings: PreprocessSettings) {
    this.loader = new Loader(settings);
    this.cleaner = new Cleaner(settings.cleanup, settings.sampleRate);
    this.splitter = new Splitter(settings);
    this.padder = new Padder(settings);
    this.extractor = new LogSpectrogramExtractor(settings);
  }

  /**
   * Clips of a file, and the clips skipped (with why) through `onSkip`.
   * @throws UserError "FILE: cause" when the file cannot be decoded.
   */
  async *process(file: string, onSkip: (why: ClipSkip) => void = () => undefined): AsyncGenerator<ClipResult> {
    const sr = this.settings.sampleRate;
    // One clip from the start needs only its own samples, unless clean-up may move the start.
    const firstOnly = this.settings.split === 'first' && !this.cleaner.active;
    const { samples: loaded } = await this.loader.load(file, firstOnly ? this.settings.clip : undefined);
    const { samples, start } = this.cleaner.active ? this.cleaner.clean(loaded) : { samples: loaded, start: 0 };
    const minLength = this.settings.minDuration * sr;
    const spans = this.splitter.spans(samples.length);
    if (spans.length === 0 && samples.length > 0) onSkip('too short'); // shorter than one clip, and short ones dropped
    for (const span of spans) {
      const clip = samples.subarray(span.offset, span.offset + span.length);
      if (span.length < minLength) {
        onSkip('too short');
        continue;
      }
      if (peak(clip) === 0) {
        onSkip('silent');
        continue;
      }
      const { data, min, max } = this.normaliser.normalise(this.extractor.extract(this.padder.pad(clip)));
      yield { offset: (start + span.offset) / sr, duration: span.length / sr, min, max, data };
    }
  }
}
