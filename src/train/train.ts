/**
 * The training loop: epochs of shuffled batches streamed from the dataset, a validation pass per epoch,
 * a checkpoint after every epoch (`OUT/last`) and for the best validation loss (`OUT/best`), a JSONL metrics log
 * and an SVG plot of the curves beside them.
 *
 * Resuming is exact: the batch order depends only on (seed, epoch), the engine's noise only on (seed, step), and
 * the checkpoint keeps the weights, BatchNorm statistics, Adam moments, step and the position inside the epoch, so
 * "train 2 epochs, stop, resume to 4" ends with the same weights as "train 4 epochs".
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { writeError, writeFileAtomic } from '../fsutil.ts';
import { describeMissingCheckpoint, lockRun, prepareNewRun, reconcileMetricsLog } from './run-folder.ts';
import { getVaeWeights } from '../model/vae.ts';
import { VAE_PRESETS, type VaeConfig, type VaePresetName } from '../model/vae-config.ts';
import { formatDuration, formatNumber, type ProgressStream } from '../progress.ts';
import { checkBatchValues, openDataset, shuffled } from '../dataset/store.ts';
import { createEngine } from './create-engine.ts';
import type { LossParts, TrainingEngine } from './engine-types.ts';
import {
  architectureDifferences,
  copyCheckpoint,
  disposeVae,
  loadCheckpoint,
  saveCheckpoint,
  type DatasetInfo,
  type EpochMetrics,
  type TrainingProgress,
} from './checkpoint.ts';
import { renderCurvesSvg } from './curves.ts';
import { type AudioSummary, EventWriter } from './tensorboard.ts';
import { lrFactor, lrSchedule } from './schedule.ts';
import { DEFAULT_TRAIN, RUN_FILES } from './defaults.ts';
import { addFigures, meanOf, runEpoch } from './epoch-loop.ts';

export { DEFAULT_TRAIN, RUN_FILES } from './defaults.ts';

/** One batch of spectrograms laid out [count, height, width], values in [0, 1]. */
export interface Batch {
  data: Float32Array;
  count: number;
}

/**
 * What the loop needs from a dataset. `datasetSource` adapts the dataset store to it; tests may
 * pass anything that behaves the same (deterministic order for a given seed and epoch).
 */
export interface TrainingData {
  /** [height = bins, width = frames] of every item. */
  shape: [number, number];
  trainItems: number;
  validationItems: number;
  /** Training batches of one epoch, shuffled by (seed, epoch), starting at batch number `skip`. */
  trainBatches(epoch: number, batchSize: number, seed: number, skip: number): AsyncIterable<Batch>;
  /** Validation batches in a fixed order. */
  validationBatches(batchSize: number): AsyncIterable<Batch>;
  /** Kept in the checkpoint (settings and normalisation statistics for generation). */
  info: DatasetInfo;
}

/**
 * Opens a dataset folder (see src/dataset/store.ts) as training data: batches are read from disk one ahead of
 * use, so memory stays at about two batches whatever the dataset's size. Close it when done.
 * @example
 * const data = await datasetSource('data/digits');
 * try { await train(data, { out: 'runs/digits' }); } finally { await data.close(); }
 */
export async function datasetSource(dir: string): Promise<TrainingData & { close(): Promise<void> }> {
  const ds = await openDataset(dir);
  const { features } = ds.manifest.settings;
  if (features) {
    await ds.close();
    throw new UserError(
      `${dir}: holds ${features.kind} features, which the VAE cannot turn back into sound; it trains on log-magnitude STFT datasets (preprocess without --features)`,
    );
  }
  const trainIdx = ds.indices('train');
  const valIdx = ds.indices('validation');
  return {
    shape: [ds.shape[0], ds.shape[1]],
    trainItems: trainIdx.length,
    validationItems: valIdx.length,
    async *trainBatches(epoch, batchSize, seed, skip) {
      // The epoch's order depends on (seed, epoch) alone; skipping batches on resume reads nothing for them.
      const order = shuffled(trainIdx, seed, epoch).slice(skip * batchSize);
      for await (const b of ds.batches(order, batchSize, { shuffle: false })) yield { data: checkBatchValues(ds, b), count: b.indices.length };
    },
    async *validationBatches(batchSize) {
      for await (const b of ds.batches(valIdx, batchSize, { shuffle: false })) yield { data: checkBatchValues(ds, b), count: b.indices.length };
    },
    info: {
      path: dir,
      preprocessing: ds.manifest.settings,
      normalization: ds.manifest.stats,
      trainItems: trainIdx.length,
      validationItems: valIdx.length,
    },
    close: () => ds.close(),
  };
}

