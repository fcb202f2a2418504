/**
 * Whole-file reconstruction: a file cut into the checkpoint's clips, each encoded and decoded, the clips'
 * magnitudes blended into the file's on one STFT grid, and one Griffin-Lim over the whole file.
 */
import { peak } from '../audio/cleanup.ts';
import type { ClipSpan } from '../dataset/stages.ts';
import { frameCount, logSpectralDistance, magnitude, spectralConvergence, stft, type Spectrogram } from '../dsp/index.ts';
import { UserError } from '../errors.ts';
import type { Scores } from '../dsp/metrics.ts';
import type { Samples } from '../units.ts';
import { DEFAULT_FILE_RECONSTRUCT } from './defaults.ts';
import { invertMagnitudes, limitPeaks } from './invert.ts';
import { decodeLatents, encodeItems } from './model.ts';
import { framesPerStep, widenVae } from '../model/vae.ts';
import { disposeVae } from '../train/checkpoint.ts';
import { safeStem, type Generator } from './operations.ts';
import type { FileCover } from './settings.ts';
import { audioLevels, cropSpectrogram, itemMagnitude, levelTo } from './spectra.ts';

/** A whole file reconstructed clip by clip, its clips' magnitudes blended and inverted as one. */
export interface FileReconstruction {
  name: string;
  label?: string;
  file: string;
  /** The file after the checkpoint's loading and clean-up (what its clips were cut from). */
  original: Float32Array;
  /** Clips the file was cut into, and how many of them had sound (were encoded and decoded). */
  clips: number;
  scored: number;
  /** Inverted whole, as long as `original`; scores against the whole file's spectrogram (see `reconstructFile`). */
  oracle: { audio: Float32Array; scores: Scores };
  reconstruction: { audio: Float32Array; scores: Scores };
}

export interface FileReconstructOptions {
  /** Output name (default: the file's stem). */
  name: string;
  /** Clips encoded and decoded together: bounds memory on long files. */
  batch: number;
  /**
   * Where clips overlap by more than their padded edge frames, the longest blend between them, seconds: a clip's
   * weight rises over this many samples from its first and last clean frames.
   */
  fade: number;
  /** Called before the first batch and after each with clips done and in all. */
  onProgress?: (done: number, total: number) => void;
}

export { DEFAULT_FILE_RECONSTRUCT } from './defaults.ts';

/** Weight of a clip's frame whose window reaches past its real samples, relative to a clean one. */
const EDGE_WEIGHT = 1e-3;

/**
 * A whole file's magnitude spectrogram (the file's own STFT grid: centred frames, `nFft / 2 + 1` bins) blended
 * from its clips' spectrograms. The cover's clip hop is a multiple of the STFT hop, so frame j of a clip at offset
 * o is the file's frame o / hop + j. Where clips overlap, each frame is the weighted mean of the clips' frames,
 * weights summing to one: a frame whose window lies wholly in its clip's real samples ("clean") weighs far more
 * than one computed with padding (its clip's first and last `nFft / 2` samples), and clean frames rise linearly
 * over `fade` samples from the clip's last clean frame, so wide overlaps blend. Silent clips count as zeros.
 */
export class MagnitudeStitcher {
  readonly bins: number;
  readonly frames: number;
  private readonly data: Float32Array;
  private readonly weightSum: Float64Array;
  private readonly stft: { nFft: Samples; hop: Samples };
  private readonly fade: Samples;

  /**
   * @param length the file's samples.
   * @param spans the cover's clips; `contentStart(span)` where its real samples start in its padded clip.
   * @param clipFrames frames of a clip's spectrogram.
   */
  constructor(
    length: Samples,
    private readonly spans: ClipSpan[],
    stft: { nFft: Samples; hop: Samples },
    private readonly clipFrames: number,
    private readonly contentStart: (span: ClipSpan) => Samples,
    fade: Samples,
  ) {
    this.stft = { nFft: stft.nFft, hop: stft.hop };
    this.bins = Math.floor(stft.nFft / 2) + 1;
    this.frames = frameCount(length, this.stft);
    this.data = new Float32Array(this.bins * this.frames);
    this.weightSum = new Float64Array(this.frames);
    this.fade = Math.max(stft.hop, fade);
    spans.forEach((_, i) => this.each(i, (t, w) => (this.weightSum[t]! += w)));
  }

