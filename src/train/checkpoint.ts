/**
 * Training checkpoints: save one atomically, load one back for resuming or generation.
 *
 * A checkpoint is a folder (e.g. `RUN/last`, `RUN/best`):
 *
 *   encoder/model.json + encoder/weights.bin   the standard tfjs layers format (tf.loadLayersModel reads it)
 *   decoder/model.json + decoder/weights.bin
 *   config.json      VaeConfig, input shape, the dataset's preprocessing settings and normalisation statistics
 *   training.json    epoch, step, seed, position in the epoch in progress, metrics so far, best validation loss
 *   optimizer.json + optimizer.bin   Adam's moments (tfjs weights-manifest layout) and the optimiser step;
 *                    absent from an exported checkpoint (exportCheckpoint: for generation only, not resumable)
 *
 * Writing goes to `DIR.tmp` first, then the old folder moves to `DIR.old`, the new one to `DIR`, and `DIR.old` is
 * removed. A crash at any point leaves either the old or the new checkpoint whole; the loader falls back to
 * `DIR.old` in the one instant where `DIR` does not exist.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeError, fileError, UserError } from '../errors.ts';
import { exists, replaceDir, writeError } from '../fsutil.ts';
import { assertCheckpointIntact, CHECKSUMS_FILE, computeChecksums } from './checksums.ts';
import { checkVersion, parseRecordedSettings, SettingsError, type RecordedSettings } from '../dataset/settings.ts';
import type { DatasetStats } from '../dataset/store.ts';
import { buildVae, latentSize, setVaeWeights, type NamedWeight, type Vae } from '../model/vae.ts';
import type { Stride, VaeConfig } from '../model/vae-config.ts';
import type { EngineState, LossParts } from './engine-types.ts';

/** Format tag and version written into config.json, checked on load. */
export const CHECKPOINT_FORMAT = 'soundvae-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** File names inside a checkpoint folder, in one place. */
export const CHECKPOINT_FILES = {
  config: 'config.json',
  training: 'training.json',
  optimizerJson: 'optimizer.json',
  optimizerBin: 'optimizer.bin',
  encoder: 'encoder',
  decoder: 'decoder',
  modelJson: 'model.json',
  weightsBin: 'weights.bin',
} as const;

/** Losses of one finished epoch: training mean over its batches, and validation (inference-mode BatchNorm). */
export interface EpochMetrics {
  /** 1-based number of the epoch. */
  epoch: number;
  /** Optimiser steps done at the end of the epoch. */
  step: number;
  train: LossParts;
  /** Absent when the dataset has no validation items. */
  val?: LossParts;
  /** Training throughput over the epoch. */
  samplesPerSecond: number;
  /** Wall time of the epoch (training and validation). */
  seconds: number;
  /** Learning rate of the epoch's last step (runs before schedules existed lack it). */
  learningRate?: number;
}

/** Where training stands: enough to continue exactly. */
export interface TrainingProgress {
  /** Epochs fully done. */
  epoch: number;
  /** Batches already done in the epoch in progress (0 after a whole epoch; > 0 after Ctrl-C). */
  batchInEpoch: number;
  /** Sums of the batch losses (weighted by items) and items seen so far in the epoch in progress. */
  partial: { sum: LossParts; items: number; seconds: number };
  /** Optimiser steps done. */
  step: number;
  seed: number;
  /** The tfjs backend that trained it: the same seed gives the same weights only on the same backend. */
  backend?: string;
  /** Lowest validation loss so far (training loss when there is no validation split), and its epoch. */
  bestValLoss: number | null;
  bestEpoch: number | null;
  metrics: EpochMetrics[];
}

/** What the checkpoint keeps of the dataset it was trained on (copied from the manifest). */
export interface DatasetInfo {
  /** The dataset folder, as given, for messages. */
  path: string;
  /** The preprocessing settings used to make the dataset (frame, hop, rate, dB settings...): the manifest's `settings`. */
  preprocessing: RecordedSettings;
  /** The manifest's dataset-level statistics (dB min/max of the items, mean spectrogram), so generation can de-normalise. */
  normalization: DatasetStats;
  trainItems: number;
  validationItems: number;
}

/** The contents of config.json. */
export interface CheckpointConfig {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  config: VaeConfig;
  /** [height = bins, width = frames] */
  inputShape: [number, number];
  dataset: DatasetInfo;
  savedAt: string;
}