export interface TrainOptions {
  /** Output folder: last/, best/, metrics.jsonl, curves.svg. */
  out: string;
  /** Architecture preset the overrides apply to (new runs). */
  preset?: VaePresetName;
  /** Settings given explicitly (--lr, --filters...). On --resume they must agree with the checkpoint. */
  overrides?: Partial<VaeConfig>;
  /** Total epochs to reach (on resume: counted from the start of the run, not from the resume point). */
  epochs?: number;
  seed?: number;
  /** Whether `seed` was given explicitly (on resume it must then agree with the checkpoint). */
  seedGiven?: boolean;
  /** Largest batch the engine runs at once (0 = automatic). */
  microBatch?: number;
  /** Data-parallel worker threads of the engine. */
  workers?: number;
  /** Continue the checkpoint in `out/last`. */
  resume?: boolean;
  /** Replace a run already in `out`; without it a new run refuses to start there. */
  overwrite?: boolean;
  /** Write a metrics line every this many steps (besides one per epoch). */
  logEverySteps?: number;
  /**
   * Also save last/ in the middle of an epoch when this many seconds have passed since the last save, so a hard
   * kill loses at most this much of a long epoch. 0: save only at the end of epochs.
   */
  saveEverySeconds?: number;
  /** Stop at the next step boundary, save `last/` and return status 'interrupted' (Ctrl-C). */
  signal?: AbortSignal;
  /** Where the progress bar goes (stderr by default); false for none. */
  progress?: ProgressStream | false;
  /** Receives one line per epoch and notices (stderr by default). */
  log?: (line: string) => void;
  /** Also write TensorBoard event files into `out` (default true): `tensorboard --logdir runs/`. */
  tensorboard?: boolean;
  /**
   * Sounds for TensorBoard's Audio tab after each epoch, made from the checkpoint just saved (the caller turns it
   * into audio: reconstructions of a few validation items, say). A failure is logged once and then left alone.
   */
  listen?: (checkpointDir: string, epoch: number) => Promise<AudioSummary[]>;
}

export interface TrainResult {
  status: 'done' | 'interrupted';
  /** Epochs fully done. */
  epoch: number;
  step: number;
  bestValLoss: number | null;
  metrics: EpochMetrics[];
  /** The folder of the last checkpoint written (or of the one resumed from when nothing new was written). */
  checkpoint: string;
}

const ZERO_PARTS: LossParts = { loss: 0, reconstruction: 0, kl: 0 };

/** "loss 1.2e+4 (rec 0.012, kl 34.5)" */
function describeParts(p: LossParts): string {
  return `loss ${formatNumber(p.loss)} (rec ${formatNumber(p.reconstruction)}, kl ${formatNumber(p.kl)})`;
}

/**
 * Mean losses over the validation split in inference mode (BatchNorm uses its moving statistics).
 * Undefined when the split is empty.
 */
export async function validate(engine: TrainingEngine, data: TrainingData, batchSize: number): Promise<LossParts | undefined> {
  let totals = { sum: ZERO_PARTS, items: 0 };
  for await (const batch of data.validationBatches(batchSize)) totals = addFigures(totals, await engine.evaluate(batch.data, batch.count), batch.count);
  return totals.items > 0 ? meanOf(totals) : undefined;
}

/** The settings of a new run: the preset with the explicit overrides on top. */
export function resolveConfig(preset: VaePresetName, overrides: Partial<VaeConfig> = {}): VaeConfig {
  const base = VAE_PRESETS[preset] as VaeConfig | undefined;
  if (!base) throw new UserError(`unknown preset '${preset}': choose one of ${Object.keys(VAE_PRESETS).join(', ')}`);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...base, ...defined };
}