  /** The file frame of each of clip i's frames that falls in the file, with its weight. */
  private each(i: number, f: (fileFrame: number, weight: number, clipFrame: number) => void): void {
    const span = this.spans[i]!;
    const { nFft, hop } = this.stft;
    const half = nFft / 2;
    const start = this.contentStart(span);
    // Exact for right-padded and full clips; a centre-padded short clip lands on the nearest frame.
    const first = Math.round((span.offset - start) / hop);
    for (let j = 0; j < this.clipFrames; j++) {
      const t = first + j;
      if (t < 0 || t >= this.frames) continue;
      const p = j * hop;
      const d = Math.min(p - start, start + span.length - p); // from the frame's centre to the nearer end of the real samples
      const w = d >= half ? Math.min(1, (d - half + hop) / this.fade) : EDGE_WEIGHT * Math.max(1e-3, (d + half) / (2 * half));
      f(t, w, j);
    }
  }

  /** Adds clip i's linear magnitudes (`nFft / 2 + 1` bins x `clipFrames`, bin-major). */
  add(i: number, mag: Spectrogram): void {
    if (mag.bins !== this.bins || mag.frames !== this.clipFrames)
      throw new RangeError(`expected ${this.bins} x ${this.clipFrames} magnitudes, got ${mag.bins} x ${mag.frames}`);
    this.each(i, (t, w, j) => {
      const share = w / this.weightSum[t]!;
      for (let k = 0; k < this.bins; k++) this.data[k * this.frames + t]! += share * mag.data[k * mag.frames + j]!;
    });
  }

  /** The blended magnitude (file frames no clip reaches stay zero). */
  result(): Spectrogram {
    return { bins: this.bins, frames: this.frames, data: this.data };
  }
}

/**
 * Reconstructs a whole file: cuts it into the checkpoint's clips (`ClipPreparer.cover`, clip hop on the STFT's
 * frame grid), encodes each clip with sound to its latent mean and decodes `batch` clips at a time, de-normalises
 * each clip's spectrogram (the true one for the oracle, the decoded one for the reconstruction) with its own dB
 * range to linear magnitude, blends them into the file's magnitude (`MagnitudeStitcher`), and runs ONE
 * Griffin-Lim over the whole file (the generator's options, the file's length), so the phase is coherent across
 * clips and original, oracle and reconstruction line up sample for sample. Silent clips stay silent. Both outputs
 * are scored against the file's own STFT magnitude (the bins the model has), before their peaks are limited for
 * writing (`limitPeaks`).
 * @throws UserError "FILE: ..." when the file cannot be read or holds no sound.
 */
export async function reconstructFile(g: Generator, file: string, options: Partial<FileReconstructOptions> = {}): Promise<FileReconstruction> {
  const o = { ...DEFAULT_FILE_RECONSTRUCT, ...options };
  const cover: FileCover = await g.preparer.cover(file);
  const { samples, spans } = cover;
  const sounding = spans.map((_, i) => i).filter((i) => peak(samples.subarray(spans[i]!.offset, spans[i]!.offset + spans[i]!.length)) > 0);
  if (sounding.length === 0) throw new UserError(`${file}: no sound to use (silent)`);
  const stitch = () =>
    new MagnitudeStitcher(samples.length, spans, g.clip.stft, g.clip.frames, (span) => g.preparer.contentStart(span.length), o.fade * g.clip.sampleRate);
  const oracle = stitch();
  const recon = stitch();
  const batch = Math.max(1, Math.floor(o.batch));
  o.onProgress?.(0, sounding.length);
  for (let b = 0; b < sounding.length; b += batch) {
    const idx = sounding.slice(b, b + batch);
    const clips = idx.map((i) => g.preparer.clipOf(cover, spans[i]!));
    const x = clips.map((c) => c.x01);
    const { mu } = encodeItems(g.model.vae, x);
    const decoded = decodeLatents(g.model.vae, mu);
    idx.forEach((i, k) => {
      oracle.add(i, itemMagnitude(x[k]!, clips[k]!.range, g.clip));
      recon.add(i, itemMagnitude(decoded[k]!, clips[k]!.range, g.clip));
    });
    o.onProgress?.(Math.min(b + batch, sounding.length), sounding.length);
  }
  return finishFile(g, file, o.name, samples, oracle.result(), recon.result(), spans.length, sounding.length);
}

/**
 * Inverts a file's oracle and reconstructed magnitudes in ONE Griffin-Lim (the generator's options, the file's
 * length) and scores both against the file's own STFT magnitude, on the bins the model has (a dropped Nyquist
 * bin is no one's error) and within the dataset's dynamic range (top_db below the file's peak), so digital
 * silence does not decide the LSD. The reconstruction is written at the file's own loudness.
 */
