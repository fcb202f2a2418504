import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../audio/wav-write.ts';
import { preprocess } from './pipeline.ts';
import { openDataset } from './store.ts';

let dir: string;
let inputs: string;

/** A short "word": a decaying tone whose pitch depends on the digit, a bit of noise from the take. */
function word(digit: number, take: number, sr = 8000, seconds = 0.4): Float32Array {
  const n = Math.round(sr * seconds);
  return Float32Array.from({ length: n }, (_, i) => {
    const env = Math.exp((-3 * i) / n);
    return 0.5 * env * Math.sin((2 * Math.PI * (200 + 100 * digit) * i) / sr) + 0.01 * Math.sin(i * (take + 1));
  });
}

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-pipeline-'));
  inputs = path.join(dir, 'in');
  await fsp.mkdir(inputs);
  for (const speaker of ['ann', 'bob', 'cy']) {
    for (const digit of [0, 1, 2]) {
      for (const take of [0, 1]) {
        await fsp.writeFile(path.join(inputs, `${digit}_${speaker}_${take}.wav`), encodeWav(word(digit, take), 8000));
      }
    }
  }
  await fsp.writeFile(path.join(inputs, '9_bad_0.wav'), 'RIFF this is not audio');
  await fsp.writeFile(path.join(inputs, '8_quiet_0.wav'), encodeWav(new Float32Array(4000), 8000));
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