/** Explains every way the explicit options disagree with the checkpoint being resumed; empty when none. */
function resumeConflicts(ckptConfig: VaeConfig, opts: TrainOptions, ckptSeed: number): string[] {
  const given = dropUndefined(opts.overrides ?? {});
  // An explicit --preset counts as giving all its settings; otherwise only the options given are compared.
  const wanted: VaeConfig = { ...(opts.preset ? resolveConfig(opts.preset) : ckptConfig), ...given };
  const noShape: [number, number] = [0, 0];
  const out = architectureDifferences({ config: ckptConfig, inputShape: noShape }, { config: wanted, inputShape: noShape });
  for (const key of ['learningRate', 'batchSize', 'reconstructionWeight', 'klWeight', 'klAnnealEpochs'] as const) {
    if (wanted[key] !== ckptConfig[key]) out.push(`${key} ${wanted[key]} (checkpoint has ${ckptConfig[key]})`);
  }
  const schedule = (c: VaeConfig) => c.lrSchedule ?? 'constant';
  if (schedule(wanted) !== schedule(ckptConfig)) out.push(`lrSchedule ${schedule(wanted)} (checkpoint has ${schedule(ckptConfig)})`);
  if (opts.seedGiven && opts.seed !== undefined && opts.seed !== ckptSeed) out.push(`seed ${opts.seed} (checkpoint has ${ckptSeed})`);
  return out;
}

/**
 * After a kill between saving last/ and copying it to best/, best/ lags behind: copy it again.
 * (The loss that made last/ the best is recorded in last/'s training.json.)
 */
async function repairBest(out: string, lastDir: string, progress: TrainingProgress): Promise<void> {
  // Only an end-of-epoch checkpoint (no batches of the next epoch done) is ever copied to best/.
  if (progress.bestEpoch === null || progress.bestEpoch !== progress.epoch || progress.batchInEpoch > 0) return;
  const bestDir = path.join(out, RUN_FILES.best);
  let bestEpoch: number | undefined;
  try {
    bestEpoch = (JSON.parse(await fs.readFile(path.join(bestDir, 'training.json'), 'utf8')) as TrainingProgress).epoch;
  } catch {
    // missing or unreadable: rewrite it
  }
  if (bestEpoch !== progress.epoch) await copyCheckpoint(lastDir, bestDir);
}

/** Whether a checkpoint already exists in `out` (so a new run would overwrite it). */
async function hasCheckpoint(out: string): Promise<boolean> {
  for (const name of [RUN_FILES.last, `${RUN_FILES.last}.old`, RUN_FILES.best]) {
    try {
      await fs.access(path.join(out, name, 'config.json'));
      return true;
    } catch {
      // none under this name
    }
  }
  return false;
}

/**
 * Trains (or resumes training) a VAE on `data` and writes checkpoints and logs to `opts.out`.
 * Call initBackend first. Throws UserError on a mismatched resume or a non-finite loss (the last good
 * checkpoint stays in place).
 * @example
 * await initBackend();
 * const data = await datasetSource('data/digits');
 * const result = await train(data, { out: 'runs/digits', epochs: 30, overrides: { latent: 64 } });
 */
export async function train(data: TrainingData, opts: TrainOptions): Promise<TrainResult> {
  if (data.trainItems < 1) throw new UserError(`${data.info.path}: the dataset has no training items`);
  // One trainer per run folder: a second one (or a second --resume) is refused with the first one's pid.
  const unlock = await lockRun(opts.out);
  try {
    return await trainLocked(data, opts);
  } finally {
    unlock();
  }
}

/** Everything one training run carries from step to step: settings, engine, where it stands, what was saved. */
interface Run {
  data: TrainingData;
  opts: TrainOptions;
  o: typeof DEFAULT_TRAIN & TrainOptions & { out: string };
  log: (line: string) => void;
  paths: { last: string; best: string; metrics: string };
  config: VaeConfig;
  progress: TrainingProgress;
  engine: TrainingEngine;
  /** Where the checkpoint in last/ stands, for the message when training must stop. */
  saved?: string;
  lastSave: number;
  /** TensorBoard's view of the same numbers as metrics.jsonl. */
  events?: EventWriter;
  /** Set when `opts.listen` failed: the run goes on without sounds. */
  listenFailed?: boolean;
}