function finishFile(
  g: Generator,
  file: string,
  name: string | undefined,
  samples: Float32Array,
  oracleMag: Spectrogram,
  reconMag: Spectrogram,
  clips: number,
  scored: number,
): FileReconstruction {
  const [oa, ra] = invertMagnitudes([oracleMag, reconMag], g.clip.stft, samples.length, g.invert);
  const view = (audio: Float32Array) => cropSpectrogram(magnitude(stft(audio, g.clip.stft)), g.clip.bins, oracleMag.frames);
  const truth = view(samples);
  const { topDb } = g.preparer.settings.db; // null = the dataset kept its whole range: no floor
  const floor = topDb === null ? 0 : truth.data.reduce((m, v) => Math.max(m, v), 0) * 10 ** (-topDb / 20);
  const floored = (sp: Spectrogram) => ({ ...sp, data: sp.data.map((v) => Math.max(v, floor)) });
  const target = floored(truth);
  const score = (audio: Float32Array): Scores => {
    const estimate = floored(view(audio));
    return { spectralConvergence: spectralConvergence(estimate, target), logSpectralDistance: logSpectralDistance(estimate, target) };
  };
  // A blurred spectrogram comes back quiet: the reconstruction is brought to the file's own loudness.
  const written = limitPeaks(levelTo(ra!, audioLevels(samples).rms), g.clip.sampleRate);
  return {
    name: name ?? safeStem(file),
    label: g.labelOf(file),
    file,
    original: samples,
    clips,
    scored,
    oracle: { audio: limitPeaks(oa!, g.clip.sampleRate), scores: score(oa!) },
    reconstruction: { audio: written, scores: score(written) },
  };
}

/** The longest file `reconstructFileOnePass` takes: its whole spectrogram goes through the model at once. */
export const MAX_ONE_PASS_SECONDS = 120;

/** A file longer than MAX_ONE_PASS_SECONDS: the caller may reconstruct it clip by clip instead. */
export class TooLongForOnePass extends UserError {}

/**
 * Reconstructs a whole file in ONE pass through the model (time-latent models only: `reconstruct --one-pass`):
 * the file's log spectrogram, normalised with the file's own dB range as a single item and padded with silence
 * to a width the time strides divide, is encoded and decoded by the same weights widened to that width
 * (`widenVae`), then inverted once. There are no clip joins at all; the difference from `reconstructFile` is
 * that the model sees a dB range taken over the whole file instead of over one clip, as in training.
 * @throws UserError "FILE: ..." when the file cannot be read, holds no sound or is too long; a one-line
 * UserError for a model with a dense bottleneck.
 */
export async function reconstructFileOnePass(
  g: Generator,
  file: string,
  options: Partial<Pick<FileReconstructOptions, 'name'>> = {},
): Promise<FileReconstruction> {
  const cover: FileCover = await g.preparer.cover(file);
  const { samples } = cover;
  const { sampleRate, stft: frame } = g.clip;
  if (peak(samples) === 0) throw new UserError(`${file}: no sound to use (silent)`);
  if (samples.length > MAX_ONE_PASS_SECONDS * sampleRate) {
    throw new TooLongForOnePass(
      `${file}: ${(samples.length / sampleRate).toFixed(0)} s is longer than --one-pass takes (${MAX_ONE_PASS_SECONDS} s); reconstruct it clip by clip (--no-one-pass)`,
    );
  }
  const step = framesPerStep(g.model.vae.config);
  const fileFrames = frameCount(samples.length, frame);
  const frames = Math.ceil(fileFrames / step) * step;
  // the analysed length that gives exactly `frames` centred frames (the file itself when it already does)
  const length = frames === fileFrames ? samples.length : frame.hop * (frames - 1);
  const whole = g.preparer.wholeSpectrogram(samples, length);
  const vae = widenVae(g.model.vae, frames);
  let decoded: Float32Array;
  try {
    decoded = decodeLatents(vae, encodeItems(vae, [whole.x01]).mu)[0]!;
  } finally {
    if (vae !== g.model.vae) disposeVae(vae);
  }
  const wide = { ...g.clip, frames };
  const crop = (m: Spectrogram) => cropSpectrogram(m, m.bins, fileFrames);
  return finishFile(g, file, options.name, samples, crop(itemMagnitude(whole.x01, whole.range, wide)), crop(itemMagnitude(decoded, whole.range, wide)), 1, 1);
}
