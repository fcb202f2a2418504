/**
 * The preprocessing pipeline: input files -> stages (in worker threads) -> the dataset store.
 *
 * Files are handed to a small pool of workers (one per core by default); each sends its clips back in
 * acknowledged chunks. The main thread writes items strictly in input order (so the same inputs give the same
 * store whatever the timing), marks each file done, and commits the manifest every couple of seconds, always
 * between files, so an interrupted run resumes from the last committed file and never stores half a file.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { isForwardOnly } from '../audio/stream-decode.ts';
import { describeError, UserError } from '../errors.ts';
import type { Seconds } from '../units.ts';
import { collectInputs } from './inputs.ts';
import { commonFolder, groupOf, labelReader, type LabelOptions } from './labels.ts';
import {
  DEFAULT_PRESET,
  resolveSettings,
  shapeWarning,
  spectrogramShape,
  type PreprocessSettings,
  type PresetName,
  type SettingsOverrides,
} from './presets.ts';
import type { SplitOptions } from './split.ts';
import type { ClipSkip } from './stages.ts';
import { FileProcessor } from './stages.ts';
import { createDatasetWriter, ReplaceableDatasetError, type DatasetManifest, type DatasetWriter, type StoreDtype } from './store.ts';
import { processFileInChunks, type ClipMeta, type FromWorker, type ToWorker, type WorkerConfig } from './worker.ts';

/** Clip data per message, and per worker not yet written: what bounds memory whatever the input. */
const CHUNK_BYTES = 4 << 20;
const CREDIT_BYTES = 32 << 20;
/** Files handed out ahead of the one being written, per worker (short files: keeps workers busy). */
const FILES_AHEAD = 32;
/** Files at least this big are shared among the workers, in parts each making a consecutive share of the clips. */
const LONG_FILE_BYTES = 16 << 20;
/** About one part per this many bytes of file: small enough that a part's clips fit in a worker's credit. */
const PART_BYTES = 1 << 20;
const MAX_PARTS = 1024;

/** A unit of work: a file, or the `part`-th of `parts` consecutive shares of a long file's clips. */
interface Task {
  file: string;
  part: number;
  parts: number;
}

/** Where progress goes: called after each file. */
export interface PreprocessProgress {
  /** Files finished, including those an earlier run had done. */
  filesDone: number;
  filesTotal: number;
  /** Files an earlier run had done (skipped). */
  alreadyDone: number;
  clips: number;
  failed: number;
  elapsed: Seconds;
}

export interface PreprocessOptions {
  /** Default 'digits' (DEFAULT_PRESET). */
  preset: PresetName;
  /** Changes to the preset's settings. */
  overrides: SettingsOverrides;
  /** Default { from: 'none' }. */
  labels: Partial<LabelOptions>;
  /** 'source' (default), 'folder' or a label field: the unit the split keeps whole. */
  groupBy: string;
  split: Partial<SplitOptions>;
  dtype: StoreDtype;
  /** Worker threads; 0 runs in this thread. Default: one per core, at most 4. */
  workers: number;
  /** Start afresh even when the output folder holds a dataset made with other settings. Default false. */
  overwrite: boolean;
  /** Files at least this big are shared among the workers. Default 16 MiB. */
  longFileBytes: number;
  /** Seconds between manifest commits. Default 2. */
  commitEvery: Seconds;
  /** Stops the run between files (the work so far is committed; re-running resumes). */
  signal?: AbortSignal;
  /** Called once the inputs are listed, before any file is read. */
  onStart?: (p: PreprocessProgress) => void;
  /** Called after each file. */
  onProgress?: (p: PreprocessProgress) => void;
}

export const DEFAULT_PREPROCESS: Omit<PreprocessOptions, 'onProgress' | 'onStart' | 'signal'> = {
  preset: DEFAULT_PRESET,
  overrides: {},
  labels: { from: 'none' },
  groupBy: 'source',
  split: {},
  dtype: 'float32',
  workers: Math.min(4, os.availableParallelism?.() ?? os.cpus().length),
  overwrite: false,
  longFileBytes: LONG_FILE_BYTES,
  commitEvery: 2,
};

