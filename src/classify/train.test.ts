import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import { createDatasetWriter } from '../dataset/store.ts';
import { openDataset } from '../dataset/store.ts';
import { makeFixture } from '../generate/test-fixture.ts';
import { embedItems, encodeItems, evaluateClassifier, predictItems, loadClassifier, loadVaeFor, trainClassifier } from './train.ts';
import { testSettings } from '../dataset/test-fixture.ts';

const SHAPE: [number, number] = [16, 16];

/** A spectrogram with a bright band at `bin` plus noise: classes differ by where the band sits. */
function bandImage(bin: number, rand: () => number): Float32Array {
  const x = new Float32Array(SHAPE[0] * SHAPE[1]);
  for (let i = 0; i < x.length; i++) x[i] = 0.2 * rand();
  for (let f = 0; f < SHAPE[1]; f++) x[bin * SHAPE[1] + f] = 1;
  return x;
}

describe('classifier training', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('cpu');
    dir = mkdtempSync(path.join(tmpdir(), 'soundvae-classify-'));
    const writer = await createDatasetWriter(path.join(dir, 'data'), {
      shape: SHAPE,
      settings: testSettings(),
      split: { holdout: { field: 'fold', values: ['validation'] } },
    });
    let seed = 1;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const bins = { low: 2, mid: 8, high: 13 };
    for (let i = 0; i < 36; i++) {
      const label = (['low', 'mid', 'high'] as const)[i % 3]!;
      writer.append(
        { source: `/synthetic/${label}_${i}.wav`, offset: 0, label, labels: { fold: i < 27 ? 'train' : 'validation' }, min: -80, max: 0 },
        bandImage(bins[label], rand),
      );
    }
    await writer.finish();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('learns to tell bands apart, and resumes from its checkpoint', async () => {
    const out = path.join(dir, 'cnn');
    const base = { data: path.join(dir, 'data'), out, kind: 'cnn' as const, labelField: 'label', seed: 3, log: () => {} };
    const config = { filters: [4, 4, 4] as [number, number, number], hidden: 8, batchSize: 9, learningRate: 0.01 };
    const first = await trainClassifier({ ...base, epochs: 3, config });
    expect(first).toHaveLength(3);
    const resumed = await trainClassifier({ ...base, epochs: 12, config, resume: true });
    expect(
      resumed.map((r) => r.epoch),
      'resume continues after epoch 3',
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const { report } = await evaluateClassifier(out);
    expect(report.count).toBe(9);
    expect(report.accuracy, 'three well-separated bands').toBeGreaterThanOrEqual(0.89);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(9);
    // one TensorBoard event file holding every epoch: a record per epoch after the file-version one
    const events = (await fs.readdir(out)).filter((n) => n.startsWith('events.out.tfevents.'));
    expect(events).toHaveLength(1);
    const bytes = await fs.readFile(path.join(out, events[0]!));
    let records = 0;
    for (let i = 0; i < bytes.length; i += 16 + Number(bytes.readBigUInt64LE(i))) records++;
    expect(records).toBe(1 + 12);
  });

  it('stops between steps when its signal aborts, keeping the finished epochs, and a resume ends as an unbroken run', async () => {
    const base = { data: path.join(dir, 'data'), kind: 'cnn' as const, labelField: 'label', seed: 5 };
    const config = { filters: [4, 4, 4] as [number, number, number], hidden: 8, batchSize: 9, learningRate: 0.01 };
    const whole = await trainClassifier({ ...base, out: path.join(dir, 'whole'), epochs: 3, config, log: () => {} });
    const stop = new AbortController();
    const out = path.join(dir, 'stopped');
    // Aborted as epoch 2 is logged: epoch 3 stops before its first step.
    const log = (line: string) => line.startsWith('epoch 2:') && stop.abort();
    const stopped = await trainClassifier({ ...base, out, epochs: 3, config, log, signal: stop.signal });
    expect(stopped.map((r) => r.epoch)).toEqual([1, 2]);
    const resumed = await trainClassifier({ ...base, out, epochs: 3, config, resume: true, log: () => {} });
    expect(resumed.map((r) => [r.trainLoss, r.valLoss])).toEqual(whole.map((r) => [r.trainLoss, r.valLoss]));
  });

  it('trains the crnn, whose embedding is the GRU output of both directions', async () => {
    const out = path.join(dir, 'crnn');
    const config = { filters: [4, 4, 4] as [number, number, number], hidden: 5, batchSize: 9, learningRate: 0.01 };
    const history = await trainClassifier({ data: path.join(dir, 'data'), out, kind: 'crnn', labelField: 'label', epochs: 2, seed: 1, config, log: () => {} });
    expect(history.map((h) => h.valAccuracy !== null)).toEqual([true, true]);
    const { model, info } = await loadClassifier(out);
    const ds = await openDataset(path.join(dir, 'data'));
    const { probs, embeddings } = await embedItems(model, info.config.kind, ds, [0, 1, 2], 2);
    await ds.close();
    model.dispose();
    expect(embeddings.map((e) => e.length)).toEqual([10, 10, 10]);
    expect(probs.length).toBe(9);
    for (let i = 0; i < 3; i++) expect(probs[3 * i]! + probs[3 * i + 1]! + probs[3 * i + 2]!).toBeCloseTo(1, 5);
  }, 60_000);

  it("probes a VAE's latent means, which are also its embedding", async () => {
    const root = path.join(dir, 'vae');
    const fixture = await makeFixture(root);
    const out = path.join(root, 'probe');
    await trainClassifier({ data: fixture.data, out, kind: 'latent', labelField: 'digit', epochs: 2, seed: 1, vaeCheckpoint: fixture.run, log: () => {} });
    const { report } = await evaluateClassifier(out);
    expect(report.count, 'take 0 of three digits').toBe(3);
    const { model, info } = await loadClassifier(out);
    const vae = await loadVaeFor(info);
    const ds = await openDataset(fixture.data);
    const { embeddings } = await embedItems(model, 'latent', ds, [0, 1], 2, vae);
    const direct = await predictItems(model, ds, [0, 1, 2], 2, vae);
    const cached = await predictItems(model, ds, [0, 1, 2], 2, undefined, await encodeItems(vae, ds, [0, 1, 2], 2));
    expect(Array.from(cached), 'cached latent means give the same predictions').toEqual(Array.from(direct).map((v) => expect.closeTo(v, 5)));
    await ds.close();
    model.dispose();
    [vae.encoder, vae.decoder].forEach((m) => m.dispose());
    expect(
      embeddings.map((e) => e.length),
      'the fixture VAE has 4 latent dimensions',
    ).toEqual([4, 4]);
    await expect(
      trainClassifier({ data: fixture.data, out: path.join(root, 'x'), kind: 'latent', labelField: 'digit', epochs: 1, seed: 1, log: () => {} }),
    ).rejects.toThrow(/--vae-checkpoint/);
  }, 60_000);
});
