/**
 * The three things the generation commands do, as functions returning audio and figures (the commands write files
 * and reports): sample from the prior, reconstruct clips, interpolate between two clips.
 */
import path from 'node:path';
import type { SpectrogramDataset } from '../dataset/store.ts';
import { labelReader, type LabelOptions } from '../dataset/labels.ts';
import { peak } from '../audio/cleanup.ts';
import type { ClipSpan } from '../dataset/stages.ts';
import { describeError, fileError, UserError } from '../errors.ts';
import type { Vae } from '../model/vae.ts';
import type { Scores } from '../report/html.ts';
import type { Samples } from '../units.ts';
import { frameCount, logSpectralDistance, magnitude, spectralConvergence, stft, type Spectrogram } from '../dsp/index.ts';
import { invertMagnitudes, limitPeaks, priorRange, preventClipping, type DbRange, type InvertOptions } from './invert.ts';
import { interpolatePath, samplePrior } from './latent.ts';
import { decodeLatents, encodeItems } from './model.ts';
import { ClipPreparer, clipSettings, preprocessSettings, type CheckpointLike, type FileCover, type PreparedClip } from './settings.ts';
import { cropSpectrogram, itemMagnitude, itemsToAudio, scoreAgainstItem, type ClipSettings } from './spectra.ts';

/** A loaded checkpoint as the operations use it. */
export interface GenerationModel extends CheckpointLike {
  vae: Vae;
  dataset: { preprocessing: unknown; normalization: unknown; path: string };
}

/** Everything the operations derive once from a checkpoint. */
export interface Generator {
  model: GenerationModel;
  clip: ClipSettings;
  preparer: ClipPreparer;
  invert: Partial<InvertOptions>;
  /** Reads the main label from a file path the way the dataset did, if it had labels. */
  labelOf(file: string): string | undefined;
}

