/**
 * A tiny trained-shaped checkpoint and dataset for the generation command tests: FSDD-named tone files,
 * preprocessed by the real pipeline at 32 x 16, and an (untrained) tiny VAE saved as a real checkpoint.
 */
import path from 'node:path';
import { writeWav } from '../audio/index.ts';
import { preprocess } from '../dataset/pipeline.ts';
import { openDataset } from '../dataset/store.ts';
import { buildVae, getVaeWeights } from '../model/vae.ts';
import type { VaeConfig } from '../model/vae-config.ts';
import { disposeVae, saveCheckpoint } from '../train/checkpoint.ts';

export const FIXTURE_CONFIG: VaeConfig = {
  filters: [4, 4],
  kernels: [3, 3],
  strides: [
    [2, 2],
    [2, 2],
  ],
  latent: 4,
  reconstructionWeight: 1000,
  learningRate: 1e-3,
  batchSize: 4,
};

/** A decaying tone with two harmonics. */
export function fixtureTone(f0: number, sampleRate: number, samples: number): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => {
    const t = i / sampleRate;
    return 0.5 * Math.exp(-4 * t) * (Math.sin(2 * Math.PI * f0 * t) + 0.3 * Math.sin(4 * Math.PI * f0 * t));
  });
}

/** Writes audio, a dataset and a checkpoint under `root`; returns their paths. */
export async function makeFixture(root: string, config: VaeConfig = FIXTURE_CONFIG): Promise<{ audio: string[]; data: string; run: string }> {
  const sr = 8000;
  const audio: string[] = [];
  for (const digit of [1, 2, 3]) {
    for (const take of [0, 1, 2]) {
      const file = path.join(root, 'audio', `${digit}_tester_${take}.wav`);
      await writeWav(file, fixtureTone(200 * digit + 37 * take, sr, 300), sr);
      audio.push(file);
    }
  }
  const data = path.join(root, 'data');
  await preprocess([path.join(root, 'audio')], data, {
    preset: 'digits',
    overrides: { sampleRate: sr, nFft: 64, hop: 16, clip: 240 },
    labels: { from: 'fsdd' },
    split: { holdout: { field: 'take', values: ['0'] } },
    workers: 0,
  });
  const ds = await openDataset(data);
  const vae = buildVae(config, ds.shape, 1);
  const weights = getVaeWeights(vae);
  disposeVae(vae);
  const run = path.join(root, 'run');
  const metrics = [1, 2, 3].map((epoch) => ({
    epoch,
    step: epoch * 2,
    train: { loss: 100 / epoch, reconstruction: 0.1 / epoch, kl: epoch },
    val: { loss: 120 / epoch, reconstruction: 0.12 / epoch, kl: epoch },
    samplesPerSecond: 10,
    seconds: 1,
  }));
  await saveCheckpoint(path.join(run, 'best'), {
    config,
    inputShape: ds.shape,
    dataset: {
      path: data,
      preprocessing: ds.manifest.settings,
      normalization: ds.manifest.stats,
      trainItems: ds.indices('train').length,
      validationItems: ds.indices('validation').length,
    },
    training: {
      epoch: 3,
      batchInEpoch: 0,
      partial: { sum: { loss: 0, reconstruction: 0, kl: 0 }, items: 0, seconds: 0 },
      step: 6,
      seed: 1,
      bestValLoss: 40,
      bestEpoch: 3,
      metrics,
    },
    state: { weights, optimizer: [], step: 6 },
  });
  await ds.close();
  return { audio, data, run };
}