/** The run's learning-rate schedule: a cosine spans its steps to --epochs (a resume to more epochs stretches it). */
function scheduleFor(data: TrainingData, c: VaeConfig, epochs: number) {
  return lrSchedule(c.lrSchedule ?? 'constant', epochs * Math.ceil(data.trainItems / c.batchSize));
}

/** The engine for a config, on the run's workers, schedule and KL ramp. */
function engineFor(data: TrainingData, o: Run['o'], config: VaeConfig, seed: number): Promise<TrainingEngine> {
  const klAnnealSteps = (config.klAnnealEpochs ?? 0) * Math.ceil(data.trainItems / config.batchSize);
  return createEngine({
    config,
    inputShape: data.shape,
    seed,
    microBatch: o.microBatch,
    workers: o.workers,
    lrSchedule: scheduleFor(data, config, o.epochs),
    klAnnealSteps,
  });
}

/** Continues the run in `out/last`: checks it fits the options and the data, restores the engine and the logs. */
async function resumeRun(data: TrainingData, opts: TrainOptions, o: Run['o'], log: Run['log'], paths: Run['paths']) {
  if (!(await hasCheckpoint(o.out))) throw new UserError(await describeMissingCheckpoint(o.out));
  const ckpt = await loadCheckpoint(o.out, 'last');
  let engine: TrainingEngine;
  const progress = ckpt.training;
  try {
    if (!ckpt.resumable) {
      throw new UserError(
        `${ckpt.dir}: an exported checkpoint (no optimiser state) cannot be resumed; resume the run it was exported from, or start a new --out`,
      );
    }
    const conflicts = resumeConflicts(ckpt.config, opts, ckpt.training.seed);
    const shape = architectureDifferences(ckpt, { config: ckpt.config, inputShape: data.shape });
    if (conflicts.length) {
      throw new UserError(`${ckpt.dir}: cannot resume with ${conflicts.join(', ')}; drop these options or start a new --out`);
    }
    if (shape.length) throw new UserError(`${ckpt.dir}: cannot resume on this dataset: ${shape.join(', ')}`);
    if (ckpt.dataset.trainItems !== data.trainItems || ckpt.dataset.validationItems !== data.validationItems) {
      throw new UserError(
        `${ckpt.dir}: the dataset changed since this checkpoint (${data.trainItems} training / ${data.validationItems} validation items, ` +
          `was ${ckpt.dataset.trainItems} / ${ckpt.dataset.validationItems}); resuming needs the same data`,
      );
    }
    engine = await engineFor(data, o, ckpt.config, progress.seed);
    await engine.setState({ weights: getVaeWeights(ckpt.vae), optimizer: ckpt.optimizer, step: ckpt.optimizerStep });
  } finally {
    disposeVae(ckpt.vae);
  }
  const metricsFix = await reconcileMetricsLog(paths.metrics, progress);
  if (metricsFix.restored) log(`${paths.metrics}: ${metricsFix.restored} epoch line(s) lost to an earlier kill restored from the checkpoint`);
  await repairBest(o.out, ckpt.dir, progress);
  if (progress.backend && progress.backend !== tf.getBackend()) {
    log(
      `note: this run was trained on the ${progress.backend} backend and continues on ${tf.getBackend()}; the weights will differ slightly from an uninterrupted run`,
    );
  }
  progress.backend = tf.getBackend();
  log(`resuming ${ckpt.dir}: epoch ${progress.epoch}${progress.batchInEpoch ? ` + ${progress.batchInEpoch} batches` : ''}, step ${progress.step}`);
  return { config: ckpt.config, progress, engine, saved: `epoch ${progress.epoch}, step ${progress.step}` };
}

/** Starts a new run in `out` (never over another without --overwrite): a fresh engine and an empty metrics log. */
async function newRun(data: TrainingData, opts: TrainOptions, o: Run['o'], paths: Run['paths']) {
  await prepareNewRun(o.out, Boolean(opts.overwrite));
  const config = resolveConfig(o.preset, opts.overrides);
  const progress: TrainingProgress = {
    epoch: 0,
    batchInEpoch: 0,
    partial: { sum: ZERO_PARTS, items: 0, seconds: 0 },
    step: 0,
    seed: o.seed,
    backend: tf.getBackend(),
    bestValLoss: null,
    bestEpoch: null,
    metrics: [],
  };
  const engine = await engineFor(data, o, config, o.seed);
  await fs.mkdir(o.out, { recursive: true });
  await writeFileAtomic(paths.metrics, '');
  return { config, progress, engine, saved: undefined };
}

