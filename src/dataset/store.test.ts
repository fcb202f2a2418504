import { promises as fsp } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDatasetFiles, createDatasetWriter, LOCK_FILE, openDataset, readManifest, shuffled, MANIFEST_FILE } from './store.ts';
import { describeDataset, formatDatasetSummary } from './describe.ts';
import { testSettings } from './test-fixture.ts';

const shape: [number, number] = [4, 3];
const values = shape[0] * shape[1];

/** Item i's data: distinct values in [0, 1] that say which item they came from. */
function itemData(i: number): Float32Array {
  const d = new Float32Array(values);
  for (let k = 0; k < values; k++) d[k] = ((i * values + k) % 997) / 997;
  return d;
}

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-store-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function writeItems(n: number, opts: { sourcesPer?: number; resume?: boolean; shardBytes?: number } = {}) {
  const w = await createDatasetWriter(dir, { shape, settings: testSettings(), resume: opts.resume, shardBytes: opts.shardBytes });
  const per = opts.sourcesPer ?? 1;
  for (let i = 0; i < n; i++) {
    const source = `/src/file${Math.floor(i / per)}.wav`;
    w.append({ source, offset: (i % per) * 0.5, min: -80 + i, max: i, label: String(i % 3) }, itemData(i));
    if (i % per === per - 1) w.markSource(source, { status: 'done', items: per });
  }
  return w;
}

