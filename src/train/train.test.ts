import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import { getVaeWeights } from '../model/vae.ts';
import type { VaeConfig } from '../model/vae-config.ts';
import { tinyConfig } from '../model/test-fixture.ts';
import { disposeVae, loadCheckpoint } from './checkpoint.ts';
import { createDatasetWriter } from '../dataset/store.ts';
import { datasetSource, train, type Batch, type TrainingData, type TrainOptions } from './train.ts';
import { testSettings } from '../dataset/test-fixture.ts';

// A constant learning rate unless a test asks for another (the default preset's cosine depends on the run's length).
const TINY: Partial<VaeConfig> = tinyConfig({
  filters: [4, 4],
  strides: [
    [2, 2],
    [2, 2],
  ],
  latent: 4,
  reconstructionWeight: 1000,
  learningRate: 5e-3,
  lrSchedule: 'constant',
});
const SHAPE: [number, number] = [32, 16];

/** Smooth random "spectrograms" in [0, 1]: a few bright bands per item, from a seeded generator. */
function makeItems(n: number, seed: number): Float32Array[] {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const [h, w] = SHAPE;
  return Array.from({ length: n }, () => {
    const band = rand() * h;
    const slope = (rand() - 0.5) * 0.5;
    const x = new Float32Array(h * w);
    for (let b = 0; b < h; b++) for (let f = 0; f < w; f++) x[b * w + f] = Math.exp(-(((b - band - slope * f) / 3) ** 2));
    return x;
  });
}

/**
 * An in-memory TrainingData with a seeded shuffle per epoch. `onBatch` sees (epoch, batch number) before each
 * training batch is handed out (to interrupt or corrupt it).
 */
function memoryData(train: Float32Array[], val: Float32Array[], onBatch?: (epoch: number, index: number, b: Batch) => void): TrainingData {
  const size = SHAPE[0] * SHAPE[1];
  const pack = (items: Float32Array[]): Batch => {
    const data = new Float32Array(items.length * size);
    items.forEach((it, i) => data.set(it, i * size));
    return { data, count: items.length };
  };
  return {
    shape: SHAPE,
    trainItems: train.length,
    validationItems: val.length,
    async *trainBatches(epoch, batchSize, seed, skip) {
      const order = train.map((_, i) => i);
      let s = (seed * 7919 + epoch * 104729 + 1) >>> 0;
      for (let i = order.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const j = s % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let b = skip; b * batchSize < order.length; b++) {
        const batch = pack(order.slice(b * batchSize, (b + 1) * batchSize).map((i) => train[i]!));
        onBatch?.(epoch, b, batch);
        yield batch;
      }
    },
    async *validationBatches(batchSize) {
      for (let b = 0; b < val.length; b += batchSize) yield pack(val.slice(b, b + batchSize));
    },
    info: {
      path: 'memory',
      preprocessing: testSettings({ hop: 256 }),
      normalization: { count: 10, min: -80, max: 0, minMean: -70, minStd: 2, maxMean: -5, maxStd: 1 },
      trainItems: train.length,
      validationItems: val.length,
    },
  };
}

let tmp: string;
const trainSet = makeItems(10, 1);
const valSet = makeItems(4, 2);
const quiet: Partial<TrainOptions> = { progress: false, log: () => {}, overrides: TINY, seed: 3, microBatch: 0 };

