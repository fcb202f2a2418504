/**
 * Training and evaluating the classifiers on a spectrogram dataset: the same streaming store, the same
 * group-aware split (the dataset's own), and the VAE's epoch loop (`runEpoch`: progress, a stop between steps on
 * Ctrl-C, an error when the loss stops being finite), with per-epoch checkpoints and resume.
 *
 * A classifier folder holds `model/` (tfjs layers format), `classifier.json` (kind, classes, settings),
 * `state.json` + `optimizer.bin` (to resume) and `metrics.jsonl` (train and validation curves).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { replaceDir } from '../fsutil.ts';
import { openDataset, shuffled, type BatchOptions, type DatasetItem, type SpectrogramDataset } from '../dataset/store.ts';
import { parseRecordedSettings, SettingsError, type RecordedSettings } from '../dataset/settings.ts';
import { encode, latentSize, type Vae } from '../model/vae.ts';
import { fileHandler, loadCheckpoint } from '../train/checkpoint.ts';
import { evaluatePredictions, type ClassificationReport } from './metrics.ts';
import { writeEventFile } from '../train/tensorboard.ts';
import { meanOf, runEpoch } from '../train/epoch-loop.ts';
import { buildCnn, buildCrnn, buildLatentProbe, DEFAULT_CLASSIFIER, type ClassifierConfig, type ClassifierKind } from './models.ts';

export interface ClassifyTrainOptions {
  data: string;
  out: string;
  kind: ClassifierKind;
  /** Which label to learn: 'label' (the main one) or a field of the item's labels, e.g. 'speaker'. */
  labelField: string;
  epochs: number;
  seed: number;
  /** A trained VAE checkpoint, for kind 'latent'. */
  vaeCheckpoint?: string;
  resume?: boolean;
  config?: Partial<Omit<ClassifierConfig, 'kind'>>;
  log?: (line: string) => void;
  /** Stops between steps: the epochs finished so far stay saved, the one under way is dropped (--resume redoes it). */
  signal?: AbortSignal;
}

export { DEFAULT_CLASSIFY_TRAIN } from './defaults.ts';

/** What `classifier.json` records. */
export interface ClassifierInfo {
  format: 'soundvae-classifier';
  config: ClassifierConfig;
  classes: string[];
  labelField: string;
  inputShape: [number, number];
  data: string;
  vaeCheckpoint?: string;
  /** The dataset's preprocessing settings, so `predict` can prepare any audio file the same way. */
  settings: RecordedSettings;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  seconds: number;
}

/** The label of an item for a field, or undefined when it has none. */
export function itemLabel(item: DatasetItem, field: string): string | undefined {
  return field === 'label' ? item.label : item.labels?.[field];
}

function oneHot(classIndex: number[], classes: number): tf.Tensor2D {
  return tf.oneHot(tf.tensor1d(classIndex, 'int32'), classes).toFloat() as tf.Tensor2D;
}

/** Turns a batch of spectrogram items into the classifier's input: [n, H, W, 1], or latent means for 'latent'. */
export function classifierInput(data: Float32Array, n: number, shape: [number, number], vae?: Vae): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor4d(data, [n, shape[0], shape[1], 1]);
    return vae ? encode(vae, x).mu : x;
  });
}

/** Builds the model for a kind; 'latent' reads its input size from the VAE. */
function buildModel(config: ClassifierConfig, shape: [number, number], classes: number, seed: number, vae?: Vae): tf.LayersModel {
  if (config.kind === 'cnn') return buildCnn(config, shape, classes, seed);
  if (config.kind === 'crnn') return buildCrnn(config, shape, classes, seed);
  if (!vae) throw new UserError('the latent probe needs a trained VAE: pass --vae-checkpoint DIR');
  return buildLatentProbe(latentSize(vae.config, vae.inputShape), classes, seed);
}

/**
 * Trains a classifier and writes it to `out`, one checkpoint per epoch; `resume` continues an interrupted run.
 * @example
 * await trainClassifier({ data: 'data/fsdd', out: 'classifiers/cnn', kind: 'cnn', labelField: 'digit', epochs: 10, seed: 0 });
 */
