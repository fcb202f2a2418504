import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/backend.ts';
import { createDatasetWriter } from '../../dataset/store.ts';
import { rampBatch, TINY_SHAPE, tinyConfig } from '../../model/test-fixture.ts';
import { datasetSource, train } from '../../train/train.ts';
import { verifyDataset, verifyRun } from './verify.ts';
import { testSettings } from '../../dataset/test-fixture.ts';

const VALUES = TINY_SHAPE[0] * TINY_SHAPE[1];
let tmp: string;
let data: string;
let run: string;

beforeAll(async () => {
  await initBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-verify-'));
  data = path.join(tmp, 'data');
  const w = await createDatasetWriter(data, { shape: TINY_SHAPE, settings: testSettings(), split: { validation: 0.25, seed: 1 } });
  const all = rampBatch(8);
  for (let i = 0; i < 8; i++) {
    w.append({ source: `/s/${i}.wav`, offset: 0, min: -80, max: 0 }, all.subarray(i * VALUES, (i + 1) * VALUES));
    w.markSource(`/s/${i}.wav`, { status: 'done', items: 1 });
  }
  await w.finish();
  run = path.join(tmp, 'run');
  const source = await datasetSource(data);
  await train(source, { out: run, epochs: 1, overrides: tinyConfig(), progress: false, log: () => {} });
  await source.close();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('soundvae verify', () => {
  it('checks every item of a dataset against its checksum', async () => {
    expect((await verifyDataset(data)).problems).toEqual([]);
    const shard = path.join(data, 'shard-00000.bin');
    const fh = await fs.open(shard, 'r+');
    await fh.write(new Uint8Array([1, 2, 3]), 0, 3, 5 * VALUES * 4 + 8); // same size, item 5 changed
    await fh.close();
    const report = await verifyDataset(data);
    expect(report.checked[0]).toMatch(/8 items in 1 shard; 8 compared with their checksums/);
    expect(report.problems).toEqual([`${shard}: checksum mismatch in item 5`]);
  });

  it('checks every file of last/ and best/ and the metrics log', async () => {
    const whole = await verifyRun(run);
    expect(whole.problems).toEqual([]);
    expect(whole.checked.join('\n')).toMatch(/last: 8 files, \d+ bytes compared[\s\S]*best: 8 files[\s\S]*metrics\.jsonl: 1 lines/);
    const bin = path.join(run, 'best', 'decoder', 'weights.bin');
    const bytes = await fs.readFile(bin);
    bytes[10] ^= 0xff;
    await fs.writeFile(bin, bytes);
    await fs.rm(path.join(run, 'last', 'config.json'));
    const damaged = await verifyRun(run);
    expect(damaged.problems).toEqual([`${path.join(run, 'last', 'config.json')}: missing`, `${bin}: checksum mismatch (its bytes changed since it was saved)`]);
  });
});