describe('preprocess', () => {
  it('makes a labelled, split, resumable store and reports bad and empty files', async () => {
    const out = path.join(dir, 'ref');
    const progress: number[] = [];
    const s = await preprocess([inputs], out, {
      preset: 'reference',
      labels: { from: 'fsdd' },
      groupBy: 'speaker',
      split: { validation: 0.3, seed: 1 },
      workers: 0,
      onProgress: (p) => progress.push(p.filesDone),
    });
    expect(s.shape).toEqual([256, 64]);
    expect(s.files).toBe(20);
    expect(s.clips).toBe(18);
    expect(s.failed.map((f) => path.basename(f.file))).toEqual(['9_bad_0.wav']);
    expect(s.empty.map((f) => path.basename(f.file))).toEqual(['8_quiet_0.wav']);
    expect(s.clipsSkipped.silent).toBe(1);
    expect(progress.at(-1)).toBe(20);

    const ds = await openDataset(out);
    expect(ds.size).toBe(18);
    const item = ds.manifest.items.find((it) => it.source.endsWith('2_bob_1.wav'))!;
    expect(item).toMatchObject({ label: '2', labels: { digit: '2', speaker: 'bob', take: '1' }, group: 'speaker:bob', offset: 0 });
    expect(item.duration).toBeCloseTo(0.4, 3);
    expect(item.max).toBeGreaterThan(item.min);
    const sides = new Map<string, Set<string>>();
    for (const it of ds.manifest.items) sides.set(it.group, (sides.get(it.group) ?? new Set()).add(it.split));
    expect([...sides.values()].every((v) => v.size === 1)).toBe(true);
    expect(ds.indices('validation').length).toBeGreaterThan(0);
    expect(ds.indices('train').length).toBeGreaterThan(0);
    const data = await ds.read([item.index]);
    expect(Math.min(...data)).toBe(0);
    expect(Math.max(...data)).toBe(1);
    expect(ds.manifest.settings).toMatchObject({ preset: 'reference', hop: 256, groupBy: 'speaker' });
    await ds.close();

    // Re-running skips what is done (the bad file is tried again) and changes nothing.
    const again = await preprocess([inputs], out, {
      preset: 'reference',
      labels: { from: 'fsdd' },
      groupBy: 'speaker',
      split: { validation: 0.3, seed: 1 },
      workers: 0,
    });
    expect(again.alreadyDone).toBe(19);
    expect(again.read).toBe(1);
    expect(again.items).toBe(18);
    // Other settings are refused unless asked to start afresh.
    await expect(preprocess([inputs], out, { preset: 'digits', workers: 0 })).rejects.toThrow(/other settings/);
    const fresh = await preprocess([path.join(inputs, '0_ann_0.wav')], out, { preset: 'digits', workers: 0, overwrite: true });
    expect(fresh.items).toBe(1);
  });

  it('splits the same files the same way wherever their folder lives', async () => {
    const moved = path.join(dir, 'elsewhere', 'deeper', 'in');
    await fsp.mkdir(path.dirname(moved), { recursive: true });
    await fsp.cp(inputs, moved, { recursive: true });
    const splits = async (from: string, out: string) => {
      await preprocess([from], path.join(dir, out), { preset: 'reference', split: { validation: 0.4, seed: 3 }, workers: 0 });
      const ds = await openDataset(path.join(dir, out));
      return ds.manifest.items.map((it) => `${path.basename(it.source)} ${it.group} ${it.split}`).sort();
    };
    const here = await splits(inputs, 'split-here');
    expect(here.some((s) => s.endsWith('validation')) && here.some((s) => s.endsWith('train'))).toBe(true);
    expect(await splits(moved, 'split-moved')).toEqual(here);
  });

  it('gives the same store with worker threads as in this thread', async () => {
    const files = ['0_ann_0.wav', '1_bob_1.wav', '9_bad_0.wav', '2_cy_0.wav'].map((f) => path.join(inputs, f));
    const a = await preprocess(files, path.join(dir, 'a'), { preset: 'reference', workers: 0 });
    const b = await preprocess(files, path.join(dir, 'b'), { preset: 'reference', workers: 2 });
    expect(b.failed.length).toBe(1);
    expect(b.items).toBe(a.items);
    const [da, db] = [await openDataset(path.join(dir, 'a')), await openDataset(path.join(dir, 'b'))];
    expect(db.manifest.items.map((it) => it.source)).toEqual(da.manifest.items.map((it) => it.source));
    expect(Array.from(await db.read(db.indices()))).toEqual(Array.from(await da.read(da.indices())));
    await Promise.all([da.close(), db.close()]);
  });

  it('resumes after an interruption and ends with the same store as an uninterrupted run', async () => {
    const files = ['0_ann_0.wav', '0_ann_1.wav', '1_bob_0.wav', '1_bob_1.wav', '2_cy_0.wav', '2_cy_1.wav'].map((f) => path.join(inputs, f));
    const clean = path.join(dir, 'clean');
    const broken = path.join(dir, 'broken');
    await preprocess(files, clean, { preset: 'reference', workers: 0 });
    // Interrupted after the third file (commits after every file here, as a long run does every 2 s).
    await expect(
      preprocess(files, broken, {
        preset: 'reference',
        workers: 0,
        commitEvery: 0,
        onProgress: (p) => {
          if (p.filesDone === 3) throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    const partial = await openDataset(broken);
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(6);
    await partial.close();
    const resumed = await preprocess(files, broken, { preset: 'reference', workers: 0 });
    expect(resumed.alreadyDone).toBeGreaterThan(0);
    expect(resumed.alreadyDone + resumed.read).toBe(6);
    const [a, b] = [await openDataset(clean), await openDataset(broken)];
    expect(b.manifest.items.map((it) => it.source)).toEqual(a.manifest.items.map((it) => it.source));
    expect(Array.from(await b.read(b.indices()))).toEqual(Array.from(await a.read(a.indices())));
    expect(b.meanSpectrogram()![100]).toBeCloseTo(a.meanSpectrogram()![100]!, 6);
    await Promise.all([a.close(), b.close()]);
  });

  it('shares a long recording between workers and gets the same clips as one thread', async () => {
    const long = path.join(dir, 'long.wav');
    const x = Float32Array.from({ length: 8000 * 12 }, (_, i) => 0.3 * Math.sin(i * (0.05 + 0.02 * Math.sin(i / 4000))));
    await fsp.writeFile(long, encodeWav(x, 8000));
    const opts = { preset: 'reference' as const, overrides: { split: 'clips' as const, overlap: 0.5 } };
    const a = await preprocess([long, path.join(inputs, '0_ann_0.wav')], path.join(dir, 'long-a'), { ...opts, workers: 0 });
    const seen: { bytesDone: number; bytesTotal: number; filesDone: number; sharedFiles: number; clips: number }[] = [];
    const b = await preprocess([long, path.join(inputs, '0_ann_0.wav')], path.join(dir, 'long-b'), {
      ...opts,
      workers: 2,
      longFileBytes: 1000,
      onProgress: ({ bytesDone, bytesTotal, filesDone, sharedFiles, clips }) => seen.push({ bytesDone, bytesTotal, filesDone, sharedFiles, clips }),
    });
    // Progress moves share by share inside the long file, in bytes of input, up to both files' sizes.
    const total = (await fsp.stat(long)).size + (await fsp.stat(path.join(inputs, '0_ann_0.wav'))).size;
    expect(seen.length, 'a report per share').toBeGreaterThan(2);
    expect(seen.map((p) => [p.bytesTotal, p.sharedFiles])).toEqual(seen.map(() => [total, 2])); // both are over 1000 bytes
    expect(seen.filter((p) => p.filesDone === 0).length, 'reports before the long file is done').toBeGreaterThanOrEqual(1);
    expect(seen.map((p) => p.bytesDone)).toEqual([...seen.map((p) => p.bytesDone)].sort((x, y) => x - y));
    expect(seen.at(-1)!.bytesDone).toBeCloseTo(total, 6);
    expect(a.clips).toBe(Math.floor((12 * 22050 - 16317) / 8159) + 1 + 1 + 1); // full clips, the padded tail, the short file
    expect(b.clips).toBe(a.clips);
    const [da, db] = [await openDataset(path.join(dir, 'long-a')), await openDataset(path.join(dir, 'long-b'))];
    expect(db.manifest.items.map((it) => it.offset)).toEqual(da.manifest.items.map((it) => it.offset));
    expect(Array.from(await db.read(db.indices()))).toEqual(Array.from(await da.read(da.indices())));
    expect(db.manifest.sources[long]).toEqual({ status: 'done', items: a.clips - 1 });
    await Promise.all([da.close(), db.close()]);
  });

  it("plans the clean-up of a shared recording once, with each pass split among workers, and gets one thread's clips", async () => {
    // Tones with pauses of 1.5 to 3.5 s, clicks at both ends, faint hiss throughout.
    const sr = 8000;
    const x = Float32Array.from({ length: sr * 30 }, (_, i) => {
      const t = i / sr;
      const on = t % 5 < 2.5 + Math.sin(t / 3);
      return (on ? 0.4 * Math.sin(i * (0.05 + 0.01 * Math.floor(t))) : 0) + 1e-4 * Math.sin(i * 1.3);
    });
    for (const at of [2, x.length - 5]) x[at] = 0.95;
    const long = path.join(dir, 'long-cleanup.wav');
    await fsp.writeFile(long, encodeWav(x, sr));
    const cleanup = { clicks: true, trimDb: -50, maxSilence: 1, silenceDb: -40, normalise: 'lufs' as const, level: -23 };
    const opts = { preset: 'reference' as const, overrides: { split: 'clips' as const, overlap: 0, cleanup } };
    const a = await preprocess([long], path.join(dir, 'cleanup-a'), { ...opts, workers: 0 });
    const b = await preprocess([long], path.join(dir, 'cleanup-b'), { ...opts, workers: 2, longFileBytes: 1000 });
    // About 15 s of tones, the pauses (1.5 to 3.5 s) cut to a quarter second each, in 0.74 s clips.
    expect(a.clips).toBeGreaterThan(15 / 0.74);
    expect(a.clips).toBeLessThan(20 / 0.74);
    expect(b.clips).toBe(a.clips);
    const [da, db] = [await openDataset(path.join(dir, 'cleanup-a')), await openDataset(path.join(dir, 'cleanup-b'))];
    expect(db.manifest.items.map((it) => [it.offset, it.min, it.max])).toEqual(da.manifest.items.map((it) => [it.offset, it.min, it.max]));
    expect(Array.from(await db.read(db.indices()))).toEqual(Array.from(await da.read(da.indices())));
    await Promise.all([da.close(), db.close()]);
  });

  it('stops between files when aborted, keeping what is done', async () => {
    const out = path.join(dir, 'aborted');
    const stop = new AbortController();
    const s = await preprocess([inputs], out, {
      preset: 'reference',
      workers: 0,
      signal: stop.signal,
      onProgress: (p) => p.filesDone === 2 && stop.abort(),
    });
    expect(s.interrupted).toBe(true);
    expect(s.read).toBe(2);
    const ds = await openDataset(out);
    expect(ds.size).toBe(s.items);
    await ds.close();
    const rest = await preprocess([inputs], out, { preset: 'reference', workers: 0 });
    expect(rest.alreadyDone).toBe(2);
    expect(rest.interrupted).toBeUndefined();
  });
});