/** Everything saveCheckpoint writes. */
export interface CheckpointContents {
  config: VaeConfig;
  inputShape: [number, number];
  dataset: DatasetInfo;
  training: TrainingProgress;
  /** From engine.getState(): weights by name, optimiser moments, step. */
  state: EngineState;
}

/** A checkpoint read back: the models ready for inference, and the state to resume training. */
export interface LoadedCheckpoint {
  /** The folder actually read (RUN/best when given RUN, or DIR.old after an interrupted save). */
  dir: string;
  config: VaeConfig;
  inputShape: [number, number];
  dataset: DatasetInfo;
  training: TrainingProgress;
  /** Encoder and decoder loaded from the tfjs layers files; dispose with disposeVae when done. */
  vae: Vae;
  /** Adam's moments; empty when the checkpoint was exported without them. */
  optimizer: NamedWeight[];
  optimizerStep: number;
  /** False for an exported checkpoint: it has no optimiser state, so training cannot continue from it exactly. */
  resumable: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// tfjs layers format on disk

/**
 * A tf.io.IOHandler that saves a LayersModel as `model.json` + `weights.bin` in a folder and loads it back,
 * because plain @tensorflow/tfjs has no file:// handler in Node.
 * @example
 * await model.save(fileHandler('out/encoder'));
 * const same = await tf.loadLayersModel(fileHandler('out/encoder'));
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  const jsonPath = path.join(dir, CHECKPOINT_FILES.modelJson);
  const binPath = path.join(dir, CHECKPOINT_FILES.weightsBin);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies are not supported');
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [CHECKPOINT_FILES.weightsBin], weights: artifacts.weightSpecs ?? [] }],
      };
      await fs.mkdir(dir, { recursive: true });
      await writeSynced(binPath, new Uint8Array(weights));
      await writeSynced(jsonPath, JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = (await readJson(jsonPath)) as tf.io.ModelJSON;
      if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new UserError(`${jsonPath}: not a tfjs layers model.json (no modelTopology or weightsManifest)`);
      }
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const data = await readBytes(binPath);
      const expected = specs.reduce((sum, s) => sum + s.shape.reduce((p, d) => p * d, 1) * 4, 0);
      if (specs.some((s) => s.dtype !== undefined && s.dtype !== 'float32') || data.byteLength !== expected) {
        throw new UserError(`${binPath}: holds ${data.byteLength} bytes but model.json describes ${expected} (the checkpoint is corrupt or incomplete)`);
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
      };
    },
  };
}

/** Writes a file and flushes it to disk, so a checkpoint renamed into place is whole even after a power cut. */
async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  try {
    const fh = await fs.open(file, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw writeError(file, err); // "FILE: disk full (...)" names the file
  }
}

/**
 * The error of a failed save, after its temporary folder is removed: file-system errors say which file, that the
 * temporary is gone and whether an earlier checkpoint is still in place.
 */
async function savingError(err: unknown, dir: string, tmp: string): Promise<Error> {
  const e = writeError(tmp, err);
  if (!(e instanceof UserError)) return e;
  const kept = (await exists(path.join(dir, CHECKPOINT_FILES.config))) || (await exists(path.join(`${dir}.old`, CHECKPOINT_FILES.config)));
  return new UserError(`${e.message}; ${tmp} removed, ${kept ? `${dir} still holds the checkpoint saved before` : 'no checkpoint was saved yet'}`, {
    cause: err,
  });
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw fileError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing (the checkpoint is incomplete)' : err);
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(file));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw fileError(file, `not valid JSON (the checkpoint is corrupt): ${describeError(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Saving

/** Concatenates named float tensors into one buffer and a tfjs weights manifest entry list. */
function packFloats(entries: NamedWeight[]): { bytes: Uint8Array; specs: tf.io.WeightsManifestEntry[] } {
  const total = entries.reduce((n, e) => n + e.data.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const e of entries) {
    all.set(e.data, offset);
    offset += e.data.length;
  }
  return { bytes: new Uint8Array(all.buffer), specs: entries.map((e) => ({ name: e.name, shape: e.shape, dtype: 'float32' })) };
}

/**
 * Writes a checkpoint folder atomically (see the file comment). The encoder and decoder are built from the config,
 * given the engine's weights, and saved with tfjs's own serialiser, so the files are the standard layers format.
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const tmp = `${dir}.tmp`;
  try {
    await writeCheckpoint(tmp, dir, contents);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw await savingError(err, dir, tmp);
  }
}

async function writeCheckpoint(tmp: string, dir: string, contents: CheckpointContents): Promise<void> {
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  const vae = buildVae(contents.config, contents.inputShape, contents.training.seed);
  try {
    setVaeWeights(vae, contents.state.weights);
    await vae.encoder.save(fileHandler(path.join(tmp, CHECKPOINT_FILES.encoder)));
    await vae.decoder.save(fileHandler(path.join(tmp, CHECKPOINT_FILES.decoder)));
  } finally {
    disposeVae(vae);
  }
  const config: CheckpointConfig = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: contents.config,
    inputShape: contents.inputShape,
    dataset: contents.dataset,
    savedAt: new Date().toISOString(),
  };
  const optimizer = packFloats(contents.state.optimizer);
  await writeSynced(path.join(tmp, CHECKPOINT_FILES.optimizerBin), optimizer.bytes);
  await writeSynced(
    path.join(tmp, CHECKPOINT_FILES.optimizerJson),
    JSON.stringify({ step: contents.state.step, weightsManifest: [{ paths: [CHECKPOINT_FILES.optimizerBin], weights: optimizer.specs }] }),
  );
  await writeSynced(path.join(tmp, CHECKPOINT_FILES.training), JSON.stringify(contents.training, null, 1));
  // Then the checksums of every file (config.json's included), and config.json last: a folder without it is never
  // taken for a checkpoint.
  const configText = JSON.stringify(config, null, 2);
  const sums = await computeChecksums(tmp, { [CHECKPOINT_FILES.config]: new TextEncoder().encode(configText) });
  await writeSynced(path.join(tmp, CHECKSUMS_FILE), JSON.stringify(sums, null, 1));
  await writeSynced(path.join(tmp, CHECKPOINT_FILES.config), configText);
  await replaceDir(tmp, dir);
}

/** Copies a finished checkpoint folder to another name, atomically (e.g. last -> best). */
export async function copyCheckpoint(from: string, to: string): Promise<void> {
  const tmp = `${to}.tmp`;
  try {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.cp(from, tmp, { recursive: true });
    await replaceDir(tmp, to);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw await savingError(err, to, tmp);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Loading

/** Frees the tensors of a loaded or built Vae. */
export function disposeVae(vae: Vae): void {
  vae.encoder.dispose();
  vae.decoder.dispose();
}

/**
 * The checkpoint folder to read for `dir`: the folder itself when it holds config.json, else its `best/` or `last/`
 * (a run folder), falling back to `X.old` when a save was interrupted between its two renames.
 * Throws UserError when there is none.
 */
export async function resolveCheckpointDir(dir: string, prefer: 'best' | 'last' = 'best'): Promise<string> {
  const candidates = [dir, path.join(dir, prefer), path.join(dir, prefer === 'best' ? 'last' : 'best')];
  for (const c of candidates) {
    for (const d of [c, `${c}.old`]) {
      if (await exists(path.join(d, CHECKPOINT_FILES.config))) return d;
    }
  }
  if (!(await exists(dir))) throw new UserError(`${dir}: no such checkpoint folder`);
  // Name what is missing in a run folder whose checkpoint folders exist but are incomplete.
  const damaged = [];
  for (const name of ['best', 'last']) {
    if (await exists(path.join(dir, name))) damaged.push(`${name}/${CHECKPOINT_FILES.config} missing`);
  }
  if (damaged.length) throw new UserError(`${dir}: no whole checkpoint: ${damaged.join(', ')} (soundvae verify ${dir} shows what else)`);
  throw new UserError(`${dir}: not a soundvae checkpoint (no ${CHECKPOINT_FILES.config}, and no best/ or last/ inside)`);
}

function isNumberArray(x: unknown, length?: number): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isFinite(v)) && (length === undefined || x.length === length);
}

/** Checks config.json's shape; throws "FILE: what is wrong". */
function checkConfigJson(file: string, c: unknown): CheckpointConfig {
  const bad = (what: string) => new UserError(`${file}: ${what} (the checkpoint is corrupt or from another program)`);
  if (!c || typeof c !== 'object') throw bad('not a JSON object');
  const o = c as Partial<CheckpointConfig>;
  if (o.format !== CHECKPOINT_FORMAT) throw bad(`format is ${JSON.stringify(o.format)}, expected "${CHECKPOINT_FORMAT}"`);
  checkVersion(file, 'checkpoint', o.version, CHECKPOINT_VERSION);
  const v = o.config;
  if (!v || !isNumberArray(v.filters) || !isNumberArray(v.kernels) || !Array.isArray(v.strides) || typeof v.latent !== 'number') {
    throw bad('config is missing or incomplete');
  }
  if (!isNumberArray(o.inputShape, 2)) throw bad('inputShape is missing');
  if (!o.dataset || typeof o.dataset !== 'object') throw bad('dataset settings are missing');
  try {
    parseRecordedSettings(o.dataset.preprocessing, 'dataset.preprocessing'); // typed from here on: generation trusts them
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    throw bad(err.message);
  }
  return o as CheckpointConfig;
}

function checkTrainingJson(file: string, t: unknown): TrainingProgress {
  const o = t as Partial<TrainingProgress> | null;
  if (!o || typeof o !== 'object' || typeof o.epoch !== 'number' || typeof o.step !== 'number' || !Array.isArray(o.metrics)) {
    throw new UserError(`${file}: epoch, step or metrics missing (the checkpoint is corrupt)`);
  }
  return o as TrainingProgress;
}

/** Reads optimizer.json + optimizer.bin back into named arrays. */
async function readOptimizer(dir: string): Promise<{ entries: NamedWeight[]; step: number } | undefined> {
  const jsonPath = path.join(dir, CHECKPOINT_FILES.optimizerJson);
  const binPath = path.join(dir, CHECKPOINT_FILES.optimizerBin);
  if (!(await exists(jsonPath)) && !(await exists(binPath))) return undefined; // exported: inference only
  const json = (await readJson(jsonPath)) as { step?: number; weightsManifest?: tf.io.WeightsManifestConfig };
  if (!json || typeof json.step !== 'number' || !Array.isArray(json.weightsManifest)) {
    throw new UserError(`${jsonPath}: step or weightsManifest missing (the checkpoint is corrupt)`);
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bytes = await readBytes(binPath);
  const floats = specs.reduce((n, s) => n + s.shape.reduce((p, d) => p * d, 1), 0);
  if (bytes.byteLength !== floats * 4) {
    throw new UserError(
      `${binPath}: holds ${bytes.byteLength} bytes but ${CHECKPOINT_FILES.optimizerJson} describes ${floats * 4} (the checkpoint is corrupt)`,
    );
  }
  // Copy into an aligned buffer: readFile's Buffer may start at any byte offset.
  const all = new Float32Array(new Uint8Array(bytes).buffer);
  let offset = 0;
  const entries = specs.map((s) => {
    const n = s.shape.reduce((p, d) => p * d, 1);
    const data = all.slice(offset, offset + n);
    offset += n;
    return { name: s.name, shape: s.shape, data };
  });
  return { entries, step: json.step };
}

/** Loads one LayersModel and checks its input and output shapes. */
async function loadModel(dir: string, input: (number | null)[], output: (number | null)[]): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileHandler(dir));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw fileError(path.join(dir, CHECKPOINT_FILES.modelJson), `cannot be loaded as a tfjs model: ${describeError(err)}`);
  }
  const inShape = model.inputs[0]!.shape;
  const outShape = model.outputs[0]!.shape;
  if (inShape.join() !== input.join() || outShape.join() !== output.join()) {
    model.dispose();
    throw new UserError(
      `${dir}: model takes [${inShape.join(', ')}] -> [${outShape.join(', ')}] but config.json says [${input.join(', ')}] -> [${output.join(', ')}] (mismatched checkpoint)`,
    );
  }
  return model;
}

/**
 * Loads a checkpoint: a checkpoint folder, or a run folder (then `best/`, else `last/`).
 * Returns the encoder and decoder ready for inference plus everything needed to resume training.
 * Throws a one-line UserError naming the file when the checkpoint is missing, corrupt or inconsistent.
 * @example
 * const ckpt = await loadCheckpoint('runs/digits');      // runs/digits/best
 * const x = decode(ckpt.vae, tf.randomNormal([4, ckpt.config.latent]));
 * disposeVae(ckpt.vae);
 */
export async function loadCheckpoint(dir: string, prefer: 'best' | 'last' = 'best'): Promise<LoadedCheckpoint> {
  const root = await resolveCheckpointDir(dir, prefer);
  await assertCheckpointIntact(root); // recorded checksums: corrupt bytes fail here rather than generate silence
  const configPath = path.join(root, CHECKPOINT_FILES.config);
  const cfg = checkConfigJson(configPath, await readJson(configPath));
  const trainingPath = path.join(root, CHECKPOINT_FILES.training);
  const training = checkTrainingJson(trainingPath, await readJson(trainingPath));
  const optimizer = await readOptimizer(root);
  const [h, w] = cfg.inputShape;
  const config = { ...cfg.config, strides: cfg.config.strides.map((s) => [s[0], s[1]] as Stride) };
  const size = latentSize(config, [h, w]);
  const encoder = await loadModel(path.join(root, CHECKPOINT_FILES.encoder), [null, h, w, 1], [null, size]);
  let decoder: tf.LayersModel;
  try {
    decoder = await loadModel(path.join(root, CHECKPOINT_FILES.decoder), [null, size], [null, h, w, 1]);
  } catch (err) {
    encoder.dispose();
    throw err;
  }
  return {
    dir: root,
    config,
    inputShape: [h, w],
    dataset: cfg.dataset,
    training,
    vae: { config, inputShape: [h, w], encoder, decoder },
    optimizer: optimizer?.entries ?? [],
    optimizerStep: optimizer?.step ?? training.step,
    resumable: optimizer !== undefined,
  };
}

/**
 * Copies a checkpoint for generation only: weights, config, training record and sampler.json, without the
 * optimiser state (two thirds of a checkpoint's weight bytes), with fresh checksums; written atomically to `to`.
 * Other files already in `to` (a model card, notes) are kept.
 * @example await exportCheckpoint('runs/digits/best', 'checkpoints/digits');
 */
export async function exportCheckpoint(from: string, to: string): Promise<void> {
  const tmp = `${to}.tmp`;
  const skip = new Set<string>([CHECKPOINT_FILES.optimizerJson, CHECKPOINT_FILES.optimizerBin, CHECKSUMS_FILE]);
  try {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.cp(from, tmp, { recursive: true, filter: (src) => !skip.has(path.relative(from, src)) });
    // A re-export keeps what the user put beside the checkpoint (a model card, notes).
    const made = new Set(await fs.readdir(tmp));
    for (const name of (await exists(to)) ? await fs.readdir(to) : []) {
      if (!made.has(name) && !skip.has(name)) await fs.cp(path.join(to, name), path.join(tmp, name), { recursive: true });
    }
    // Checksums cover the checkpoint's own files; sampler.json and other derived files may be refitted later.
    const sums = await computeChecksums(tmp);
    const own = new Set<string>([CHECKPOINT_FILES.config, CHECKPOINT_FILES.training, CHECKPOINT_FILES.encoder, CHECKPOINT_FILES.decoder]);
    for (const rel of Object.keys(sums.files)) if (!own.has(rel.split('/')[0]!)) delete sums.files[rel];
    await writeSynced(path.join(tmp, CHECKSUMS_FILE), JSON.stringify(sums, null, 1));
    await replaceDir(tmp, to);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw await savingError(err, to, tmp);
  }
}

/** The architecture fields that must match to continue training from a checkpoint. */
const ARCHITECTURE_KEYS = ['filters', 'kernels', 'strides', 'latent', 'bottleneck', 'reconstructionLoss', 'lossEmphasis', 'spectralWeight'] as const;

/**
 * Lists how `wanted` differs from the checkpoint's architecture and input shape, as readable phrases
 * (empty when they match). Hyper-parameters like the learning rate are compared by the caller.
 */
export function architectureDifferences(
  ckpt: { config: VaeConfig; inputShape: [number, number] },
  wanted: { config: VaeConfig; inputShape: [number, number] },
): string[] {
  const out: string[] = [];
  for (const key of ARCHITECTURE_KEYS) {
    const a = JSON.stringify(ckpt.config[key]);
    const b = JSON.stringify(wanted.config[key]);
    if (a !== b) out.push(`${key} ${b} (checkpoint has ${a})`);
  }
  if (ckpt.inputShape.join('x') !== wanted.inputShape.join('x')) {
    out.push(`input shape ${wanted.inputShape.join('x')} (checkpoint was trained on ${ckpt.inputShape.join('x')})`);
  }
  return out;
}
