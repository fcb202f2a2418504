/**
 * The contract between the training application (loop, checkpoints, CLI: src/train/train.ts) and the
 * training engine (model, gradient step, wasm speed-ups, data-parallel workers: src/train/engine.ts).
 * Batches cross it as plain Float32Arrays so the engine may run them in worker threads.
 */
import type { VaeConfig } from '../model/vae-config.ts';
import type { LrSchedule } from './schedule.ts';

/** The two parts of the VAE loss, averaged over the batch, and their weighted sum. */
export interface LossParts {
  /** weight * MSE + KL */
  loss: number;
  /** mean squared error per element, unweighted */
  reconstruction: number;
  /** KL divergence per item, summed over latent dimensions */
  kl: number;
}

export interface EngineOptions {
  config: VaeConfig;
  /** Input [height = bins, width = frames]; channels are always 1. */
  inputShape: [number, number];
  seed: number;
  /** Largest batch run at once; bigger batches are split with accumulated gradients. 0 = choose automatically. */
  microBatch?: number;
  /** Data-parallel worker threads (wasm); 1 = in-process. */
  workers?: number;
  /** How the learning rate moves over the steps (default constant). */
  lrSchedule?: LrSchedule;
  /** Optimiser steps over which the KL weight ramps up from 0 (config.klAnnealEpochs in steps); absent = no ramp. */
  klAnnealSteps?: number;
}

/** Everything needed to resume training bit-for-bit: weights by name, and the optimizer's state. */
export interface EngineState {
  weights: { name: string; shape: number[]; data: Float32Array }[];
  optimizer: { name: string; shape: number[]; data: Float32Array }[];
  step: number;
}

export interface TrainingEngine {
  /** One optimiser step on `count` items laid out [count, height, width] in `batch` (values in [0,1]). */
  trainStep(batch: Float32Array, count: number): Promise<LossParts>;
  /** Loss in inference mode (BatchNorm uses moving statistics), no update. */
  evaluate(batch: Float32Array, count: number): Promise<LossParts>;
  getState(): Promise<EngineState>;
  setState(state: EngineState): Promise<void>;
  dispose(): Promise<void>;
}