export async function trainClassifier(opts: ClassifyTrainOptions): Promise<EpochRecord[]> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const ds = await openDataset(opts.data);
  const vae = opts.kind === 'latent' ? await loadVaeFor(opts) : undefined;
  try {
    const { classes, train, val } = labelledSplits(ds, opts.labelField);
    const config: ClassifierConfig = { ...DEFAULT_CLASSIFIER, ...opts.config, kind: opts.kind };
    const model = buildModel(config, ds.shape, classes.length, opts.seed, vae);
    const optimizer = tf.train.adam(config.learningRate);
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const info: ClassifierInfo = {
      format: 'soundvae-classifier',
      config,
      classes,
      labelField: opts.labelField,
      inputShape: ds.shape,
      // Absolute, so eval, report and the probe's VAE are found from any working directory.
      data: path.resolve(opts.data),
      vaeCheckpoint: opts.vaeCheckpoint && path.resolve(opts.vaeCheckpoint),
      settings: ds.manifest.settings,
    };
    const history = opts.resume ? await resumeInto(opts.out, model, info) : [];
    // The VAE is frozen: its latent means are computed once, so the probe's epochs cost next to nothing.
    const latents = vae
      ? await encodeItems(
          vae,
          ds,
          [...train, ...val].map((t) => t.index),
          config.batchSize,
        )
      : undefined;
    log(`classify: ${opts.kind} on ${train.length} training / ${val.length} validation items, ${classes.length} classes (${opts.labelField})`);
    const run: EpochContext = { ds, model, config, classes, seed: opts.seed, epochs: opts.epochs, vae, latents, signal: opts.signal };
    for (let epoch = history.length + 1; epoch <= opts.epochs; epoch++) {
      const started = Date.now();
      const fit = await fitEpoch(run, train, epoch);
      if (fit === 'interrupted') break;
      const record: EpochRecord = { epoch, ...fit, ...(await validate(run, val)), seconds: (Date.now() - started) / 1000 };
      history.push(record);
      await saveClassifier(opts.out, model, optimizer, info, history);
      log(epochLine(record));
    }
    model.dispose();
    return history;
  } finally {
    await ds.close();
    if (vae) [vae.encoder, vae.decoder].forEach((m) => m.dispose());
  }
}

/** What one epoch of classifier training reads. */
interface EpochContext {
  ds: SpectrogramDataset;
  model: tf.LayersModel;
  config: ClassifierConfig;
  classes: string[];
  seed: number;
  epochs: number;
  vae?: Vae;
  latents?: Map<number, Float32Array>;
  signal?: AbortSignal;
}

/** One pass over the training items in the epoch's seeded order; the mean loss and accuracy over its batches. */
async function fitEpoch(
  run: EpochContext,
  train: { index: number; cls: number }[],
  epoch: number,
): Promise<Pick<EpochRecord, 'trainLoss' | 'trainAccuracy'> | 'interrupted'> {
  const { ds, model, config, classes } = run;
  const classOf = new Map(train.map((t) => [t.index, t.cls]));
  const indices = train.map((t) => t.index);
  const totals = await runEpoch({
    batches: inputBatches(ds, indices, config.batchSize, { seed: run.seed, epoch }, run.latents),
    async step(batch: { indices: number[]; x: tf.Tensor }) {
      const y = oneHot(
        batch.indices.map((i) => classOf.get(i)!),
        classes.length,
      );
      const [loss, accuracy] = (await model.trainOnBatch(batch.x, y)) as number[];
      tf.dispose([batch.x, y]);
      return { figures: { loss: loss!, accuracy: accuracy! }, count: batch.indices.length };
    },
    start: { sum: { loss: 0, accuracy: 0 }, items: 0 },
    progress: { total: train.length, label: `epoch ${epoch}/${run.epochs}`, unit: 'samples' },
    fields: (mean) => ({ loss: mean.loss.toFixed(3), acc: mean.accuracy.toFixed(3) }),
    signal: run.signal,
    nonFinite: (f) => `training stopped: the loss became ${f.loss} at epoch ${epoch}; the classifier folder holds the last good epoch. Try a lower --lr`,
  });
  if (totals.interrupted) return 'interrupted';
  const mean = meanOf(totals);
  return { trainLoss: mean.loss, trainAccuracy: mean.accuracy };
}

/** Loss and accuracy on the validation items (null when there are none). */
async function validate(run: EpochContext, val: { index: number; cls: number }[]): Promise<Pick<EpochRecord, 'valLoss' | 'valAccuracy'>> {
  if (!val.length) return { valLoss: null, valAccuracy: null };
  const indices = val.map((v) => v.index);
  const evaluated = await predictItems(run.model, run.ds, indices, run.config.batchSize, run.vae, run.latents);
  const truth = val.map((v) => v.cls);
  return { valLoss: crossEntropy(evaluated, truth, run.classes.length), valAccuracy: evaluatePredictions(evaluated, truth, run.classes).accuracy };
}