async function saveRun(run: Run, dir: string): Promise<void> {
  const { config, data, progress, engine } = run;
  await saveCheckpoint(dir, { config, inputShape: data.shape, dataset: data.info, training: progress, state: await engine.getState() });
  run.saved = `epoch ${progress.epoch}, step ${progress.step}`;
  run.lastSave = performance.now();
}

function appendMetrics(run: Run, record: object): Promise<void> {
  return fs.appendFile(run.paths.metrics, `${JSON.stringify({ ...record, time: new Date().toISOString() })}\n`).catch((err: unknown) => {
    throw writeError(run.paths.metrics, err);
  });
}

/**
 * Trains one epoch's batches from where the epoch stands (skipping those done before an interruption), saving
 * `last/` inside long epochs. Returns the training seconds, or 'interrupted' after saving the position.
 */
async function trainEpoch(run: Run, epoch: number): Promise<number | 'interrupted'> {
  const { data, opts, o, config, engine } = run;
  let started = performance.now();
  const { interrupted } = await runEpoch({
    batches: data.trainBatches(epoch, config.batchSize, run.progress.seed, run.progress.batchInEpoch),
    step: async (batch: Batch) => ({ figures: await engine.trainStep(batch.data, batch.count), count: batch.count }),
    start: run.progress.partial,
    progress: opts.progress !== false && {
      total: data.trainItems - Math.min(data.trainItems, run.progress.partial.items),
      label: `epoch ${epoch + 1}/${o.epochs}`,
      unit: 'samples',
      remainingAfter: (o.epochs - epoch - 1) * data.trainItems, // the later epochs: the whole run's ETA
      stream: opts.progress,
    },
    fields: (mean) => ({ loss: mean.loss, rec: mean.reconstruction, kl: mean.kl }),
    signal: opts.signal,
    nonFinite: (parts) => {
      const kept = run.saved ? `${run.paths.last} still holds the last good checkpoint (${run.saved})` : 'no checkpoint was written yet';
      return `training stopped: the loss became ${parts.loss} at epoch ${epoch + 1}, step ${run.progress.step + 1}; ${kept}. Try a lower --lr`;
    },
    afterStep: async (parts, totals) => {
      const p = run.progress;
      p.step++;
      p.batchInEpoch++;
      p.partial = { ...p.partial, ...totals };
      if (p.step % o.logEverySteps === 0) {
        await appendMetrics(run, { type: 'step', epoch: epoch + 1, step: p.step, ...parts });
        run.events?.scalars({ 'step/loss': parts.loss, 'step/reconstruction': parts.reconstruction, 'step/kl': parts.kl }, p.step);
      }
      if (o.saveEverySeconds > 0 && (performance.now() - run.lastSave) / 1000 >= o.saveEverySeconds) {
        p.partial.seconds += (performance.now() - started) / 1000;
        started = performance.now();
        await saveRun(run, run.paths.last); // the position inside the epoch is saved: resuming continues from this step
      }
    },
  });
  const trainSeconds = run.progress.partial.seconds + (performance.now() - started) / 1000;
  if (interrupted) {
    // Save the position inside the epoch: --resume skips the batches already done, with the same order.
    run.progress.partial.seconds = trainSeconds;
    await saveRun(run, run.paths.last);
    return 'interrupted';
  }
  return trainSeconds;
}

