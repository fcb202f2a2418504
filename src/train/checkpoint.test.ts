import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import { buildVae, getVaeWeights } from '../model/vae.ts';
import type { VaeConfig } from '../model/vae-config.ts';
import { tinyConfig } from '../model/test-fixture.ts';
import { testSettings } from '../dataset/test-fixture.ts';
import {
  architectureDifferences,
  copyCheckpoint,
  disposeVae,
  exportCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointContents,
} from './checkpoint.ts';

const TINY: VaeConfig = tinyConfig({
  filters: [4, 4],
  strides: [
    [2, 2],
    [2, 2],
  ],
  learningRate: 1e-3,
});
const SHAPE: [number, number] = [32, 16];

let tmp: string;
beforeAll(async () => {
  await initBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-ckpt-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Contents with weights from a seeded model and made-up optimiser moments. */
function contents(seed: number): CheckpointContents {
  const vae = buildVae(TINY, SHAPE, seed);
  const weights = getVaeWeights(vae);
  disposeVae(vae);
  const optimizer = weights.map((w, i) => ({ name: `${w.name}/m`, shape: w.shape, data: w.data.map((_, j) => i + j * 0.5) }));
  return {
    config: TINY,
    inputShape: SHAPE,
    dataset: {
      path: '/data/x',
      preprocessing: testSettings({ hop: 256 }),
      normalization: { count: 10, min: -80, max: 0, minMean: -70, minStd: 2, maxMean: -5, maxStd: 1 },
      trainItems: 8,
      validationItems: 2,
    },
    training: {
      epoch: 2,
      batchInEpoch: 0,
      partial: { sum: { loss: 0, reconstruction: 0, kl: 0 }, items: 0, seconds: 0 },
      step: 10,
      seed,
      bestValLoss: 1.5,
      bestEpoch: 1,
      metrics: [{ epoch: 1, step: 5, train: { loss: 2, reconstruction: 0.01, kl: 1 }, samplesPerSecond: 3, seconds: 1 }],
    },
    state: { weights, optimizer, step: 10 },
  };
}

describe('checkpoint', () => {
  it('round-trips weights, optimiser state and settings through the tfjs layers format', async () => {
    const c = contents(7);
    const dir = path.join(tmp, 'run1', 'last');
    await saveCheckpoint(dir, c);
    const names = (await fs.readdir(dir)).sort();
    expect(names).toEqual(['checksums.json', 'config.json', 'decoder', 'encoder', 'optimizer.bin', 'optimizer.json', 'training.json']);
    expect((await fs.readdir(path.join(tmp, 'run1'))).sort()).toEqual(['last']); // no temp or old folder left
    const modelJson = JSON.parse(await fs.readFile(path.join(dir, 'encoder', 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);

    const loaded = await loadCheckpoint(path.join(tmp, 'run1')); // no best/: falls back to last/
    expect(loaded.dir).toBe(dir);
    expect(loaded.config).toEqual(TINY);
    expect(loaded.inputShape).toEqual(SHAPE);
    expect(loaded.dataset).toEqual(c.dataset);
    expect(loaded.training).toEqual(c.training);
    expect(loaded.optimizerStep).toBe(10);
    const back = getVaeWeights(loaded.vae);
    expect(back.map((w) => w.name)).toEqual(c.state.weights.map((w) => w.name));
    back.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(c.state.weights[i]!.data)));
    loaded.optimizer.forEach((o, i) => expect(Array.from(o.data)).toEqual(Array.from(c.state.optimizer[i]!.data)));

    // The loaded models compute the same function as the original.
    const original = buildVae(TINY, SHAPE, 7);
    const x = tf.randomUniform([2, ...SHAPE, 1], 0, 1, 'float32', 1);
    const [a] = original.encoder.predict(x) as tf.Tensor[];
    const [b] = loaded.vae.encoder.predict(x) as tf.Tensor[];
    expect(Array.from(await b!.data())).toEqual(Array.from(await a!.data()));
    tf.dispose([x, a!, b!]);
    disposeVae(original);
    disposeVae(loaded.vae);
  });

  it('replaces an existing checkpoint and copies to best', async () => {
    const dir = path.join(tmp, 'run2', 'last');
    await saveCheckpoint(dir, contents(1));
    await saveCheckpoint(dir, contents(2));
    await copyCheckpoint(dir, path.join(tmp, 'run2', 'best'));
    expect((await fs.readdir(path.join(tmp, 'run2'))).sort()).toEqual(['best', 'last']);
    const loaded = await loadCheckpoint(path.join(tmp, 'run2'));
    expect(loaded.dir).toBe(path.join(tmp, 'run2', 'best'));
    expect(loaded.training.seed).toBe(2);
    disposeVae(loaded.vae);
  });

  it('exports a generation-only checkpoint without optimiser state that loads intact but will not resume', async () => {
    const dir = path.join(tmp, 'run-export', 'last');
    await saveCheckpoint(dir, contents(3));
    await fs.writeFile(path.join(dir, 'sampler.json'), '{}');
    const out = path.join(tmp, 'shipped');
    await exportCheckpoint(dir, out);
    expect((await fs.readdir(out)).sort()).toEqual(['checksums.json', 'config.json', 'decoder', 'encoder', 'sampler.json', 'training.json']);
    const loaded = await loadCheckpoint(out);
    expect(loaded.resumable).toBe(false);
    expect(loaded.optimizer).toEqual([]);
    expect(loaded.training.seed).toBe(3);
    disposeVae(loaded.vae);
    // a re-export keeps a model card written beside it
    await fs.writeFile(path.join(out, 'MODEL_CARD.md'), '# card');
    await exportCheckpoint(dir, out);
    expect(await fs.readFile(path.join(out, 'MODEL_CARD.md'), 'utf8')).toBe('# card');
    // the sampler may be refitted later without breaking the checksums; a weight byte changed still fails
    await fs.writeFile(path.join(out, 'sampler.json'), '{"refitted":true}');
    disposeVae((await loadCheckpoint(out)).vae);
    const weights = path.join(out, 'decoder', 'weights.bin');
    const bytes = await fs.readFile(weights);
    bytes[0] = bytes[0]! ^ 0xff;
    await fs.writeFile(weights, bytes);
    await expect(loadCheckpoint(out)).rejects.toThrow(/checksum mismatch/);
    const resumable = await loadCheckpoint(dir);
    expect(resumable.resumable).toBe(true);
    disposeVae(resumable.vae);
  });

  it('recovers the old checkpoint when a save died between its renames', async () => {
    const run = path.join(tmp, 'run3');
    await saveCheckpoint(path.join(run, 'last'), contents(3));
    await fs.rename(path.join(run, 'last'), path.join(run, 'last.old'));
    const loaded = await loadCheckpoint(run, 'last');
    expect(loaded.dir).toBe(path.join(run, 'last.old'));
    disposeVae(loaded.vae);
  });

  it('gives one-line errors for missing, corrupt and inconsistent checkpoints', async () => {
    await expect(loadCheckpoint(path.join(tmp, 'nothing'))).rejects.toThrow(/no such checkpoint folder/);
    await fs.mkdir(path.join(tmp, 'empty'));
    await expect(loadCheckpoint(path.join(tmp, 'empty'))).rejects.toThrow(/not a soundvae checkpoint/);

    const dir = path.join(tmp, 'bad', 'last');
    await saveCheckpoint(dir, contents(4));
    const bin = path.join(dir, 'decoder', 'weights.bin');
    const good = await fs.readFile(bin);
    await fs.writeFile(bin, good.subarray(0, good.length - 8));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/decoder\/weights\.bin: \d+ bytes, \d+ recorded \(the checkpoint is corrupt\)/);
    // Random bytes of the right size (they loaded and generated silence before checksums were recorded).
    await fs.writeFile(bin, Buffer.from(good.map((_, i) => (i * 151 + 7) & 0xff)));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/decoder\/weights\.bin: checksum mismatch .*\(the checkpoint is corrupt\)$/);
    // Checkpoints saved before checksums existed are still checked for their structure.
    await fs.rm(path.join(dir, 'checksums.json'));
    await fs.writeFile(bin, good.subarray(0, good.length - 8));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/decoder\/weights\.bin: holds \d+ bytes but model.json describes \d+/);
    await fs.writeFile(bin, good);

    const cfgPath = path.join(dir, 'config.json');
    const cfg = await fs.readFile(cfgPath, 'utf8');
    await fs.writeFile(cfgPath, cfg.slice(0, 40));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/config\.json: not valid JSON/);

    // config.json says a latent of 5 but the saved models have 3.
    const changed = JSON.parse(cfg);
    changed.config.latent = 5;
    await fs.writeFile(cfgPath, JSON.stringify(changed));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/mismatched checkpoint/);

    // Settings are parsed once, here: a malformed record fails on load, naming the field; an unversioned file is version 1.
    const { version: _v, ...unversioned } = JSON.parse(cfg);
    await fs.writeFile(cfgPath, JSON.stringify(unversioned));
    expect((await loadCheckpoint(dir)).dataset.preprocessing.hop).toBe(256);
    const noDb = JSON.parse(cfg);
    delete noDb.dataset.preprocessing.db;
    await fs.writeFile(cfgPath, JSON.stringify(noDb));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /config\.json: dataset\.preprocessing: db missing \(the checkpoint is corrupt or from another program\)$/,
    );
    await fs.writeFile(cfgPath, JSON.stringify({ ...JSON.parse(cfg), version: 2 }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint version 2 is newer than this soundvae reads \(1\); update soundvae$/);
  });

  it('names architecture differences', () => {
    const ckpt = { config: TINY, inputShape: SHAPE };
    expect(architectureDifferences(ckpt, ckpt)).toEqual([]);
    const diff = architectureDifferences(ckpt, { config: { ...TINY, filters: [8, 4], learningRate: 1 }, inputShape: [64, 16] });
    expect(diff).toEqual(['filters [8,4] (checkpoint has [4,4])', 'input shape 64x16 (checkpoint was trained on 32x16)']);
  });
});