describe('dataset store', () => {
  it('round-trips items, metadata and statistics across shards', async () => {
    const w = await writeItems(10, { sourcesPer: 2, shardBytes: values * 4 * 3 });
    const m = await w.finish();
    expect(m.shards.map((s) => s.items)).toEqual([3, 3, 3, 1]);
    const ds = await openDataset(dir);
    expect(ds.shape).toEqual(shape);
    expect(ds.size).toBe(10);
    const idx = [7, 2, 3, 4, 9];
    const data = await ds.read(idx);
    idx.forEach((i, k) => expect(Array.from(data.subarray(k * values, (k + 1) * values))).toEqual(Array.from(itemData(i))));
    expect(ds.manifest.items[3]).toMatchObject({ source: '/src/file1.wav', offset: 0.5, min: -77, max: 3, label: '0' });
    expect(ds.manifest.stats.min).toBe(-80);
    expect(ds.manifest.stats.max).toBe(9);
    expect(ds.manifest.stats.minMean).toBeCloseTo(-75.5);
    const mean = ds.meanSpectrogram()!;
    let expected = 0;
    for (let i = 0; i < 10; i++) expected += itemData(i)[5]! / 10;
    expect(mean[5]).toBeCloseTo(expected, 6);
    await ds.close();
  });

  it('quantises to uint16 within 1/65535', async () => {
    const w = await createDatasetWriter(dir, { shape, settings: testSettings(), dtype: 'uint16' });
    w.append({ source: 'a', offset: 0, min: 0, max: 1 }, itemData(5));
    await w.finish();
    expect(fs.statSync(path.join(dir, 'shard-00000.bin')).size).toBe(values * 2);
    const ds = await openDataset(dir);
    const got = await ds.read([0]);
    got.forEach((v, k) => expect(Math.abs(v - itemData(5)[k]!)).toBeLessThanOrEqual(0.5 / 65535 + 1e-7));
    await ds.close();
  });

  it('batches cover every index once per epoch, reproducibly, and differ between epochs', async () => {
    await (await writeItems(23)).finish();
    const ds = await openDataset(dir);
    const all = ds.indices();
    const seen: number[] = [];
    const sizes: number[] = [];
    for await (const b of ds.batches(all, 5, { seed: 3, epoch: 0 })) {
      seen.push(...b.indices);
      sizes.push(b.indices.length);
      expect(Array.from(b.data.subarray(0, values))).toEqual(Array.from(itemData(b.indices[0]!)));
    }
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect([...seen].sort((a, b) => a - b)).toEqual(all);
    expect(shuffled(all, 3, 0)).toEqual(seen);
    expect(shuffled(all, 3, 1)).not.toEqual(seen);
    let n = 0;
    for await (const b of ds.batches(all, 5, { dropLast: true, shuffle: false })) n += b.indices.length;
    expect(n).toBe(20);
    await ds.close();
  });

  it('recovers from a crash: uncommitted appends are cut and the run resumes', async () => {
    const w = await writeItems(6, { sourcesPer: 2 });
    await w.commit();
    // Simulated crash: more data appended (and a half-finished source) but the manifest never committed.
    w.append({ source: '/src/file3.wav', offset: 0, min: 0, max: 1 }, itemData(6));
    w.close();
    fs.appendFileSync(path.join(dir, 'shard-00000.bin'), Buffer.alloc(17)); // a torn write
    const before = await openDataset(dir); // the committed part reads fine
    expect(before.size).toBe(6);
    await before.close();

    const r = await createDatasetWriter(dir, { shape, settings: testSettings(), resume: true });
    expect(r.count).toBe(6);
    expect(r.isDone('/src/file2.wav')).toBe(true);
    expect(r.isDone('/src/file3.wav')).toBe(false);
    expect(fs.statSync(path.join(dir, 'shard-00000.bin')).size).toBe(6 * values * 4);
    for (let i = 6; i < 8; i++) r.append({ source: '/src/file3.wav', offset: 0, min: 0, max: 1 }, itemData(i));
    r.markSource('/src/file3.wav', { status: 'done', items: 2 });
    const m = await r.finish();
    expect(m.items.length).toBe(8);
    const ds = await openDataset(dir);
    expect(Array.from(await ds.read([7]))).toEqual(Array.from(itemData(7)));
    const mean = ds.meanSpectrogram()!;
    let expected = 0;
    for (let i = 0; i < 8; i++) expected += itemData(i)[2]! / 8;
    expect(mean[2]).toBeCloseTo(expected, 6);
    await ds.close();
  });

  it('drops committed items of a source that never finished', async () => {
    const w = await writeItems(4, { sourcesPer: 2 });
    w.append({ source: '/src/half.wav', offset: 0, min: 0, max: 1 }, itemData(4));
    await w.commit();
    w.close();
    const r = await createDatasetWriter(dir, { shape, settings: testSettings(), resume: true });
    expect(r.count).toBe(4);
    r.close();
  });

  it('refuses to resume with other settings, and starts afresh without resume', async () => {
    await (await writeItems(3)).finish();
    await expect(createDatasetWriter(dir, { shape, settings: testSettings({ preset: 'music' }), resume: true })).rejects.toThrow(/other settings/);
    const w = await createDatasetWriter(dir, { shape, settings: testSettings({ preset: 'music' }) });
    expect(w.count).toBe(0);
    expect(fs.existsSync(path.join(dir, 'shard-00000.bin'))).toBe(false);
    w.close();
  });

  it('gives one-line errors for missing, corrupt, newer and truncated stores', async () => {
    await expect(openDataset(dir)).rejects.toThrow(/not a dataset/);
    await fsp.writeFile(path.join(dir, MANIFEST_FILE), '{"schema":');
    await expect(openDataset(dir)).rejects.toThrow(/corrupt manifest/);
    await (await writeItems(3)).finish();
    const m = await readManifest(dir);
    await fsp.writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify({ ...m, version: 99 }));
    await expect(openDataset(dir)).rejects.toThrow(/newer/);
    const { version: _v, ...unversioned } = m; // written before the version was checked: read as version 1
    await fsp.writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(unversioned));
    expect((await readManifest(dir)).items.length).toBe(3);
    const { hop: _hop, ...noHop } = m.settings;
    await fsp.writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify({ ...m, settings: noHop }));
    await expect(openDataset(dir)).rejects.toThrow(/manifest.json: corrupt manifest \(settings: hop missing\)$/);
    await fsp.writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(m));
    await fsp.truncate(path.join(dir, 'shard-00000.bin'), 10);
    await expect(openDataset(dir)).rejects.toThrow(/truncated shard/);
  });

  it('allows one writer at a time and takes over the lock of a dead process', async () => {
    const w = await createDatasetWriter(dir, { shape, settings: testSettings() });
    await expect(createDatasetWriter(dir, { shape, settings: testSettings() })).rejects.toThrow(/another soundvae process \(pid \d+\)/);
    w.close();
    await fsp.writeFile(path.join(dir, LOCK_FILE), '999999999'); // no such process
    const again = await createDatasetWriter(dir, { shape, settings: testSettings() });
    again.close();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});

