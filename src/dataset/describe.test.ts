import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDataset, formatDatasetSummary } from './describe.ts';
import { createDatasetWriter } from './store.ts';
import { testSettings } from './test-fixture.ts';

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-describe-'));
  const w = await createDatasetWriter(dir, { shape: [2, 2], settings: testSettings(), split: { validation: 0.5, seed: 2 } });
  for (let i = 0; i < 6; i++) {
    w.append({ source: `s${i % 3}`, offset: 0, duration: 0.5, label: i % 2 ? 'odd' : 'even', min: -60 - i, max: -i }, new Float32Array(4).fill(0.5));
  }
  for (let s = 0; s < 3; s++) w.markSource(`s${s}`, { status: 'done', items: 2 });
  w.markSource('bad', { status: 'failed', items: 0, reason: 'not audio' });
  await w.finish();
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

describe('describeDataset', () => {
  it('counts items, splits, groups, labels and sources', async () => {
    const s = await describeDataset(dir);
    expect(s.items).toBe(6);
    expect(s.splits.train + s.splits.validation).toBe(6);
    expect(s.groups.train + s.groups.validation).toBe(3);
    expect(s.labels).toEqual([
      ['even', 3],
      ['odd', 3],
    ]);
    expect(s.sources).toEqual({ done: 3, failed: 1, empty: 0 });
    expect(s.audioSeconds).toBe(3);
    expect(s.stats.min).toBe(-65);
    expect(formatDatasetSummary(s)).toMatch(/6 spectrograms of 2 x 2/);
  });
});
