/**
 * The training loop's defaults and file names, without TensorFlow.js: `soundvae train --help` shows them without
 * loading tfjs. src/train/train.ts re-exports them.
 */
import type { VaePresetName } from '../model/vae-config.ts';

/** Names of the files the loop writes in the output folder, in one place. */
export const RUN_FILES = { last: 'last', best: 'best', metrics: 'metrics.jsonl', curves: 'curves.svg' } as const;

/** Defaults of the training options, in one place (the architecture defaults are in VAE_PRESETS). */
export const DEFAULT_TRAIN = {
  preset: 'default' as VaePresetName,
  epochs: 20,
  seed: 0,
  microBatch: 0,
  workers: 1,
  logEverySteps: 50,
  saveEverySeconds: 600,
};