describe('damaged datasets (issue 12)', () => {
  const itemBytes = values * 4;
  const shard0 = () => path.join(dir, 'shard-00000.bin');

  /** Resumes like a re-run of preprocess: sources not done are (re)made. Returns the writer's repairs. */
  async function resumeAll(n: number) {
    const w = await createDatasetWriter(dir, { shape, settings: testSettings(), resume: true });
    const repaired = w.repaired;
    for (let i = 0; i < n; i++) {
      const source = `/src/file${i}.wav`;
      if (w.isDone(source)) continue;
      w.append({ source, offset: 0, min: -80 + i, max: i, label: String(i % 3) }, itemData(i));
      w.markSource(source, { status: 'done', items: 1 });
    }
    await w.finish();
    return repaired;
  }

  async function expectWhole(n: number) {
    const ds = await openDataset(dir);
    expect(ds.size).toBe(n);
    const data = await ds.read(Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < n; i++) expect(Array.from(data.subarray(i * values, (i + 1) * values))).toEqual(Array.from(itemData(i)));
    await ds.close();
    expect((await checkDatasetFiles(dir, await readManifest(dir), { checksums: true })).problems).toEqual([]);
  }

  it('resume redoes the items of a truncated shard instead of zero-filling them', async () => {
    await (await writeItems(10)).finish();
    await fsp.truncate(shard0(), 5 * itemBytes); // items 5-9 lost
    // before: the writer zero-extended the shard back to 10 items and kept them as done
    const repaired = await resumeAll(10);
    expect(repaired).toHaveLength(1);
    expect(repaired[0]!.problem).toMatch(/truncated: 240 bytes, the manifest records 480 \(items 5-9 lost\)/);
    await expectWhole(10);
  });

  it('resume redoes a deleted shard and corrupt items found by their checksums', async () => {
    await (await writeItems(10, { shardBytes: itemBytes * 4 })).finish(); // shards of 4, 4, 2
    await fsp.rm(path.join(dir, 'shard-00001.bin'));
    const fh = await fsp.open(shard0(), 'r+');
    await fh.write(new Uint8Array(8).fill(0xff), 0, 8, 2 * itemBytes + 4); // NaNs in item 2, same size
    await fh.close();
    const check = await checkDatasetFiles(dir, await readManifest(dir), { checksums: true });
    expect(check.problems.map((p) => p.problem)).toEqual(['checksum mismatch in item 2', 'missing']);
    expect(check.firstBad).toBe(2);
    const repaired = await resumeAll(10);
    expect(repaired).toHaveLength(2);
    await expectWhole(10);
  });

  it('info reports a truncated or deleted shard (sizes), and openDataset says how to repair', async () => {
    await (await writeItems(6, { shardBytes: itemBytes * 3 })).finish();
    expect((await describeDataset(dir)).problems).toEqual([]);
    await fsp.truncate(shard0(), itemBytes);
    await fsp.rm(path.join(dir, 'shard-00001.bin'));
    const summary = await describeDataset(dir);
    expect(summary.problems).toEqual([
      `${shard0()}: truncated: ${itemBytes} bytes, the manifest records ${3 * itemBytes} (items 1-2 lost)`,
      `${path.join(dir, 'shard-00001.bin')}: missing`,
    ]);
    expect(formatDatasetSummary(summary)).toMatch(/DAMAGED/);
    await expect(openDataset(dir)).rejects.toThrow(/truncated shard .*re-running the same preprocess command remakes it/);
    await fsp.truncate(shard0(), 3 * itemBytes);
    await expect(openDataset(dir)).rejects.toThrow(/shard-00001\.bin: shard missing; the dataset is damaged/);
  });
});

describe('fixed splits', () => {
  it('keeps a split given at append time through commits', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-fixed-split-'));
    try {
      const writer = await createDatasetWriter(dir, { shape: [2, 2], settings: testSettings(), split: { validation: 0.5, seed: 1 } });
      for (let i = 0; i < 8; i++) {
        writer.append({ source: `/s/${i}.wav`, offset: 0, min: 0, max: 1, ...(i < 2 && { split: 'validation' as const }) }, new Float32Array(4));
      }
      const manifest = await writer.finish();
      expect(manifest.items.slice(0, 2).map((it) => it.split)).toEqual(['validation', 'validation']);
      const ds = await openDataset(dir);
      expect(ds.indices('validation')).toEqual(expect.arrayContaining([0, 1]));
      await ds.close();
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
