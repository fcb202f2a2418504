/** Fault tests of issue 12 for the training run folder: concurrent runs, damaged runs, lost log lines, full disks, bad data. */
import fsSync, { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import { createDatasetWriter } from '../dataset/store.ts';
import { rampBatch, TINY_SHAPE, tinyConfig } from '../model/test-fixture.ts';
import { keptCheckpointNote, reconcileMetricsLog, RUN_LOCK_FILE } from './run-folder.ts';
import { datasetSource, train, type TrainOptions } from './train.ts';
import type { TrainingProgress } from './checkpoint.ts';
import { testSettings } from '../dataset/test-fixture.ts';

const VALUES = TINY_SHAPE[0] * TINY_SHAPE[1];
const quiet: Partial<TrainOptions> = { progress: false, log: () => {}, overrides: tinyConfig(), seed: 1 };
let tmp: string;
let dataDir: string;

beforeAll(async () => {
  await initBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-run-folder-'));
  dataDir = path.join(tmp, 'data');
  const w = await createDatasetWriter(dataDir, { shape: TINY_SHAPE, settings: testSettings(), split: { validation: 0.25, seed: 1 } });
  const all = rampBatch(12);
  for (let i = 0; i < 12; i++) {
    w.append({ source: `/s/${i}.wav`, offset: 0, min: -80, max: 0 }, all.subarray(i * VALUES, (i + 1) * VALUES));
    w.markSource(`/s/${i}.wav`, { status: 'done', items: 1 });
  }
  await w.finish();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function trainOn(out: string, opts: Partial<TrainOptions> = {}, dir = dataDir) {
  const data = await datasetSource(dir);
  try {
    return await train(data, { ...quiet, out, epochs: 2, ...opts });
  } finally {
    await data.close();
  }
}

function metricsLines(out: string): { type: string; step: number; epoch: number }[] {
  return fsSync
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('run folder safety (issue 12)', () => {
  it('refuses a second trainer into the same run folder with the pid of the first', async () => {
    const out = path.join(tmp, 'two');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const data = await datasetSource(dataDir);
    const batches = data.trainBatches.bind(data);
    // The first trainer waits in its first batch until the second has been refused.
    data.trainBatches = async function* (...args) {
      for await (const b of batches(...args)) {
        started();
        await gate;
        yield b;
      }
    };
    const first = train(data, { ...quiet, out, epochs: 2, logEverySteps: 1 });
    await running;
    expect(fsSync.readFileSync(path.join(out, RUN_LOCK_FILE), 'utf8')).toBe(String(process.pid));
    // before: both ran, metrics.jsonl mixed both runs and one crashed with ENOENT .../last.tmp
    await expect(trainOn(out, { seed: 2 })).rejects.toThrow(new RegExp(`another soundvae process \\(pid ${process.pid}\\) is training into this run folder`));
    await expect(trainOn(out, { resume: true })).rejects.toThrow(/is training into this run folder/);
    release();
    await first;
    await data.close();
    const steps = metricsLines(out)
      .filter((l) => l.type === 'step')
      .map((l) => l.step);
    expect(new Set(steps).size).toBe(steps.length); // no duplicate steps
    expect(fsSync.existsSync(path.join(out, RUN_LOCK_FILE))).toBe(false);
    // A lock left by a dead process (kill -9) is taken over.
    fsSync.writeFileSync(path.join(out, RUN_LOCK_FILE), '999999999');
    await expect(trainOn(out, { resume: true, epochs: 3 })).resolves.toMatchObject({ epoch: 3 });
  });

  it('never replaces a run without --overwrite, and names what is missing', async () => {
    const out = path.join(tmp, 'damaged');
    await trainOn(out, { epochs: 3 });
    const before = metricsLines(out).length;
    await fs.rm(path.join(out, 'last', 'config.json'));
    await fs.rm(path.join(out, 'best', 'config.json'));
    // before: "start it again without --resume", which then wiped the weights and cut metrics.jsonl to 1 line
    await expect(trainOn(out, { resume: true })).rejects.toThrow(/last\/config\.json missing, best\/config\.json missing .*Nothing was changed/);
    await expect(trainOn(out)).rejects.toThrow(
      /already holds a run \(last\/, best\/, metrics\.jsonl, curves\.svg, 1 TensorBoard event file\); add --resume .* --overwrite/,
    );
    expect(metricsLines(out)).toHaveLength(before);
    expect(fsSync.existsSync(path.join(out, 'last', 'encoder', 'weights.bin'))).toBe(true);
    await expect(trainOn(out, { overwrite: true, epochs: 1 })).resolves.toMatchObject({ epoch: 1 });
    expect(
      metricsLines(out)
        .filter((l) => l.type === 'epoch')
        .map((l) => l.epoch),
    ).toEqual([1]);
  });

  it('restores epoch lines a kill during the best/ swap cost, and drops lines past the checkpoint', async () => {
    const out = path.join(tmp, 'lines');
    await trainOn(out, { epochs: 4, logEverySteps: 1 });
    const whole = metricsLines(out);
    // What a kill during the best/ swap of epochs 2-4 left before: checkpoints complete, the epoch lines missing.
    const cut = whole.filter((l) => !(l.type === 'epoch' && l.epoch >= 2));
    await fs.writeFile(path.join(out, 'metrics.jsonl'), `${cut.map((l) => `${JSON.stringify(l)}\n`).join('')}{"type":"step","ste`);
    const notes: string[] = [];
    await trainOn(out, { epochs: 5, logEverySteps: 1, resume: true, log: (l) => notes.push(l) });
    expect(notes.join('\n')).toMatch(/3 epoch line\(s\) lost to an earlier kill restored/);
    const after = metricsLines(out);
    expect(after.filter((l) => l.type === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3, 4, 5]);
    const steps = after.map((l) => l.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));

    const progress = { epoch: 1, step: 3, metrics: [{ epoch: 1, step: 3 }] } as unknown as TrainingProgress;
    const file = path.join(tmp, 'reconcile.jsonl');
    const lines = [
      { type: 'step', step: 3 },
      { type: 'epoch', epoch: 1, step: 3 },
      { type: 'step', step: 4 },
      { type: 'epoch', epoch: 2, step: 6 }, // logged, then killed before its checkpoint
    ];
    await fs.writeFile(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    expect(await reconcileMetricsLog(file, progress)).toEqual({ dropped: 2, restored: 0 });
    expect((await fs.readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('on a full disk names the file, says "disk full", removes the temporary and keeps the last checkpoint', async () => {
    const out = path.join(tmp, 'full');
    await trainOn(out, { epochs: 1 });
    const realOpen = fs.open;
    // The weights file of the next save fails half-way with ENOSPC, as a full disk does.
    const spy = vi.spyOn(fs, 'open').mockImplementation(async (file, flags, mode) => {
      const fh = await realOpen(file, flags, mode);
      if (String(file).includes(`last.tmp${path.sep}encoder${path.sep}weights.bin`)) {
        fh.writeFile = async (data: unknown) => {
          await fs.appendFile(String(file), (data as Uint8Array).subarray(0, 16));
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        };
      }
      return fh;
    });
    try {
      // before: "ENOSPC: no space left on device, write (an unexpected error...)", and a half-written last.tmp stayed
      await expect(trainOn(out, { epochs: 2, resume: true })).rejects.toThrow(
        /last\.tmp\/encoder\/weights\.bin: disk full \(ENOSPC: no space left on device, write\); .*last\.tmp removed, .*last still holds the checkpoint saved before/,
      );
    } finally {
      spy.mockRestore();
    }
    expect(fsSync.existsSync(path.join(out, 'last.tmp'))).toBe(false);
    expect(JSON.parse(fsSync.readFileSync(path.join(out, 'last', 'training.json'), 'utf8')).epoch).toBe(1);
  });

  it('names the damaged item instead of blaming the learning rate', async () => {
    const dir = path.join(tmp, 'nan-data');
    await fs.cp(dataDir, dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'shard-00000.bin'), new Uint8Array(12 * VALUES * 4).fill(0xff)); // all NaN
    // before: "the loss became NaN at epoch 1, step 1 ... Try a lower --lr"
    await expect(trainOn(path.join(tmp, 'nan-run'), {}, dir)).rejects.toThrow(
      /shard-00000\.bin: item \d+ \(\/s\/\d+\.wav at 0 s\) holds NaN at value 0, outside \[0, 1\]: the dataset is damaged/,
    );
  });

  it('says whether a checkpoint is kept when quitting at once', async () => {
    const out = path.join(tmp, 'note');
    await fs.mkdir(out, { recursive: true });
    // before: "the last saved checkpoint is kept" even before the first save
    expect(keptCheckpointNote(out)).toBe('no checkpoint was saved yet');
    await trainOn(out, { epochs: 1 });
    expect(keptCheckpointNote(out)).toBe('the last saved checkpoint is kept');
  });
});
