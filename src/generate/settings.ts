/**
 * The preprocessing a checkpoint was trained with (the dataset manifest's settings, kept in the checkpoint), and
 * the dataset pipeline's own stages run with it, so audio files given to generate/reconstruct/interpolate become
 * exactly the spectrograms the model learnt from, with the clip's real audio kept for listening.
 */
import { peak } from '../audio/cleanup.ts';
import type { FeatureExtractor } from '../dataset/features.ts';
import { createExtractor, Loader, LogSpectrogramExtractor, MinMaxNormaliser, Padder, resampleRange, Splitter, type ClipSpan } from '../dataset/stages.ts';
import { resampledLength } from '../audio/resample.ts';
import type { PreprocessSettings } from '../dataset/presets.ts';
import { UserError } from '../errors.ts';
import type { Samples, Seconds } from '../units.ts';
import type { DbRange } from './invert.ts';
import type { ClipSettings } from './spectra.ts';

/**
 * The parts of a loaded checkpoint these functions read. Its settings were checked when it was loaded
 * (`loadCheckpoint` parses them into `RecordedSettings`), so nothing here checks them again.
 */
export interface CheckpointLike {
  dir: string;
  inputShape: [number, number];
  dataset: { preprocessing: PreprocessSettings };
}

/** What spectrogram <-> audio conversion needs, from the checkpoint. */
export function clipSettings(ckpt: CheckpointLike): ClipSettings {
  const p = ckpt.dataset.preprocessing;
  const [bins, frames] = ckpt.inputShape;
  return { sampleRate: p.sampleRate, clipSamples: p.clip, stft: { nFft: p.nFft, hop: p.hop }, bins, frames };
}

/** One clip of a file as the model sees it, with its audio. */
export interface PreparedClip {
  /** The source file. */
  file: string;
  /** Start in the cleaned source. */
  offset: Seconds;
  /** The clip's samples after clean-up and padding: the "original" to listen to. */
  audio: Float32Array;
  /** Normalised spectrogram, bins x frames, bin-major. */
  x01: Float32Array;
  range: DbRange;
}

/** A whole file cut into clips that cover all of it (see `ClipPreparer.cover`). */
export interface FileCover {
  file: string;
  /** The file after loading and clean-up: the whole "original" to listen to. */
  samples: Float32Array;
  /** The clips in order; the last may be short (it is padded like preprocessing pads). */
  spans: ClipSpan[];
  /** Samples between clip starts: a multiple of the STFT hop (see `coverHop`). */
  hop: Samples;
}

/**
 * The shortest overlap whole-file covers use: 20 ms (at most an eighth of a clip), and at least `nFft - hop` so
 * that, where two clips meet, every frame of the file is a frame of one of them whose window lies wholly inside
 * its real samples (a clip's first and last `nFft / 2` samples of frames were computed with padding). A checkpoint
 * trained with more overlap keeps its own.
 */
export function joinSamples(clip: Samples, sampleRate: number, stft?: { nFft: Samples; hop: Samples }): Samples {
  const short = Math.min(Math.floor(clip / 8), Math.round(0.02 * sampleRate));
  return stft ? Math.max(short, stft.nFft - stft.hop) : short;
}

/**
 * The clip hop of a whole-file cover: the checkpoint's own (clip x (1 - overlap)), shortened to leave
 * `joinSamples` of overlap, and rounded DOWN to a multiple of the STFT hop (at least one hop), so every clip's
 * centred frames are frames of the file's own STFT: frame j of a clip at offset o is the file's frame o / hop + j.
 */
export function coverHop(settings: Pick<PreprocessSettings, 'clip' | 'overlap' | 'sampleRate' | 'nFft' | 'hop'>): Samples {
  const { clip, overlap, sampleRate, nFft, hop } = settings;
  const wanted = Math.min(Math.round(clip * (1 - overlap)), clip - joinSamples(clip, sampleRate, { nFft, hop }));
  return Math.max(1, Math.floor(wanted / hop)) * hop;
}

/** Runs the dataset stages on a file, keeping each clip's audio. */
export class ClipPreparer {
  private readonly loader: Loader;
  private readonly splitter: Splitter;
  private readonly padder: Padder;
  private readonly extractor: FeatureExtractor;
  private readonly normaliser = new MinMaxNormaliser();

  constructor(readonly settings: PreprocessSettings) {
    this.loader = new Loader(settings);
    this.splitter = new Splitter(settings);
    this.padder = new Padder(settings);
    this.extractor = createExtractor(settings);
  }

  /**
   * A clip of audio (already at the settings' rate) as preprocessing would store it: padded to the clip length,
   * its normalised log spectrogram and dB range. What a classifier trained on the dataset should see of it.
   */
  fromAudio(audio: Float32Array): { x01: Float32Array; range: DbRange } {
    const { data, min, max } = this.normaliser.normalise(this.extractor.extract(this.padder.pad(audio).slice()));
    return { x01: data, range: { min, max } };
  }

