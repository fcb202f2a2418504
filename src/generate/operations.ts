/**
 * The three things the generation commands do, as functions returning audio and figures (the commands write files
 * and reports): sample from the prior, reconstruct clips, interpolate between two clips.
 */
import path from 'node:path';
import type { DatasetStats, SpectrogramDataset } from '../dataset/store.ts';
import type { RecordedSettings } from '../dataset/settings.ts';
import { labelReader } from '../dataset/labels.ts';
import { describeError, fileError, UserError } from '../errors.ts';
import type { Samples, Seconds } from '../units.ts';
import type { Vae } from '../model/vae.ts';
import type { Scores } from '../dsp/metrics.ts';
import { framesPerStep, latentSize, widenVae } from '../model/vae.ts';
import { disposeVae } from '../train/checkpoint.ts';
import { limitPeaks, priorRange, preventClipping, type DbRange, type InvertOptions } from './invert.ts';
import { interpolatePath } from './latent.ts';
import { DEFAULT_SAMPLE, DEFAULT_SAMPLER, type SampleOptions, type SamplerKind } from './defaults.ts';
import { drawCodes, rangeFor, staggeredPick, type LatentSampler } from './sampler.ts';
import { diversity } from './distance.ts';
import { decodeLatents, encodeItems } from './model.ts';
import { ClipPreparer, clipSettings, type CheckpointLike, type PreparedClip } from './settings.ts';
import { audioLevels, itemsToAudio, levelTo, scoreAgainstItem, type ClipSettings } from './spectra.ts';

/** A loaded checkpoint as the operations use it. */
export interface GenerationModel extends CheckpointLike {
  vae: Vae;
  dataset: { preprocessing: RecordedSettings; normalization: DatasetStats; path: string };
}

/** Everything the operations derive once from a checkpoint. */
export interface Generator {
  model: GenerationModel;
  clip: ClipSettings;
  preparer: ClipPreparer;
  invert: Partial<InvertOptions>;
  /** Reads the main label from a file path the way the dataset did, if it had labels. */
  labelOf(file: string): string | undefined;
  /** The densities fitted to the training codes (sampler.json), when the checkpoint has them. */
  sampler?: LatentSampler;
}

/** Prepares a checkpoint for the operations (checks its settings once). */
export function createGenerator(model: GenerationModel, invert: Partial<InvertOptions> = {}, sampler?: LatentSampler): Generator {
  const settings = model.dataset.preprocessing;
  const { labels } = settings;
  const reader = labels?.from && labels.from !== 'none' ? labelReader(labels) : undefined;
  return {
    model,
    clip: clipSettings(model),
    preparer: new ClipPreparer(settings),
    invert,
    labelOf: (file) => reader?.read(file).label ?? undefined,
    sampler,
  };
}

// ---------------------------------------------------------------------------------------------------------------

export interface GeneratedSound {
  name: string;
  z: Float32Array;
  x01: Float32Array;
  audio: Float32Array;
  /** The dB range it was de-normalised with. */
  range: DbRange;
  /** The label value it was drawn for (`--label`). */
  label?: string;
  /** RMS level (dBFS) straight out of Griffin-Lim, before levelling. */
  rawRms: number;
}

export { DEFAULT_SAMPLE, type SampleOptions } from './defaults.ts';

/** The sampler to use when the caller did not choose: the default when the checkpoint's sampler has it, else the best it has. */
export function defaultSamplerFor(g: Generator): SamplerKind {
  if (!g.sampler) return 'prior';
  return DEFAULT_SAMPLER === 'neighbours' && !g.sampler.neighbours ? 'gmm' : DEFAULT_SAMPLER;
}

/**
 * Draws codes (sampler.ts), decodes them in one batch, de-normalises each with the range its code predicts (the
 * prior: the dataset's mean per-item range, as the tutorial would), inverts with Griffin-Lim, and levels each to
 * the training clips' median loudness.
 */
export function generateSamples(
  g: Generator,
  options: Partial<SampleOptions> = {},
): { sounds: GeneratedSound[]; range: DbRange; seconds: number; clip: ClipSettings } {
  const o = { ...DEFAULT_SAMPLE, sampler: defaultSamplerFor(g), ...options };
  const mean = priorRange(g.model.dataset.normalization, g.model.dir);
  const started = performance.now();
  const long = o.seconds === undefined ? undefined : longSounds(g, o.seconds);
  const parts = long?.parts ?? 1;
  const drawn = drawCodes(g.sampler, latentSize(g.model.vae.config, g.model.vae.inputShape), o.count * parts, o);
  const tutorial = o.sampler === 'prior' && o.label === undefined;
  const drawnRanges = drawn.map((zi) => (tutorial || !g.sampler ? mean : rangeFor(g.sampler, zi)));
  const z = long ? chainCodes(drawn, parts, long.codeSize) : drawn;
  const ranges = long ? Array.from({ length: o.count }, (_, i) => meanRange(drawnRanges.slice(i * parts, (i + 1) * parts))) : drawnRanges;
  const vae = long ? widenVae(g.model.vae, long.clip.frames) : g.model.vae;
  let x: Float32Array[];
  try {
    x = decodeLatents(vae, z);
  } finally {
    if (vae !== g.model.vae) disposeVae(vae);
  }
  const clip = long?.clip ?? g.clip;
  const audio = itemsToAudio(x, ranges, clip, g.invert).map((a) => (long ? a.subarray(0, long.samples) : a));
  const seconds = (performance.now() - started) / 1000;
  const width = String(o.count).length;
  const target = o.level ? g.sampler?.trainRms.p50 : undefined;
  const sounds = z.map((zi, i) => ({
    name: `sample-${String(i + 1).padStart(Math.max(2, width), '0')}`,
    z: zi,
    x01: x[i]!,
    audio: limitPeaks(target === undefined ? audio[i]! : levelTo(audio[i]!, target), g.clip.sampleRate),
    range: ranges[i]!,
    label: o.label,
    rawRms: audioLevels(audio[i]!).rms,
  }));
  return { sounds, range: mean, seconds, clip };
}