/** What a run did. */
export interface PreprocessSummary {
  out: string;
  shape: [number, number];
  /** Files named by the inputs. */
  files: number;
  /** Files read in this run. */
  read: number;
  /** Files skipped because an earlier run had done them. */
  alreadyDone: number;
  /** Clips made in this run. */
  clips: number;
  /** Items in the store now. */
  items: number;
  /** Files that could not be read, with why. */
  failed: { file: string; reason: string }[];
  /** Files that gave no clip, with why. */
  empty: { file: string; reason: string }[];
  /** Clips left out, by reason. */
  clipsSkipped: Partial<Record<ClipSkip, number>>;
  seconds: Seconds;
  /** A note when the shape does not suit the model. */
  warning?: string;
  /** True when `signal` stopped the run before every file was read. */
  interrupted?: boolean;
  /** Damage a resumed dataset had (a truncated, missing or corrupt shard): those items were dropped and made again. */
  repaired?: { file: string; problem: string }[];
}

/** What the manifest records as the settings (resuming needs all of them equal). */
export interface RecordedSettings extends PreprocessSettings {
  preset: PresetName;
  labels: Partial<LabelOptions>;
  groupBy: string;
}

/** The per-file work: either a worker pool or this thread. */
interface Runner {
  /** Starts a task; chunks arrive through `onChunk` in order, ending with last = true, or `onError`. */
  start(id: number, task: Task): void;
  ack(id: number, bytes: number): void;
  close(): Promise<void>;
}

interface RunnerEvents {
  onChunk(id: number, clips: ClipMeta[], data: Float32Array, last: boolean, skipped: Partial<Record<ClipSkip, number>>): void;
  onError(id: number, reason: string): void;
  onCrash(err: Error): void;
}

function inThreadRunner(settings: PreprocessSettings, chunkItems: number, events: RunnerEvents): Runner {
  const processor = new FileProcessor(settings);
  let chain = Promise.resolve();
  return {
    start(id, task) {
      // One file at a time, like a single worker; chunks are written as they come, so no credit is needed.
      chain = chain.then(() =>
        processFileInChunks(processor, task, chunkItems, async (c, d, l, s) => events.onChunk(id, c, d, l, s)).catch((err) =>
          events.onError(id, describeError(err)),
        ),
      );
    },
    ack: () => undefined,
    close: () => chain,
  };
}

