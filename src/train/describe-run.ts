/**
 * What a training run folder or a checkpoint folder holds, for `soundvae info RUN_DIR` and `soundvae info RUN/best`:
 * architecture, dataset, epochs, best loss and backend, read from the JSON files alone (no tfjs, no weights loaded).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileError, UserError } from '../errors.ts';
import type { RecordedSettings } from '../dataset/settings.ts';
import type { CheckpointConfig, EpochMetrics, TrainingProgress } from './checkpoint.ts';

/** The files read here (the same names checkpoint.ts writes). */
const FILES = { config: 'config.json', training: 'training.json', metrics: 'metrics.jsonl', format: 'soundvae-checkpoint' } as const;
/** A run's checkpoint folders, in the order they are described. */
export const RUN_CHECKPOINTS = ['best', 'last'] as const;

export interface CheckpointSummary {
  dir: string;
  architecture: string;
  inputShape: [number, number];
  dataset: { path: string; preset?: string; sampleRate?: number; trainItems: number; validationItems: number };
  /** Epochs fully done when it was saved, optimiser steps, and batches into the next epoch (Ctrl-C). */
  epoch: number;
  step: number;
  batchInEpoch: number;
  bestLoss: number | null;
  bestEpoch: number | null;
  /** The last epoch's training and validation loss. */
  lastTrainLoss?: number;
  lastValLoss?: number;
  backend?: string;
  savedAt: string;
}

export interface RunSummary {
  dir: string;
  checkpoints: Partial<Record<(typeof RUN_CHECKPOINTS)[number], CheckpointSummary>>;
  /** Epoch lines in metrics.jsonl. */
  loggedEpochs: number;
  /** Other files in the folder (curves.svg, ...). */
  files: string[];
}

/** Whether `dir` is a checkpoint folder (a config.json of the checkpoint format). */
export function isCheckpointDir(dir: string): boolean {
  return existsSync(path.join(dir, FILES.config)) && existsSync(path.join(dir, FILES.training));
}

/** Whether `dir` is a training run: a folder with a best/ or last/ checkpoint. */
export function isRunDir(dir: string): boolean {
  return RUN_CHECKPOINTS.some((name) => isCheckpointDir(path.join(dir, name)));
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    throw fileError(file, err);
  }
}

/** One line for the architecture: the blocks, the latent and the loss weights. */
export function formatArchitecture(c: CheckpointConfig['config'], shape: [number, number]): string {
  const extra = c as Partial<{ bottleneck: string; reconstructionLoss: string; klWeight: number }>;
  const strides = c.strides.map((s) => s.join('x')).join(',');
  const latent = extra.bottleneck === 'time' ? `latent ${c.latent} per time step` : `latent ${c.latent}`;
  return (
    `input ${shape[0]} x ${shape[1]}, filters ${c.filters.join(',')}, kernels ${c.kernels.join(',')}, strides ${strides}, ${latent}, ` +
    `${extra.reconstructionLoss ?? 'mse'} x ${fmt(c.reconstructionWeight)}, kl x ${extra.klWeight ?? 1}, batch ${c.batchSize}, lr ${c.learningRate}`
  );
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? x.toExponential(3).replace(/\.?0+e/, 'e') : String(Number(x.toPrecision(4)));
}

/**
 * Reads a checkpoint folder's config.json and training.json.
 * @throws UserError when they are missing, unreadable or of another format.
 */
export async function describeCheckpoint(dir: string): Promise<CheckpointSummary> {
  const config = await readJson<CheckpointConfig>(path.join(dir, FILES.config));
  if (config.format !== FILES.format) throw new UserError(`${dir}: not a soundvae checkpoint (config.json format ${String(config.format)})`);
  const training = await readJson<TrainingProgress>(path.join(dir, FILES.training));
  const last: EpochMetrics | undefined = training.metrics?.at(-1);
  const settings: Partial<RecordedSettings> = config.dataset.preprocessing ?? {};
  return {
    dir,
    architecture: formatArchitecture(config.config, config.inputShape),
    inputShape: config.inputShape,
    dataset: {
      path: config.dataset.path,
      preset: typeof settings.preset === 'string' ? settings.preset : undefined,
      sampleRate: typeof settings.sampleRate === 'number' ? settings.sampleRate : undefined,
      trainItems: config.dataset.trainItems,
      validationItems: config.dataset.validationItems,
    },
    epoch: training.epoch,
    step: training.step,
    batchInEpoch: training.batchInEpoch,
    bestLoss: training.bestValLoss,
    bestEpoch: training.bestEpoch,
    lastTrainLoss: last?.train.loss,
    lastValLoss: last?.val?.loss,
    backend: training.backend,
    savedAt: config.savedAt,
  };
}