/** Validates, logs and checkpoints a finished epoch (best/ too when its validation loss is the lowest so far). */
/** TensorBoard sounds of the epoch's checkpoint, when asked for; a failure costs the sounds, never the run. */
async function listenToEpoch(run: Run, epoch: number): Promise<void> {
  if (!run.events || !run.opts.listen || run.listenFailed) return;
  try {
    run.events.audio(await run.opts.listen(run.paths.last, epoch), run.progress.step);
  } catch (err) {
    run.listenFailed = true;
    run.log(`TensorBoard sounds left out from now on: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function finishEpoch(run: Run, epoch: number, trainSeconds: number, started: number): Promise<void> {
  const { data, o, config, engine } = run;
  const train = meanOf(run.progress.partial);
  const val = await validate(engine, data, config.batchSize);
  const metrics: EpochMetrics = {
    epoch: epoch + 1,
    step: run.progress.step,
    train,
    ...(val ? { val } : {}),
    samplesPerSecond: run.progress.partial.items / Math.max(trainSeconds, 1e-9),
    seconds: trainSeconds + (performance.now() - started) / 1000,
    learningRate: config.learningRate * lrFactor(scheduleFor(data, config, o.epochs), run.progress.step - 1),
  };
  // Best by validation loss, or by training loss when there is no validation split.
  const score = (val ?? train).loss;
  const isBest = Number.isFinite(score) && (run.progress.bestValLoss === null || score < run.progress.bestValLoss);
  run.progress = {
    ...run.progress,
    epoch: epoch + 1,
    batchInEpoch: 0,
    partial: { sum: ZERO_PARTS, items: 0, seconds: 0 },
    bestValLoss: isBest ? score : run.progress.bestValLoss,
    bestEpoch: isBest ? epoch + 1 : run.progress.bestEpoch,
    metrics: [...run.progress.metrics, metrics],
  };
  // The epoch's log line before its checkpoint: a kill in between leaves a line past the checkpoint, which resuming
  // drops; a kill after the save (e.g. during the best/ copy) finds the line already there.
  await appendMetrics(run, { type: 'epoch', ...metrics });
  run.events?.scalars(
    {
      'train/loss': train.loss,
      'train/reconstruction': train.reconstruction,
      'train/kl': train.kl,
      ...(val ? { 'validation/loss': val.loss, 'validation/reconstruction': val.reconstruction, 'validation/kl': val.kl } : {}),
      learning_rate: metrics.learningRate ?? Number.NaN,
      samples_per_second: metrics.samplesPerSecond,
      epoch: epoch + 1,
    },
    run.progress.step,
  );
  await saveRun(run, run.paths.last);
  if (isBest) await copyCheckpoint(run.paths.last, run.paths.best);
  await listenToEpoch(run, epoch + 1);
  await writeFileAtomic(path.join(o.out, RUN_FILES.curves), renderCurvesSvg(run.progress.metrics));
  run.log(
    `epoch ${epoch + 1}/${o.epochs}: train ${describeParts(train)}` +
      (val ? `, validation ${describeParts(val)}` : '') +
      `${config.lrSchedule === 'cosine' ? `, lr ${formatNumber(metrics.learningRate!)}` : ''}` +
      `, ${formatNumber(metrics.samplesPerSecond)} samples/s, ${formatDuration(metrics.seconds)}${isBest ? ', best so far' : ''}`,
  );
}

async function trainLocked(data: TrainingData, opts: TrainOptions): Promise<TrainResult> {
  const o = { ...DEFAULT_TRAIN, ...dropUndefined(opts), out: opts.out };
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const paths = { last: path.join(o.out, RUN_FILES.last), best: path.join(o.out, RUN_FILES.best), metrics: path.join(o.out, RUN_FILES.metrics) };
  const start = o.resume ? await resumeRun(data, opts, o, log, paths) : await newRun(data, opts, o, paths);
  const run: Run = { data, opts, o, log, paths, ...start, lastSave: performance.now() };
  if (opts.tensorboard !== false) run.events = new EventWriter(o.out);
  const result = (status: TrainResult['status']): TrainResult => ({
    status,
    epoch: run.progress.epoch,
    step: run.progress.step,
    bestValLoss: run.progress.bestValLoss,
    metrics: run.progress.metrics,
    checkpoint: paths.last,
  });
  try {
    if (run.progress.epoch >= o.epochs) log(`nothing to do: the checkpoint has already done ${run.progress.epoch} of ${o.epochs} epochs (raise --epochs)`);
    for (let epoch = run.progress.epoch; epoch < o.epochs; epoch++) {
      const trainSeconds = await trainEpoch(run, epoch);
      if (trainSeconds === 'interrupted') return result('interrupted');
      await finishEpoch(run, epoch, trainSeconds, performance.now());
    }
    return result('done');
  } finally {
    run.events?.close();
    await run.engine.dispose();
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