function workerRunner(count: number, config: WorkerConfig, events: RunnerEvents): Runner & { assign(id: number): number } {
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL('./preprocess-worker.mjs', import.meta.url), { workerData: { soundvaePreprocess: config } }),
  );
  const owner = new Map<number, number>();
  const load = new Array<number>(count).fill(0);
  let closing = false;
  workers.forEach((w, k) => {
    w.on('message', (msg: FromWorker) => {
      if (msg.type === 'error' || msg.last) load[k]!--;
      if (msg.type === 'error') events.onError(msg.id, msg.reason);
      else events.onChunk(msg.id, msg.clips, msg.data, msg.last, msg.skipped ?? {});
    });
    w.on('error', (err: Error) => events.onCrash(err));
    // A worker that dies (out of memory) must not leave the run waiting for it forever.
    w.on('exit', (code) => closing || events.onCrash(new Error(`a preprocessing worker stopped (exit code ${code})`)));
  });
  return {
    /** The least busy worker. */
    assign(id) {
      let k = 0;
      for (let j = 1; j < count; j++) if (load[j]! < load[k]!) k = j;
      owner.set(id, k);
      load[k]!++;
      return load[k]!;
    },
    start(id, task) {
      workers[owner.get(id)!]!.postMessage({ type: 'file', id, ...task } satisfies ToWorker);
    },
    ack(id, bytes) {
      workers[owner.get(id)!]?.postMessage({ type: 'ack', bytes } satisfies ToWorker);
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * Preprocesses audio files into a dataset directory.
 *
 * Re-running with the same settings resumes: files already done are skipped. A file that cannot be read is
 * reported in the summary and skipped; the run goes on.
 *
 * @param inputs files, folders (recursive) and glob patterns.
 * @param out the dataset directory.
 * @param options preset, overrides, labels, grouping, split, workers...: see DEFAULT_PREPROCESS.
 * @example
 * const summary = await preprocess(['data/fsdd'], 'datasets/fsdd', { preset: 'reference', labels: { from: 'fsdd' } });
 */
export async function preprocess(inputs: readonly string[], out: string, options: Partial<PreprocessOptions> = {}): Promise<PreprocessSummary> {
  const o = { ...DEFAULT_PREPROCESS, ...options };
  const t0 = performance.now();
  const settings = resolveSettings(o.preset, o.overrides);
  const shape = spectrogramShape(settings);
  const reader = labelReader(o.labels);
  if (!['source', 'folder', ...reader.fields].includes(o.groupBy)) {
    throw new UserError(`cannot group by "${o.groupBy}": use source, folder${reader.fields.map((f) => `, ${f}`).join('')}`);
  }
  const files = await collectInputs(inputs);
  const root = commonFolder(files); // groups are relative to it: moving the data keeps the split
  const recorded: RecordedSettings = { preset: o.preset, ...settings, labels: o.labels, groupBy: o.groupBy };
  const writerOptions = { shape, settings: recorded as unknown as Record<string, unknown>, dtype: o.dtype, split: o.split };
  let writer: DatasetWriter;
  try {
    writer = await createDatasetWriter(out, { ...writerOptions, resume: true });
  } catch (err) {
    // --overwrite replaces a dataset made differently or a damaged one, never one another process is writing.
    if (!(o.overwrite && err instanceof ReplaceableDatasetError)) throw err;
    writer = await createDatasetWriter(out, { ...writerOptions, resume: false });
  }

  const summary: PreprocessSummary = {
    out,
    shape,
    files: files.length,
    read: 0,
    alreadyDone: 0,
    clips: 0,
    items: 0,
    failed: [],
    empty: [],
    clipsSkipped: {},
    seconds: 0,
    warning: settings.features ? undefined : shapeWarning(shape), // only the VAE needs the multiples, and it takes no mel datasets
    ...(writer.repaired.length ? { repaired: writer.repaired.map(({ file, problem }) => ({ file, problem })) } : {}),
  };
  const todo = files.filter((f) => !writer.isDone(f));
  summary.alreadyDone = files.length - todo.length;
  const workerCount = o.workers > 0 && todo.length > 0 ? Math.min(o.workers, todo.length) : 0;
  // Only files cut into many clips are worth sharing; one clip from the start needs one worker.
  // A long mp3, FLAC or Ogg file streams forward only (no cleanup): one task, as shares would each decode from its start.
  // A streamed compressed file is read from its start by each share, so it stays one task (cleaned as it streams).
  const shareable = async (file: string) => !(await isForwardOnly(file));
  const tasks = await planTasks(todo, settings.split === 'clips' ? workerCount : 1, o.longFileBytes, shareable);

  // Results arrive per task id; only the head (the earliest unfinished task) is written, the rest wait.
  interface Pending {
    chunks: { clips: ClipMeta[]; data: Float32Array; last: boolean; skipped: Partial<Record<ClipSkip, number>> }[];
    error?: string;
  }
  /** What the parts of the file being written have given so far. */
  interface FileState {
    firstItem: number;
    written: number;
    skipped: Partial<Record<ClipSkip, number>>;
    error?: string;
  }
  const pending = new Map<number, Pending>();
  let current: FileState | undefined;
  let head = 0;
  let next = 0;
  let filesFinished = 0;
  let lastCommit = performance.now();
  let commitInterval = o.commitEvery * 1000;
  let crash: Error | undefined;
  let wakeMain: (() => void) | undefined;
  const values = shape[0] * shape[1];
  const wake = () => {
    const w = wakeMain;
    wakeMain = undefined;
    w?.();
  };

  const events: RunnerEvents = {
    onChunk(id, clips, data, last, skipped) {
      pending.get(id)!.chunks.push({ clips, data, last, skipped });
      wake();
    },
    onError(id, reason) {
      // The summary names the file already.
      const file = tasks[id]!.file;
      pending.get(id)!.error = reason.startsWith(`${file}: `) ? reason.slice(file.length + 2) : reason;
      wake();
    },
    onCrash(err) {
      crash = err;
      wake();
    },
  };
  const chunkItems = Math.max(1, Math.floor(CHUNK_BYTES / (values * 4)));
  const pool = workerCount > 0 ? workerRunner(workerCount, { settings, chunkItems, creditBytes: CREDIT_BYTES, concurrency: 2 }, events) : undefined;
  const runner: Runner = pool ?? inThreadRunner(settings, chunkItems, events);
  // Keep workers well ahead, so none idles while the main thread writes; memory is bounded by the credit.
  const inFlight = FILES_AHEAD * Math.max(1, workerCount);
  const feed = () => {
    while (next < tasks.length && next - head < inFlight) {
      pending.set(next, { chunks: [] });
      pool?.assign(next);
      runner.start(next, tasks[next]!);
      next++;
    }
  };

  /** Records a file whose last part is written: done, or failed (then nothing of it stays). */
  const finishFile = (file: string, state: FileState) => {
    filesFinished++;
    summary.read++;
    if (state.error !== undefined) {
      writer.rollback(state.firstItem);
      writer.markSource(file, { status: 'failed', items: 0, reason: state.error });
      summary.failed.push({ file, reason: state.error });
      return;
    }
    for (const [why, n] of Object.entries(state.skipped) as [ClipSkip, number][]) {
      summary.clipsSkipped[why] = (summary.clipsSkipped[why] ?? 0) + n;
    }
    const reason = state.written ? undefined : noClipReason(state.skipped);
    writer.markSource(file, { status: 'done', items: state.written, reason });
    if (reason) summary.empty.push({ file, reason });
    summary.clips += state.written;
  };

  /** Writes what the head task has sent; returns true when the head task is finished. */
  const writeHead = (): boolean => {
    const p = pending.get(head)!;
    const task = tasks[head]!;
    const { file } = task;
    const state = (current ??= { firstItem: writer.count, written: 0, skipped: {} });
    const { label, labels } = reader.read(file);
    const group = groupOf(o.groupBy, file, labels, root);
    let done = false;
    while (p.chunks.length && !done) {
      const c = p.chunks.shift()!;
      c.clips.forEach((clip, k) => {
        writer.append(
          { source: file, offset: clip.offset, duration: clip.duration, label, labels, group, min: clip.min, max: clip.max },
          c.data.subarray(k * values, (k + 1) * values),
        );
      });
      state.written += c.clips.length;
      runner.ack(head, c.data.byteLength);
      if (c.last) {
        for (const [why, n] of Object.entries(c.skipped) as [ClipSkip, number][]) state.skipped[why] = (state.skipped[why] ?? 0) + n;
        done = true;
      }
    }
    if (!done && p.error !== undefined) {
      state.error ??= p.error;
      done = true;
    }
    if (!done) return false;
    if (task.part === task.parts - 1) {
      finishFile(file, state);
      current = undefined;
    }
    return true;
  };

  const progress = (): PreprocessProgress => ({
    filesDone: summary.alreadyDone + filesFinished,
    filesTotal: files.length,
    alreadyDone: summary.alreadyDone,
    clips: summary.clips,
    failed: summary.failed.length,
    elapsed: (performance.now() - t0) / 1000,
  });
  o.onStart?.(progress());
  try {
    feed();
    while (head < tasks.length) {
      if (crash) throw crash;
      if (!writeHead()) {
        await new Promise<void>((r) => (wakeMain = r));
        continue;
      }
      pending.delete(head);
      head++;
      feed();
      if (current) continue; // between parts of one file: no progress line, no commit
      o.onProgress?.(progress());
      if (o.signal?.aborted && head < tasks.length) {
        summary.interrupted = true;
        break;
      }
      if (performance.now() - lastCommit > commitInterval) {
        const started = performance.now();
        await writer.commit();
        lastCommit = performance.now();
        // The manifest grows with the dataset: keep its rewrites under ~5 % of the run.
        commitInterval = Math.max(o.commitEvery * 1000, 20 * (lastCommit - started));
      }
    }
    const manifest: DatasetManifest = await writer.finish();
    summary.items = manifest.items.length;
  } finally {
    writer.close();
    await runner.close();
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/**
 * One task per file, except that with several workers a file of `longFileBytes` or more is shared among them
 * (each worker decodes it once, keeps it, and makes the consecutive shares of its clips it is given), so one
 * long recording uses every core. Files `shareable` refuses (streamed forward only) stay one task.
 */
async function planTasks(files: readonly string[], workers: number, longFileBytes: number, shareable: (file: string) => Promise<boolean>): Promise<Task[]> {
  if (workers < 2) return files.map((file) => ({ file, part: 0, parts: 1 }));
  const sizes = await Promise.all(
    files.map(async (f) => {
      const size = await fsp.stat(f).then(
        (st) => st.size,
        () => 0,
      );
      return size >= longFileBytes && !(await shareable(f)) ? 0 : size; // counted as short: one task
    }),
  );
  return files.flatMap((file, i) => {
    // Many small parts rather than one per worker: results are written in order, and a worker whose part is
    // not next can run ahead only by its credit, so big parts would serialise.
    const parts = sizes[i]! >= longFileBytes ? Math.min(MAX_PARTS, Math.max(workers, Math.ceil(sizes[i]! / PART_BYTES))) : 1;
    return Array.from({ length: parts }, (_, part) => ({ file, part, parts }));
  });
}

function noClipReason(skipped: Partial<Record<ClipSkip, number>>): string {
  const parts = Object.entries(skipped).map(([why, n]) => `${n} ${why}`);
  return parts.length ? `no clips (${parts.join(', ')})` : 'no clips (no audio)';
}