beforeAll(async () => {
  await initBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-train-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function weightsOf(out: string, which: 'last' | 'best' = 'last'): Promise<number[][]> {
  const ckpt = await loadCheckpoint(path.join(out, which));
  const w = getVaeWeights(ckpt.vae).map((x) => Array.from(x.data));
  disposeVae(ckpt.vae);
  return w;
}

describe('train', () => {
  const full = () => path.join(tmp, 'full');

  it('lowers the loss and writes checkpoints, metrics and curves', async () => {
    const result = await train(memoryData(trainSet, valSet), { ...quiet, out: full(), epochs: 4, logEverySteps: 2 });
    expect(result.status).toBe('done');
    expect(result.epoch).toBe(4);
    expect(result.step).toBe(12); // 3 batches (4 + 4 + 2) per epoch
    const [first, last] = [result.metrics[0]!, result.metrics.at(-1)!];
    expect(last.train.loss).toBeLessThan(first.train.loss);
    // Twelve steps of a tiny model do not generalise yet (its validation MSE stays near that of a constant 0.5), so
    // validation is checked for being measured every epoch, not for falling; best/ below must track its minimum.
    expect(result.metrics.every((m) => Number.isFinite(m.val!.loss) && m.val!.reconstruction > 0)).toBe(true);
    const names = (await fs.readdir(full())).sort();
    expect(names.filter((n) => !n.startsWith('events.out.tfevents.'))).toEqual(['best', 'curves.svg', 'last', 'metrics.jsonl']);
    expect(
      names.filter((n) => n.startsWith('events.out.tfevents.')),
      'one TensorBoard event file',
    ).toHaveLength(1);
    const lines = (await fs.readFile(path.join(full(), 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3, 4]);
    expect(lines.filter((l) => l.type === 'step').map((l) => l.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(await fs.readFile(path.join(full(), 'curves.svg'), 'utf8')).toContain('(4 epochs)');
    const best = await loadCheckpoint(full());
    expect(best.training.bestValLoss).toBe(Math.min(...result.metrics.map((m) => m.val!.loss)));
    expect(best.dataset.normalization.min).toBe(-80);
    disposeVae(best.vae);
  });

  it('puts the sounds of its listen hook into the TensorBoard file each epoch; a failing hook costs only the sounds', async () => {
    const out = path.join(tmp, 'listen');
    const heard: number[] = [];
    const tone = Float32Array.from({ length: 800 }, (_, i) => Math.sin(i / 3));
    const listen = async (dir: string, epoch: number) => {
      expect(dir).toBe(path.join(out, 'last'));
      heard.push(epoch);
      return [{ tag: `reconstruction/epoch-${epoch}`, audio: tone, sampleRate: 8000 }];
    };
    await train(memoryData(trainSet, valSet), { ...quiet, out, epochs: 2, listen });
    expect(heard).toEqual([1, 2]);
    const [file] = (await fs.readdir(out)).filter((n) => n.startsWith('events.out.tfevents.'));
    const bytes = await fs.readFile(path.join(out, file!));
    expect(bytes.includes('reconstruction/epoch-2')).toBe(true);
    expect(bytes.includes('audio/wav')).toBe(true);

    const lines: string[] = [];
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('no such dataset');
    };
    const r = await train(memoryData(trainSet, valSet), {
      ...quiet,
      out: path.join(tmp, 'listen-fails'),
      epochs: 2,
      listen: failing,
      log: (l) => lines.push(l),
    });
    expect(r.status).toBe('done');
    expect(calls, 'not asked again after failing').toBe(1);
    expect(lines.filter((l) => l.includes('TensorBoard sounds left out'))).toEqual(['TensorBoard sounds left out from now on: no such dataset']);
  });

  it('records the learning rate per epoch, falling along a cosine when asked', async () => {
    const out = path.join(tmp, 'cosine');
    const result = await train(memoryData(trainSet, valSet), { ...quiet, out, epochs: 3, overrides: { ...TINY, lrSchedule: 'cosine' } });
    const rates = result.metrics.map((m) => m.learningRate!);
    const steps = result.metrics.map((m) => m.step);
    const lr = TINY.learningRate!;
    // the last step of each epoch: lr * (0.05 + 0.95 * (1 + cos(pi * (step - 1) / total)) / 2)
    rates.forEach((r, i) => expect(r).toBeCloseTo(lr * (0.05 + 0.475 * (1 + Math.cos((Math.PI * (steps[i]! - 1)) / steps.at(-1)!))), 12));
    expect(rates[2]).toBeLessThan(rates[1]!);
    const constant = await train(memoryData(trainSet, valSet), { ...quiet, out: path.join(tmp, 'constant'), epochs: 1 });
    expect(constant.metrics[0]!.learningRate).toBe(lr);
  });

  it('gives the same weights for the same seed, and others for another seed', async () => {
    const a = path.join(tmp, 'seed-a');
    const b = path.join(tmp, 'seed-b');
    await train(memoryData(trainSet, valSet), { ...quiet, out: a, epochs: 1 });
    await train(memoryData(trainSet, valSet), { ...quiet, out: b, epochs: 1, seed: 4 });
    const again = path.join(tmp, 'seed-a2');
    await train(memoryData(trainSet, valSet), { ...quiet, out: again, epochs: 1 });
    expect(await weightsOf(again)).toEqual(await weightsOf(a));
    expect(await weightsOf(b)).not.toEqual(await weightsOf(a));
  });

  it('resumes exactly: after whole epochs, and after an interrupt in the middle of one', async () => {
    const expected = await weightsOf(full());
    const byEpochs = path.join(tmp, 'resume-epochs');
    await train(memoryData(trainSet, valSet), { ...quiet, out: byEpochs, epochs: 2 });
    const resumed = await train(memoryData(trainSet, valSet), { ...quiet, out: byEpochs, epochs: 4, resume: true });
    expect(resumed.step).toBe(12);
    expect(await weightsOf(byEpochs)).toEqual(expected);

    // Ctrl-C during the second batch of epoch 2: the step in progress finishes, then last/ is saved.
    const midway = path.join(tmp, 'resume-midway');
    const stop = new AbortController();
    const interrupting = memoryData(trainSet, valSet, (epoch, index) => {
      if (epoch === 1 && index === 1) stop.abort();
    });
    const cut = await train(interrupting, { ...quiet, out: midway, epochs: 4, signal: stop.signal });
    expect(cut.status).toBe('interrupted');
    expect(cut.epoch).toBe(1);
    expect(cut.step).toBe(4); // 3 steps of epoch 1 and the first of epoch 2
    const again = await train(memoryData(trainSet, valSet), { ...quiet, out: midway, epochs: 4, resume: true });
    expect(again.status).toBe('done');
    expect(await weightsOf(midway)).toEqual(expected);
    // A crash (here: an exception) mid-epoch after a timed save: resuming continues from the saved step.
    const crashed = path.join(tmp, 'resume-crash');
    const crashing = memoryData(trainSet, valSet, (epoch, index) => {
      if (epoch === 2 && index === 2) throw new Error('simulated crash');
    });
    await expect(train(crashing, { ...quiet, out: crashed, epochs: 4, saveEverySeconds: 1e-9 })).rejects.toThrow(/simulated crash/);
    const atCrash = await loadCheckpoint(crashed, 'last');
    expect([atCrash.training.epoch, atCrash.training.batchInEpoch, atCrash.training.step]).toEqual([2, 2, 8]);
    disposeVae(atCrash.vae);
    await train(memoryData(trainSet, valSet), { ...quiet, out: crashed, epochs: 4, resume: true });
    expect(await weightsOf(crashed)).toEqual(expected);
    const full4 = (await loadCheckpoint(full(), 'last')).training.metrics;
    expect(again.metrics.map((m) => m.train.loss)).toEqual(full4.map((m) => m.train.loss));
  });

  it('refuses a mismatched resume and an existing checkpoint with one-line errors', async () => {
    const data = memoryData(trainSet, valSet);
    await expect(train(data, { ...quiet, out: full(), epochs: 5 })).rejects.toThrow(
      /already holds a run \(last\/, best\/, metrics.jsonl, curves.svg, 1 TensorBoard event file\); add --resume/,
    );
    await expect(train(data, { ...quiet, out: full(), epochs: 5, resume: true, overrides: { ...TINY, filters: [8, 4] } })).rejects.toThrow(
      /cannot resume with filters \[8,4\] \(checkpoint has \[4,4\]\)/,
    );
    await expect(train(data, { ...quiet, out: full(), epochs: 5, resume: true, overrides: { learningRate: 1 } })).rejects.toThrow(
      /learningRate 1 \(checkpoint has 0.005\)/,
    );
    const other = { ...memoryData(trainSet, valSet), shape: [64, 16] as [number, number] };
    await expect(train(other, { ...quiet, out: full(), epochs: 5, resume: true })).rejects.toThrow(/input shape 64x16/);
    await expect(train(data, { ...quiet, out: path.join(tmp, 'none'), epochs: 1, resume: true })).rejects.toThrow(/none: no checkpoint to resume/);
  });

  it('stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const out = path.join(tmp, 'nan');
    const poisoned = memoryData(trainSet, valSet, (epoch, index, b) => {
      if (epoch === 1 && index === 2) b.data[0] = NaN;
    });
    await expect(train(poisoned, { ...quiet, out, epochs: 3 })).rejects.toThrow(
      /loss became NaN at epoch 2, step 6; .*last still holds the last good checkpoint \(epoch 1, step 3\)/,
    );
    const kept = await loadCheckpoint(out, 'last');
    expect(kept.training.epoch).toBe(1);
    disposeVae(kept.vae);
  });
});

describe('datasetSource', () => {
  it('streams the store: every training item once per epoch, seeded order, skipping on resume, fixed validation', async () => {
    const dir = path.join(tmp, 'store');
    const w = await createDatasetWriter(dir, { shape: SHAPE, settings: testSettings({ hop: 4 }), split: { validation: 0.25, seed: 1 } });
    makeItems(12, 5).forEach((x, i) => {
      x[0] = i / 100; // tag each item so batches can be traced back (values stay in [0, 1])
      w.append({ source: `/s/${i}.wav`, offset: 0, min: -60 - i, max: 0 }, x);
      w.markSource(`/s/${i}.wav`, { status: 'done', items: 1 });
    });
    await w.finish();
    const data = await datasetSource(dir);
    try {
      expect(data.shape).toEqual(SHAPE);
      expect(data.trainItems + data.validationItems).toBe(12);
      expect(data.validationItems).toBeGreaterThan(0);
      expect(data.info.preprocessing).toEqual(testSettings({ hop: 4 }));
      expect(data.info.normalization.min).toBe(-71);
      const size = SHAPE[0] * SHAPE[1];
      const tags = async (it: AsyncIterable<Batch>) => {
        const out: number[][] = [];
        for await (const b of it) out.push(Array.from({ length: b.count }, (_, k) => b.data[k * size]!));
        return out;
      };
      const epoch0 = await tags(data.trainBatches(0, 4, 9, 0));
      expect(epoch0.flat().sort((a, b) => a - b)).toHaveLength(data.trainItems);
      expect(new Set(epoch0.flat()).size).toBe(data.trainItems);
      expect(await tags(data.trainBatches(0, 4, 9, 0))).toEqual(epoch0);
      expect(await tags(data.trainBatches(0, 4, 9, 1))).toEqual(epoch0.slice(1));
      expect(await tags(data.trainBatches(1, 4, 9, 0))).not.toEqual(epoch0);
      const val = (await tags(data.validationBatches(2))).flat();
      expect(val).toHaveLength(data.validationItems);
      expect(val.some((t) => epoch0.flat().includes(t))).toBe(false);
    } finally {
      await data.close();
    }
  });
});