/** Prepares a checkpoint for the operations (checks its settings once). */
export function createGenerator(model: GenerationModel, invert: Partial<InvertOptions> = {}): Generator {
  const settings = preprocessSettings(model);
  const labels = (settings as { labels?: Partial<LabelOptions> }).labels;
  const reader = labels && labels.from && labels.from !== 'none' ? labelReader(labels) : undefined;
  return {
    model,
    clip: clipSettings(model),
    preparer: new ClipPreparer(settings),
    invert,
    labelOf: (file) => reader?.read(file).label ?? undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------

export interface GeneratedSound {
  name: string;
  z: Float32Array;
  x01: Float32Array;
  audio: Float32Array;
}

export interface SampleOptions {
  count: number;
  temperature: number;
  seed: number;
}

export const DEFAULT_SAMPLE: SampleOptions = { count: 8, temperature: 1, seed: 0 };

/**
 * Draws from the prior, decodes in one batch, de-normalises with the dataset's mean per-item range
 * (see invert.ts) and inverts with Griffin-Lim.
 */
export function generateSamples(g: Generator, options: Partial<SampleOptions> = {}): { sounds: GeneratedSound[]; range: DbRange; seconds: number } {
  const o = { ...DEFAULT_SAMPLE, ...options };
  const range = priorRange(g.model.dataset.normalization, g.model.dir);
  const started = performance.now();
  const z = samplePrior(o.count, g.model.vae.config.latent, o.temperature, o.seed);
  const x = decodeLatents(g.model.vae, z);
  const audio = itemsToAudio(x, x.map(() => range), g.clip, g.invert);
  const seconds = (performance.now() - started) / 1000;
  const width = String(o.count).length;
  const sounds = z.map((zi, i) => ({ name: `sample-${String(i + 1).padStart(Math.max(2, width), '0')}`, z: zi, x01: x[i]!, audio: preventClipping(audio[i]!) }));
  return { sounds, range, seconds };
}

// ---------------------------------------------------------------------------------------------------------------

/** A clip to reconstruct: its real audio and its spectrogram as the model sees it. */
export interface ReconstructionInput {
  name: string;
  label?: string;
  clip: PreparedClip;
}

export interface Reconstruction extends ReconstructionInput {
  oracle: { audio: Float32Array; scores: Scores };
  reconstruction: { audio: Float32Array; scores: Scores; x01: Float32Array };
  mu: Float32Array;
}

/** "name", "name-2", ... so outputs never overwrite each other. */
export function uniqueNamer(): (base: string) => string {
  const used = new Set<string>();
  return (base) => {
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return name;
  };
}

/** File stem with characters that are awkward in file names replaced. */
export function safeStem(file: string): string {
  return path.basename(file, path.extname(file)).replace(/[^\w.-]+/g, '_') || 'clip';
}

/**
 * The first clip of each file (`reconstruct --first-clip`, `interpolate`), prepared with the checkpoint's settings. Files that fail are reported through
 * `onError` ("FILE: cause") and skipped.
 */
export async function inputsFromFiles(g: Generator, files: string[], onError: (message: string) => void): Promise<ReconstructionInput[]> {
  const name = uniqueNamer();
  const out: ReconstructionInput[] = [];
  for (const file of files) {
    try {
      const [clip] = await g.preparer.clips(file, 1);
      out.push({ name: name(safeStem(file)), label: g.labelOf(file), clip: clip! });
    } catch (err) {
      onError(describeError(fileError(file, err)));
    }
  }
  return out;
}

/**
 * `count` items of a dataset split spread evenly over it (so labels vary), with their real audio re-read from the
 * source files through the same stages. The stored spectrogram is used as the model's input, so it is exactly
 * what training saw. Items whose source cannot be read are reported and skipped.
 */
export async function inputsFromDataset(
  g: Generator,
  ds: SpectrogramDataset,
  split: 'train' | 'validation' | 'all',
  count: number,
  onError: (message: string) => void,
): Promise<ReconstructionInput[]> {
  const all = ds.indices(split);
  const n = Math.min(count, all.length);
  const picked = Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  const stored = await ds.read(picked);
  const size = ds.shape[0] * ds.shape[1];
  const name = uniqueNamer();
  const out: ReconstructionInput[] = [];
  for (const [k, index] of picked.entries()) {
    const item = ds.manifest.items[index]!;
    try {
      const clip = await g.preparer.clipAt(item.source, item.offset);
      clip.x01 = stored.slice(k * size, (k + 1) * size);
      clip.range = { min: item.min, max: item.max };
      const stem = safeStem(item.source) + (item.offset > 0 ? `@${item.offset.toFixed(2)}s` : '');
      out.push({ name: name(stem), label: item.label, clip });
    } catch (err) {
      onError(describeError(fileError(item.source, err)));
    }
  }
  return out;
}

/**
 * Reconstructs clips through the VAE (the latent mean, no sampling) and rebuilds both the oracle (the true
 * magnitude) and the reconstruction with Griffin-Lim, each de-normalised with the clip's own range.
 */
export function reconstruct(g: Generator, inputs: ReconstructionInput[]): Reconstruction[] {
  if (inputs.length === 0) return [];
  const x = inputs.map((i) => i.clip.x01);
  const ranges = inputs.map((i) => i.clip.range);
  const { mu } = encodeItems(g.model.vae, x);
  const decoded = decodeLatents(g.model.vae, mu);
  const oracle = itemsToAudio(x, ranges, g.clip, g.invert);
  const recon = itemsToAudio(decoded, ranges, g.clip, g.invert);
  return inputs.map((input, i) => ({
    ...input,
    mu: mu[i]!,
    oracle: { audio: preventClipping(oracle[i]!), scores: scoreAgainstItem(oracle[i]!, x[i]!, ranges[i]!, g.clip) },
    reconstruction: { audio: preventClipping(recon[i]!), x01: decoded[i]!, scores: scoreAgainstItem(recon[i]!, x[i]!, ranges[i]!, g.clip) },
  }));
}

// ---------------------------------------------------------------------------------------------------------------

/** A whole file reconstructed clip by clip, its clips' magnitudes blended and inverted as one. */
export interface FileReconstruction {
  name: string;
  label?: string;
  file: string;
  /** The file after the checkpoint's loading and clean-up (what its clips were cut from). */
  original: Float32Array;
  /** Clips the file was cut into, and how many of them had sound (were reconstructed and scored). */
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

export const DEFAULT_FILE_RECONSTRUCT = { batch: 32, fade: 0.05 };

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
    if (mag.bins !== this.bins || mag.frames !== this.clipFrames) throw new RangeError(`expected ${this.bins} x ${this.clipFrames} magnitudes, got ${mag.bins} x ${mag.frames}`);
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
  const [oa, ra] = invertMagnitudes([oracle.result(), recon.result()], g.clip.stft, samples.length, g.invert);
  // scored against the file itself, on the bins the model has (a dropped Nyquist bin is no one's error) and
  // within its dynamic range (top_db below the file's peak), so digital silence does not decide the LSD
  const view = (audio: Float32Array) => cropSpectrogram(magnitude(stft(audio, g.clip.stft)), g.clip.bins, oracle.frames);
  const truth = view(samples);
  const floor = truth.data.reduce((m, v) => Math.max(m, v), 0) * Math.pow(10, -(g.preparer.settings.db.topDb ?? 80) / 20);
  const floored = (s: Spectrogram) => ({ ...s, data: s.data.map((v) => Math.max(v, floor)) });
  const target = floored(truth);
  const score = (audio: Float32Array): Scores => {
    const estimate = floored(view(audio));
    return { spectralConvergence: spectralConvergence(estimate, target), logSpectralDistance: logSpectralDistance(estimate, target) };
  };
  return {
    name: o.name ?? safeStem(file),
    label: g.labelOf(file),
    file,
    original: samples,
    clips: spans.length,
    scored: sounding.length,
    oracle: { audio: limitPeaks(oa!, g.clip.sampleRate), scores: score(oa!) },
    reconstruction: { audio: limitPeaks(ra!, g.clip.sampleRate), scores: score(ra!) },
  };
}

// ---------------------------------------------------------------------------------------------------------------

export type InterpolationMethod = 'linear' | 'spherical';

export interface Interpolation {
  from: string;
  to: string;
  method: InterpolationMethod;
  steps: { t: number; audio: Float32Array }[];
}

/**
 * Walks from A's latent mean to B's in `steps` points for each method, decoding all steps in one batch. Each step
 * is de-normalised with the dB range interpolated linearly between A's and B's own ranges, so loudness moves
 * smoothly from one to the other.
 */
export function interpolate(g: Generator, a: ReconstructionInput, b: ReconstructionInput, steps: number, methods: InterpolationMethod[]): Interpolation[] {
  const { mu } = encodeItems(g.model.vae, [a.clip.x01, b.clip.x01]);
  const paths = methods.map((m) => interpolatePath(mu[0]!, mu[1]!, steps, m));
  const x = decodeLatents(g.model.vae, paths.flat());
  const ts = Array.from({ length: steps }, (_, i) => (steps > 1 ? i / (steps - 1) : 0));
  const ranges = methods.flatMap(() =>
    ts.map((t) => ({ min: a.clip.range.min + t * (b.clip.range.min - a.clip.range.min), max: a.clip.range.max + t * (b.clip.range.max - a.clip.range.max) })),
  );
  const audio = itemsToAudio(x, ranges, g.clip, g.invert);
  return methods.map((method, m) => ({
    from: a.name,
    to: b.name,
    method,
    steps: ts.map((t, i) => ({ t, audio: preventClipping(audio[m * steps + i]!) })),
  }));
}