/** Reads a run folder: its best/ and last/ checkpoints and how many epochs its metrics log holds. */
export async function describeRun(dir: string): Promise<RunSummary> {
  const checkpoints: RunSummary['checkpoints'] = {};
  for (const name of RUN_CHECKPOINTS) {
    if (isCheckpointDir(path.join(dir, name))) checkpoints[name] = await describeCheckpoint(path.join(dir, name));
  }
  let loggedEpochs = 0;
  const log = await fs.readFile(path.join(dir, FILES.metrics), 'utf8').catch(() => '');
  for (const line of log.split('\n')) if (line.includes('"type":"epoch"')) loggedEpochs++;
  const files = (await fs.readdir(dir)).filter((f) => !(RUN_CHECKPOINTS as readonly string[]).includes(f) && !f.startsWith('.')).sort();
  return { dir, checkpoints, loggedEpochs, files };
}

function datasetLine(d: CheckpointSummary['dataset']): string {
  const made = [d.preset && `preset ${d.preset}`, d.sampleRate && `${d.sampleRate} Hz`].filter(Boolean).join(', ');
  return `${d.path}${made ? ` (${made})` : ''}, ${d.trainItems} training and ${d.validationItems} validation items`;
}

function lossLine(c: CheckpointSummary): string {
  const best = c.bestLoss === null ? 'no loss yet' : `best loss ${fmt(c.bestLoss)} at epoch ${c.bestEpoch}`;
  const last =
    c.lastTrainLoss === undefined
      ? ''
      : `; last epoch: train ${fmt(c.lastTrainLoss)}${c.lastValLoss === undefined ? '' : `, validation ${fmt(c.lastValLoss)}`}`;
  return best + last;
}

function epochLine(c: CheckpointSummary): string {
  return `epoch ${c.epoch}${c.batchInEpoch ? ` (+${c.batchInEpoch} batches of the next, stopped mid-epoch)` : ''}, step ${c.step}, saved ${c.savedAt}`;
}

/** A checkpoint folder as a few readable lines. */
export function formatCheckpointSummary(c: CheckpointSummary): string {
  return [
    `${c.dir}: soundvae checkpoint, ${epochLine(c)}`,
    `  architecture  ${c.architecture}`,
    `  dataset       ${datasetLine(c.dataset)}`,
    `  loss          ${lossLine(c)}`,
    `  backend       ${c.backend ?? 'not recorded'}`,
  ].join('\n');
}

/** A run folder as a few readable lines: what was trained on what, how far, how well, where. */
export function formatRunSummary(r: RunSummary): string {
  const main = r.checkpoints.last ?? r.checkpoints.best!;
  const lines = [
    `${r.dir}: soundvae training run, ${main.epoch} epoch${main.epoch === 1 ? '' : 's'} done`,
    `  architecture  ${main.architecture}`,
    `  dataset       ${datasetLine(main.dataset)}`,
    `  loss          ${lossLine(main)}`,
    `  backend       ${main.backend ?? 'not recorded'}`,
  ];
  for (const name of RUN_CHECKPOINTS) {
    const c = r.checkpoints[name];
    lines.push(`  ${`${name}/`.padEnd(14)}${c ? epochLine(c) : 'missing'}`);
  }
  const files = r.files.map((f) => (f === FILES.metrics ? `${f} (${r.loggedEpochs} epochs)` : f));
  if (files.length) lines.push(`  files         ${files.join(', ')}`);
  return lines.join('\n');
}