/**
 * How a sound of `seconds` is made (time-latent models only): `parts` clip codes chained along time, cut to the
 * steps that span the length, decoded as one spectrogram of `clip.frames` frames.
 */
function longSounds(g: Generator, seconds: Seconds): { parts: number; codeSize: number; clip: ClipSettings; samples: Samples } {
  const config = g.model.vae.config;
  if (config.bottleneck !== 'time') {
    throw new UserError(
      "--seconds needs a model with a latent per time step (bottleneck 'time', the default preset); this checkpoint's latent is one vector per clip",
    );
  }
  if (!(seconds > 0) || seconds > MAX_SECONDS) throw new UserError(`--seconds must be above 0 and at most ${MAX_SECONDS} (got ${seconds})`);
  const { sampleRate, stft } = g.clip;
  const samples = Math.round(seconds * sampleRate);
  const step = framesPerStep(config);
  const frames = Math.ceil((samples / stft.hop + 1) / step) * step;
  const steps = frames / step;
  const clipSteps = g.model.vae.inputShape[1] / step;
  return {
    parts: Math.ceil(steps / clipSteps),
    codeSize: steps * config.latent,
    clip: { ...g.clip, clipSamples: stft.hop * (frames - 1), frames },
    samples,
  };
}

/** The longest sound --seconds makes: the whole spectrogram goes through the model at once. */
export const MAX_SECONDS = 600;

/** Consecutive groups of `parts` clip codes (time-major) joined along time and cut to `size` values. */
function chainCodes(codes: Float32Array[], parts: number, size: number): Float32Array[] {
  return Array.from({ length: codes.length / parts }, (_, i) => {
    const out = new Float32Array(size);
    let at = 0;
    for (const c of codes.slice(i * parts, (i + 1) * parts)) {
      out.set(c.subarray(0, Math.min(c.length, size - at)), at);
      at += c.length;
      if (at >= size) break;
    }
    return out;
  });
}

/** The average of the dB ranges of the clips chained into one sound. */
function meanRange(ranges: DbRange[]): DbRange {
  const avg = (f: (r: DbRange) => number) => ranges.reduce((s, r) => s + f(r), 0) / ranges.length;
  return { min: avg((r) => r.min), max: avg((r) => r.max) };
}

/** Below this RMS a generated sample counts as near-silent. */
export const SILENT_RMS = -50;

/**
 * What is wrong with a batch of samples, as sentences that say the fix: near-silent samples, and collapse
 * (every sample much like the others).
 */
export function sampleWarnings(sounds: GeneratedSound[], g: Generator, sampler: SamplerKind): string[] {
  const out: string[] = [];
  const quiet = sounds.filter((s) => audioLevels(s.audio).rms < SILENT_RMS).length;
  if (quiet > 0) {
    out.push(
      `${quiet} of ${sounds.length} samples are near-silent (RMS below ${SILENT_RMS} dBFS)` +
        (sampler === 'prior' ? '; prior draws miss where the data lies: try --sampler gmm' : g.sampler ? '' : '; fit a sampler with soundvae fit-sampler') +
        (sounds.length > 0 && quiet === sounds.length ? ' (all silent: is the checkpoint trained? check its curves)' : ''),
    );
  }
  if (sounds.length >= 4) {
    const sample = sounds.map((s) => ({ x01: s.x01, range: s.range }));
    const spread = diversity(sample);
    const reference = g.sampler?.diversity;
    if (reference !== undefined && spread < reference / 4) {
      out.push(
        `the samples are nearly alike (diversity ${spread.toFixed(1)} dB against ${reference.toFixed(1)} dB for training items): ` +
          (sampler === 'prior' ? 'try --sampler gmm' : 'raise --temperature, or train longer'),
      );
    }
  }
  return out;
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
 * `count` items of a dataset split spread over it (staggeredPick: labels and speakers vary), with their real
 * audio re-read from the source files through the same stages. The stored spectrogram is used as the model's
 * input, so it is exactly what training saw. Items whose source cannot be read are reported and skipped.
 */
export async function inputsFromDataset(
  g: Generator,
  ds: SpectrogramDataset,
  split: 'train' | 'validation' | 'all',
  count: number,
  onError: (message: string) => void,
): Promise<ReconstructionInput[]> {
  const all = ds.indices(split);
  const picked = staggeredPick(all.length, count).map((k) => all[k]!);
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

/** A reconstruction as written: at its original's loudness (scored as heard). */
function levelledReconstruction(g: Generator) {
  return (audio: Float32Array, input: ReconstructionInput, x01: Float32Array, target: Float32Array, range: DbRange) => {
    const out = limitPeaks(levelTo(audio, audioLevels(input.clip.audio).rms), g.clip.sampleRate);
    return { audio: out, x01, scores: scoreAgainstItem(out, target, range, g.clip) };
  };
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
  const written = levelledReconstruction(g);
  return inputs.map((input, i) => ({
    ...input,
    mu: mu[i]!,
    oracle: { audio: preventClipping(oracle[i]!), scores: scoreAgainstItem(oracle[i]!, x[i]!, ranges[i]!, g.clip) },
    // A blurred spectrogram loses its peaks and comes back quiet: bring it to the original's loudness.
    reconstruction: written(recon[i]!, input, decoded[i]!, x[i]!, ranges[i]!),
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