/** The log line of a finished epoch. */
function epochLine(record: EpochRecord): string {
  return (
    `epoch ${record.epoch}: train loss ${record.trainLoss.toFixed(3)} acc ${(100 * record.trainAccuracy).toFixed(1)}%` +
    (record.valAccuracy === null ? '' : `, validation loss ${record.valLoss!.toFixed(3)} acc ${(100 * record.valAccuracy).toFixed(1)}%`) +
    ` (${record.seconds.toFixed(1)} s)`
  );
}

/** The VAE a latent probe reads its inputs from. */
export async function loadVaeFor(opts: { vaeCheckpoint?: string }): Promise<Vae> {
  if (!opts.vaeCheckpoint) throw new UserError('the latent probe needs a trained VAE: pass --vae-checkpoint DIR');
  return (await loadCheckpoint(opts.vaeCheckpoint)).vae;
}

interface Labelled {
  index: number;
  cls: number;
}

/** Classes (sorted) and the labelled items of each split; items without the label are left out. */
export function labelledSplits(ds: SpectrogramDataset, field: string): { classes: string[]; train: Labelled[]; val: Labelled[] } {
  const items = ds.manifest.items.filter((it) => itemLabel(it, field) !== undefined);
  const classes = [...new Set(items.map((it) => itemLabel(it, field)!))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (classes.length < 2) {
    throw new UserError(`${ds.dir}: needs at least two classes of '${field}' to classify (found ${classes.length}); see --label`);
  }
  const of = (split: string) => items.filter((it) => it.split === split).map((it) => ({ index: it.index, cls: classes.indexOf(itemLabel(it, field)!) }));
  return { classes, train: of('train'), val: of('validation') };
}

/** Latent means of dataset items, by item index. */
export async function encodeItems(vae: Vae, ds: SpectrogramDataset, indices: number[], batchSize: number): Promise<Map<number, Float32Array>> {
  const out = new Map<number, Float32Array>();
  const d = latentSize(vae.config, vae.inputShape);
  for (let start = 0; start < indices.length; start += batchSize) {
    const chunk = indices.slice(start, start + batchSize);
    const mu = classifierInput(await ds.read(chunk), chunk.length, ds.shape, vae);
    const flat = (await mu.data()) as Float32Array;
    mu.dispose();
    chunk.forEach((index, i) => out.set(index, flat.slice(i * d, (i + 1) * d)));
  }
  return out;
}

/**
 * Batches of classifier inputs for items, shuffled per epoch like the store's own batches: spectrograms read
 * from the store, or latent means from `latents` when given.
 */
async function* inputBatches(
  ds: SpectrogramDataset,
  indices: number[],
  batchSize: number,
  order: BatchOptions,
  latents?: Map<number, Float32Array>,
): AsyncGenerator<{ indices: number[]; x: tf.Tensor }> {
  if (!latents) {
    for await (const b of ds.batches(indices, batchSize, order)) yield { indices: b.indices, x: classifierInput(b.data, b.indices.length, ds.shape) };
    return;
  }
  const list = order.shuffle === false ? indices : shuffled(indices, order.seed ?? 0, order.epoch ?? 0);
  for (let start = 0; start < list.length; start += batchSize) {
    const chunk = list.slice(start, start + batchSize);
    const rows = chunk.map((i) => latents.get(i)!);
    const flat = new Float32Array(rows.length * rows[0]!.length);
    rows.forEach((r, i) => flat.set(r, i * r.length));
    yield { indices: chunk, x: tf.tensor2d(flat, [rows.length, rows[0]!.length]) };
  }
}

/** Class probabilities [n, classes] for dataset items, in the order given (inference mode). */
export async function predictItems(
  model: tf.LayersModel,
  ds: SpectrogramDataset,
  indices: number[],
  batchSize: number,
  vae?: Vae,
  latents?: Map<number, Float32Array>,
): Promise<Float32Array> {
  const classes = (model.outputs[0]!.shape as number[])[1]!;
  const out = new Float32Array(indices.length * classes);
  let start = 0;
  const batches = latents ? inputBatches(ds, indices, batchSize, { shuffle: false }, latents) : undefined;
  if (batches) {
    for await (const b of batches) {
      const probs = tf.tidy(() => model.predict(b.x) as tf.Tensor);
      b.x.dispose();
      out.set(await probs.data(), start * classes);
      start += b.indices.length;
      probs.dispose();
    }
    return out;
  }
  for (; start < indices.length; start += batchSize) {
    const chunk = indices.slice(start, start + batchSize);
    const data = await ds.read(chunk);
    const probs = tf.tidy(() => model.predict(classifierInput(data, chunk.length, ds.shape, vae)) as tf.Tensor);
    out.set(await probs.data(), start * classes);
    probs.dispose();
  }
  return out;
}

/** The layer whose output is a classifier's last hidden representation: what the embedding map shows. */
export const EMBEDDING_LAYER: Record<ClassifierKind, string | null> = { cnn: 'embedding', crnn: 'bigru', latent: null };

/**
 * Class probabilities [n, classes] and the last hidden layer's outputs [n, dim] for dataset items (inference mode).
 * For the latent probe the hidden representation is its input, the VAE's latent means.
 */
export async function embedItems(
  model: tf.LayersModel,
  kind: ClassifierKind,
  ds: SpectrogramDataset,
  indices: number[],
  batchSize: number,
  vae?: Vae,
): Promise<{ probs: Float32Array; embeddings: Float32Array[] }> {
  const layer = EMBEDDING_LAYER[kind];
  // A second view of the same layers with two outputs; it shares the weights, so it is not disposed on its own.
  const twoHeads = layer ? tf.model({ inputs: model.inputs, outputs: [model.getLayer(layer).output as tf.SymbolicTensor, model.outputs[0]!] }) : undefined;
  const classes = (model.outputs[0]!.shape as number[])[1]!;
  const probs = new Float32Array(indices.length * classes);
  const embeddings: Float32Array[] = [];
  for (let start = 0; start < indices.length; start += batchSize) {
    const chunk = indices.slice(start, start + batchSize);
    const data = await ds.read(chunk);
    const [hidden, p] = tf.tidy(() => {
      const x = classifierInput(data, chunk.length, ds.shape, vae);
      return twoHeads ? (twoHeads.predict(x) as tf.Tensor[]) : [x.clone(), model.predict(x) as tf.Tensor];
    }) as [tf.Tensor2D, tf.Tensor];
    probs.set(await p.data(), start * classes);
    const dim = hidden.shape[1];
    const flat = (await hidden.data()) as Float32Array;
    for (let i = 0; i < chunk.length; i++) embeddings.push(flat.slice(i * dim, (i + 1) * dim));
    tf.dispose([hidden, p]);
  }
  return { probs, embeddings };
}

function crossEntropy(probs: Float32Array, truth: number[], classes: number): number {
  let sum = 0;
  truth.forEach((t, i) => (sum -= Math.log(Math.max(1e-7, probs[i * classes + t]!))));
  return sum / Math.max(1, truth.length);
}

const FILES = { model: 'model', info: 'classifier.json', state: 'state.json', optimizer: 'optimizer.bin', metrics: 'metrics.jsonl' };

/** Writes the classifier folder: model and optimizer into a temp folder first, then swapped in whole. */
async function saveClassifier(out: string, model: tf.LayersModel, optimizer: tf.Optimizer, info: ClassifierInfo, history: EpochRecord[]): Promise<void> {
  const tmp = `${out}.tmp`;
  await fs.rm(tmp, { recursive: true, force: true });
  await model.save(fileHandler(path.join(tmp, FILES.model)));
  const weights = await optimizer.getWeights();
  const specs = weights.map((w) => ({ name: w.name, shape: w.tensor.shape }));
  const flat = weights.map((w) => w.tensor.dataSync() as Float32Array);
  const bytes = new Float32Array(flat.reduce((n, a) => n + a.length, 0));
  flat.reduce((offset, a) => (bytes.set(a, offset), offset + a.length), 0);
  await fs.writeFile(path.join(tmp, FILES.optimizer), new Uint8Array(bytes.buffer));
  await fs.writeFile(path.join(tmp, FILES.state), JSON.stringify({ epoch: history.length, optimizer: specs }));
  await fs.writeFile(path.join(tmp, FILES.metrics), `${history.map((h) => JSON.stringify(h)).join('\n')}\n`);
  // TensorBoard's view of the same history (the folder is rewritten whole, so one file holds every epoch)
  writeEventFile(
    tmp,
    history.map((h) => ({
      step: h.epoch,
      scalars: {
        'train/loss': h.trainLoss,
        'train/accuracy': h.trainAccuracy,
        'validation/loss': h.valLoss ?? Number.NaN,
        'validation/accuracy': h.valAccuracy ?? Number.NaN,
      },
    })),
  );
  await fs.writeFile(path.join(tmp, FILES.info), JSON.stringify(info, null, 2));
  await replaceDir(tmp, out);
}

/** Loads weights, optimizer state and history of an earlier run into `model`; [] when there is none. */
async function resumeInto(out: string, model: tf.LayersModel, info: ClassifierInfo): Promise<EpochRecord[]> {
  const saved = await readClassifierInfo(out).catch(() => undefined);
  if (!saved) return [];
  if (saved.config.kind !== info.config.kind || saved.classes.join() !== info.classes.join()) {
    throw new UserError(`${out}: was trained as ${saved.config.kind} on classes ${saved.classes.join(',')}; cannot resume with other settings`);
  }
  const loaded = await tf.loadLayersModel(fileHandler(path.join(out, FILES.model)));
  model.setWeights(loaded.getWeights());
  loaded.dispose();
  const state = JSON.parse(await fs.readFile(path.join(out, FILES.state), 'utf8')) as { optimizer: { name: string; shape: number[] }[] };
  const bytes = await fs.readFile(path.join(out, FILES.optimizer));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  const named = state.optimizer.map((s) => {
    const size = s.shape.reduce((p, d) => p * d, 1);
    const tensor = tf.tensor(all.subarray(offset, offset + size), s.shape);
    offset += size;
    return { name: s.name, tensor };
  });
  // Adam's setWeights rebuilds its moment slots from these, named after the variables they follow.
  await model.optimizer.setWeights(named);
  const text = await fs.readFile(path.join(out, FILES.metrics), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EpochRecord);
}

/** Reads `classifier.json` of a classifier folder, with a clear error when it is not one. */
export async function readClassifierInfo(dir: string): Promise<ClassifierInfo> {
  const file = path.join(dir, FILES.info);
  let info: ClassifierInfo;
  try {
    info = JSON.parse(await fs.readFile(file, 'utf8')) as ClassifierInfo;
  } catch (err) {
    throw new UserError(
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing: not a classifier folder (train one with soundvae classify train)' : 'not valid JSON'}`,
    );
  }
  if (info.format !== 'soundvae-classifier') throw new UserError(`${file}: not a soundvae classifier`);
  try {
    parseRecordedSettings(info.settings); // typed from here on
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    throw new UserError(`${file}: ${err.message} (the classifier is corrupt or from an older soundvae; train it again)`);
  }
  return info;
}

/** Loads a trained classifier and its info. */
export async function loadClassifier(dir: string): Promise<{ model: tf.LayersModel; info: ClassifierInfo; history: EpochRecord[] }> {
  const info = await readClassifierInfo(dir);
  const model = await tf.loadLayersModel(fileHandler(path.join(dir, FILES.model)));
  const text = await fs.readFile(path.join(dir, FILES.metrics), 'utf8').catch(() => '');
  return {
    model,
    info,
    history: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as EpochRecord),
  };
}

/** Evaluates a classifier folder on its dataset's validation split. */
export async function evaluateClassifier(dir: string, data?: string): Promise<{ report: ClassificationReport; history: EpochRecord[] }> {
  const { model, info, history } = await loadClassifier(dir);
  const ds = await openDataset(data ?? info.data);
  const vae = info.config.kind === 'latent' ? await loadVaeFor(info) : undefined;
  try {
    const { classes, val } = labelledSplits(ds, info.labelField);
    if (classes.join() !== info.classes.join()) throw new UserError(`${ds.dir}: its classes differ from those the classifier was trained on`);
    if (val.length === 0) throw new UserError(`${ds.dir}: has no validation items to evaluate on`);
    const probs = await predictItems(
      model,
      ds,
      val.map((v) => v.index),
      info.config.batchSize,
      vae,
    );
    return {
      report: evaluatePredictions(
        probs,
        val.map((v) => v.cls),
        classes,
      ),
      history,
    };
  } finally {
    model.dispose();
    await ds.close();
    if (vae) [vae.encoder, vae.decoder].forEach((m) => m.dispose());
  }
}
