/**
 * The three things the generation commands do, as functions returning audio and figures (the commands write files
 * and reports): sample from the prior, reconstruct clips, interpolate between two clips.
 */
import path from 'node:path';
import type { SpectrogramDataset } from '../dataset/store.ts';
import { labelReader, type LabelOptions } from '../dataset/labels.ts';
import { describeError, fileError } from '../errors.ts';
import type { Vae } from '../model/vae.ts';
import type { Scores } from '../report/html.ts';
import { priorRange, preventClipping, type DbRange, type InvertOptions } from './invert.ts';
import { interpolatePath, samplePrior } from './latent.ts';
import { decodeLatents, encodeItems } from './model.ts';
import { ClipPreparer, clipSettings, preprocessSettings, type CheckpointLike, type PreparedClip } from './settings.ts';
import { itemsToAudio, scoreAgainstItem, type ClipSettings } from './spectra.ts';

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