  /** The clip's spectrogram from its (padded) audio. */
  private prepare(file: string, offset: Seconds, clip: Float32Array): PreparedClip {
    const audio = this.padder.pad(clip).slice();
    const { data, min, max } = this.normaliser.normalise(this.extractor.extract(audio));
    return { file, offset, audio, x01: data, range: { min, max } };
  }

  /**
   * A file's samples as preprocessing made its clips (decoding errors become "FILE: cause"): cleaned at the
   * file's own rate, then resampled, and the seconds of leading silence the clean-up trimmed (dataset offsets
   * count from the file's start, trimmed part included).
   */
  private async cleaned(file: string): Promise<{ samples: Float32Array; trimmed: Seconds }> {
    const { decoded, samples, start } = await this.loader.decodeCleaned(file, this.settings.cleanup);
    const from = decoded.sampleRate;
    const { sampleRate, resampleQuality } = this.settings;
    const resampled = resampleRange(samples, from, sampleRate, resampleQuality, 0, resampledLength(samples.length, from, sampleRate));
    return { samples: resampled, trimmed: start / from };
  }

  /**
   * The first `max` non-silent clips of a file, as preprocessing would cut them.
   * @throws UserError "FILE: ..." when it cannot be read or holds no sound.
   */
  async clips(file: string, max = 1): Promise<PreparedClip[]> {
    const { samples, trimmed } = await this.cleaned(file);
    const out: PreparedClip[] = [];
    for (const span of this.splitter.spans(samples.length)) {
      const clip = samples.subarray(span.offset, span.offset + span.length);
      if (peak(clip) === 0) continue;
      out.push(this.prepare(file, trimmed + span.offset / this.settings.sampleRate, clip));
      if (out.length >= max) break;
    }
    if (out.length === 0) throw new UserError(`${file}: no sound to use (silent, empty or shorter than a clip)`);
    return out;
  }

  /**
   * The whole file cut into the checkpoint's clips: its clip length and overlap (as split 'clips' cuts them),
   * whatever its split was, with a short trailing clip kept (padded) so every sample is covered. The clip hop is
   * `coverHop`: a multiple of the STFT hop, so clips' frames land on the file's frame grid, with enough overlap
   * for the frames near clip edges to come from a neighbour.
   * @throws UserError "FILE: ..." when it cannot be read or is empty.
   */
  async cover(file: string): Promise<FileCover> {
    const { samples } = await this.cleaned(file);
    const { clip } = this.settings;
    if (samples.length === 0) throw new UserError(`${file}: no sound to use (empty)`);
    const hop = coverHop(this.settings);
    const spans: ClipSpan[] = [];
    let offset = 0;
    for (; offset + clip <= samples.length; offset += hop) spans.push({ offset, length: clip });
    const coveredTo = spans.length ? spans.at(-1)!.offset + clip : 0;
    if (coveredTo < samples.length) spans.push({ offset, length: samples.length - offset });
    return { file, samples, spans, hop };
  }

  /**
   * A whole file's samples as one item: the log spectrogram of its first `length` samples (zero-padded past its
   * end, as preprocessing pads a short clip), normalised with its own dB range. For models that take any width.
   */
  wholeSpectrogram(samples: Float32Array, length: Samples): { x01: Float32Array; range: DbRange } {
    const audio = new Float32Array(length);
    audio.set(samples.subarray(0, length));
    const extractor = new LogSpectrogramExtractor({ ...this.settings, clip: length });
    const { data, min, max } = this.normaliser.normalise(extractor.extract(audio));
    return { x01: data, range: { min, max } };
  }

  /** One clip of a cover, prepared like `clips` prepares it (padded, spectrogram, range). */
  clipOf(cover: FileCover, span: ClipSpan): PreparedClip {
    return this.prepare(cover.file, span.offset / this.settings.sampleRate, cover.samples.subarray(span.offset, span.offset + span.length));
  }

  /** Where the `length` real samples of a short clip start after padding (0 for right padding). */
  contentStart(length: Samples): Samples {
    const { clip, pad } = this.settings;
    return pad === 'center' && length < clip ? Math.floor((clip - length) / 2) : 0;
  }

  /** The clip of a file at a dataset item's `offset`: seconds from the file's start, trimmed silence included. */
  async clipAt(file: string, offset: Seconds): Promise<PreparedClip> {
    const { samples, trimmed } = await this.cleaned(file);
    const start = Math.max(0, Math.round((offset - trimmed) * this.settings.sampleRate));
    return this.prepare(file, offset, samples.subarray(start, start + this.settings.clip));
  }
}
