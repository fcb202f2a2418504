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
import { commonFolder, DEFAULT_LABELS, groupOf, labelReader, type LabelOptions, type LabelReader } from './labels.ts';
import {
  DEFAULT_PRESET,
  resolveSettings,
  shapeWarning,
  spectrogramShape,
  type PreprocessSettings,
  type PresetName,
  type SettingsOverrides,
} from './presets.ts';
import { recordSettings } from './settings.ts';
import type { SplitOptions } from './split.ts';
import { type CleanupPlan, type CleanupSteps, planCleanupWith, sharedLevels } from '../audio/cleanup-stream.ts';
import { cleanupActive, cleanupSteps, type ClipSkip, FileProcessor, type MeasureJob, type MeasureResult } from './stages.ts';
import { createDatasetWriter, ReplaceableDatasetError, type DatasetWriter, type DatasetWriterOptions, type StoreDtype } from './store.ts';
import { processFileInChunks, type ClipMeta, type FileTask as Task, type FromWorker, type ToWorker, type WorkerConfig } from './worker.ts';

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

/** Where progress goes: called after each file, and after each share of a file shared among the workers. */
export interface PreprocessProgress {
  /** Files finished, including those an earlier run had done. */
  filesDone: number;
  filesTotal: number;
  /** Files an earlier run had done (skipped). */
  alreadyDone: number;
  clips: number;
  failed: number;
  elapsed: Seconds;
  /** Bytes of input this run reads, and those read so far (a shared file's by each finished share). */
  bytesTotal: number;
  bytesDone: number;
  /** Files shared among the workers: long ones, whose progress shows within them (in bytes, not files). */
  sharedFiles: number;
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
  /** Called after each file, and after each share of a shared file. */
  onProgress?: (p: PreprocessProgress) => void;
}

export const DEFAULT_PREPROCESS: Omit<PreprocessOptions, 'onProgress' | 'onStart' | 'signal'> = {
  preset: DEFAULT_PRESET,
  overrides: {},
  labels: DEFAULT_LABELS,
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

export type { RecordedSettings } from './settings.ts';

/** The per-file work: either a worker pool or this thread. */
interface Runner {
  /** Starts a task; chunks arrive through `onChunk` in order, ending with last = true, or `onError`. */
  start(id: number, task: Task): void;
  ack(id: number, bytes: number): void;
  /** A step of planning a shared file's clean-up (`FileProcessor.measure`), on the least busy worker. */
  measure<J extends MeasureJob>(file: string, job: J): Promise<MeasureResult<J> | null>;
  /** How many threads measure at once: the ranges a planning pass is cut into. */
  readonly threads: number;
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
    measure: (file, job) => processor.measure(file, job),
    threads: 1,
    close: () => chain.then(() => processor.closeShared()),
  };
}

function workerRunner(count: number, config: WorkerConfig, events: RunnerEvents): Runner & { assign(id: number): number } {
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL('./preprocess-worker.mjs', import.meta.url), { workerData: { soundvaePreprocess: config } }),
  );
  const owner = new Map<number, number>();
  const load = new Array<number>(count).fill(0);
  const measures = new Replies();
  let closing = false;
  const leastBusy = () => load.reduce((best, l, k) => (l < load[best]! ? k : best), 0);
  workers.forEach((w, k) => {
    w.on('message', (msg: FromWorker) => {
      if (msg.type === 'closed') return;
      if (msg.type === 'measured') {
        load[k]!--;
        return measures.settle(msg.key, msg.result ?? null, msg.reason);
      }
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
      const k = leastBusy();
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
    measure<J extends MeasureJob>(file: string, job: J) {
      const k = leastBusy();
      const { key, reply } = measures.expect<MeasureResult<J> | null>();
      load[k]!++;
      workers[k]!.postMessage({ type: 'measure', key, file, job } satisfies ToWorker);
      return reply;
    },
    threads: count,
    async close() {
      closing = true;
      await stopWorkers(workers);
    },
  };
}

/** Replies awaited from the workers, by key: each resolves with its result or rejects with the reason given. */
class Replies {
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private next = 0;

  expect<T>(): { key: number; reply: Promise<T> } {
    const key = this.next++;
    const reply = new Promise<T>((resolve, reject) => this.waiting.set(key, { resolve: resolve as (r: unknown) => void, reject }));
    return { key, reply };
  }

  settle(key: number, result: unknown, reason: string | undefined): void {
    const w = this.waiting.get(key);
    this.waiting.delete(key);
    if (reason === undefined) w?.resolve(result);
    else w?.reject(new UserError(reason));
  }
}

/** Each worker closes the file it kept open for shares, then stops (one that does not answer in 2 s is stopped anyway). */
async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map((w) => {
      const closed = new Promise<void>((r) => w.on('message', (msg: FromWorker) => msg.type === 'closed' && r()));
      w.postMessage({ type: 'close' } satisfies ToWorker);
      return Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    }),
  );
  await Promise.all(workers.map((w) => w.terminate()));
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
  const recorded = recordSettings(o.preset, settings, o.labels, o.groupBy);
  const writer = await openOutput(out, { shape, settings: recorded, dtype: o.dtype, split: o.split }, o.overwrite);
  const summary = emptySummary(out, shape, files.length, settings, writer);
  const todo = files.filter((f) => !writer.isDone(f));
  summary.alreadyDone = files.length - todo.length;
  // Only files cut into many clips are worth sharing; one clip from the start needs one worker.
  // A file decoded only forward (FLAC, Ogg, MPEG-2 mp3) would be decoded from its start by each share: one task.
  const shareable = async (file: string) => !(await isForwardOnly(file));
  const sizes = await fileSizes(todo);
  const tasks = await planTasks(todo, sizes, settings.split === 'clips' ? o.workers : 1, o.longFileBytes, shareable);
  const taskBytes = tasks.map((t) => sizes.get(t.file)! / t.parts);
  const workerCount = o.workers > 0 && tasks.length > 0 ? Math.min(o.workers, tasks.length) : 0;
  const run = new OrderedRun(o, settings, shape, files, { tasks, taskBytes }, workerCount, writer, summary, t0);
  try {
    await run.writeAll();
    summary.items = (await writer.finish()).items.length;
  } finally {
    writer.close();
    await run.close();
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/**
 * The dataset writer for `out`, resuming a dataset made the same way. With `overwrite`, a dataset made with other
 * settings or a damaged one (`ReplaceableDatasetError`, a typed check) is replaced; one another process is writing
 * never is.
 */
async function openOutput(out: string, options: Omit<DatasetWriterOptions, 'resume'>, overwrite: boolean): Promise<DatasetWriter> {
  try {
    return await createDatasetWriter(out, { ...options, resume: true });
  } catch (err) {
    if (!(overwrite && err instanceof ReplaceableDatasetError)) throw err;
    return await createDatasetWriter(out, { ...options, resume: false });
  }
}

/** The summary before any file is read. */
function emptySummary(out: string, shape: [number, number], files: number, settings: PreprocessSettings, writer: DatasetWriter): PreprocessSummary {
  return {
    out,
    shape,
    files,
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
}

/** What a task has sent and the writer has not taken yet. */
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

type Options = typeof DEFAULT_PREPROCESS & Partial<PreprocessOptions>;

/**
 * One preprocessing run's scheduler: hands tasks to the runner (workers or this thread) well ahead, and writes
 * their results strictly in task order. Results arrive per task id; only the head (the earliest unfinished task)
 * is written, the rest wait. Its methods are the run's steps: `feed`, `writeHead`, `finishFile`, `commitNow`.
 */
class OrderedRun implements RunnerEvents {
  private readonly pending = new Map<number, Pending>();
  /** Clean-up plans of the shared files being started, by file. */
  private readonly plans = new Map<string, Promise<CleanupPlan | undefined>>();
  /** The clean-up steps when clean-up is on (then a shared file is planned once before its shares start). */
  private readonly steps: CleanupSteps | undefined;
  private readonly runner: Runner;
  private readonly assign?: (id: number) => void;
  private readonly values: number;
  private readonly reader: LabelReader;
  private readonly root: string;
  /** Tasks handed out ahead of the one being written. */
  private readonly inFlight: number;
  private current: FileState | undefined;
  private readonly tasks: readonly Task[];
  /** Input bytes each task stands for (a file's size, shared equally among its shares), and those done. */
  private readonly taskBytes: readonly number[];
  private bytesDone = 0;
  private readonly bytesTotal: number;
  private readonly sharedFiles: number;
  private head = 0;
  private next = 0;
  private filesFinished = 0;
  private lastCommit = performance.now();
  private commitInterval: number;
  private crash: Error | undefined;
  private wakeMain: (() => void) | undefined;

  constructor(
    private readonly o: Options,
    settings: PreprocessSettings,
    shape: [number, number],
    private readonly files: readonly string[],
    plan: { tasks: readonly Task[]; taskBytes: readonly number[] },
    workerCount: number,
    private readonly writer: DatasetWriter,
    private readonly summary: PreprocessSummary,
    private readonly t0: number,
  ) {
    this.tasks = plan.tasks;
    this.taskBytes = plan.taskBytes;
    this.bytesTotal = plan.taskBytes.reduce((a, b) => a + b, 0);
    this.sharedFiles = new Set(plan.tasks.filter((t) => t.parts > 1).map((t) => t.file)).size;
    this.values = shape[0] * shape[1];
    this.steps = cleanupActive(settings.cleanup) ? cleanupSteps(settings.cleanup) : undefined;
    this.reader = labelReader(o.labels);
    this.root = commonFolder(files); // groups are relative to it: moving the data keeps the split
    this.commitInterval = o.commitEvery * 1000;
    const chunkItems = Math.max(1, Math.floor(CHUNK_BYTES / (this.values * 4)));
    const pool = workerCount > 0 ? workerRunner(workerCount, { settings, chunkItems, creditBytes: CREDIT_BYTES, concurrency: 2 }, this) : undefined;
    this.runner = pool ?? inThreadRunner(settings, chunkItems, this);
    this.assign = pool && ((id) => pool.assign(id));
    // Keep workers well ahead, so none idles while the main thread writes; memory is bounded by the credit.
    this.inFlight = FILES_AHEAD * Math.max(1, workerCount);
  }

  onChunk(id: number, clips: ClipMeta[], data: Float32Array, last: boolean, skipped: Partial<Record<ClipSkip, number>>): void {
    this.pending.get(id)!.chunks.push({ clips, data, last, skipped });
    this.wake();
  }

  onError(id: number, reason: string): void {
    // The summary names the file already.
    const file = this.tasks[id]!.file;
    this.pending.get(id)!.error = reason.startsWith(`${file}: `) ? reason.slice(file.length + 2) : reason;
    this.wake();
  }

  onCrash(err: Error): void {
    this.crash = err;
    this.wake();
  }

  private wake(): void {
    const w = this.wakeMain;
    this.wakeMain = undefined;
    w?.();
  }

  /** Writes every task's results in order, committing every so often; stops early when the signal aborts. */
  async writeAll(): Promise<void> {
    this.o.onStart?.(this.progress());
    this.feed();
    while (this.head < this.tasks.length) {
      if (this.crash) throw this.crash;
      if (!this.writeHead()) {
        await new Promise<void>((r) => (this.wakeMain = r));
        continue;
      }
      this.pending.delete(this.head);
      this.bytesDone += this.taskBytes[this.head]!;
      this.head++;
      this.feed();
      this.o.onProgress?.(this.progress());
      if (this.current) continue; // between parts of one file: no commit
      if (this.o.signal?.aborted && this.head < this.tasks.length) {
        this.summary.interrupted = true;
        break;
      }
      if (performance.now() - this.lastCommit > this.commitInterval) await this.commitNow();
    }
  }

  /** Stops the workers. */
  close(): Promise<void> {
    return this.runner.close();
  }

  /** Starts tasks until `inFlight` are ahead of the head. */
  private feed(): void {
    while (this.next < this.tasks.length && this.next - this.head < this.inFlight) {
      const id = this.next++;
      const task = this.tasks[id]!;
      this.pending.set(id, { chunks: [] });
      const steps = this.steps;
      if (task.parts === 1 || !steps) this.start(id, task);
      else {
        // The shares of a file wait for its clean-up plan, made once (each pass split among the workers).
        this.plans.get(task.file) ?? this.plans.set(task.file, planShared(this.runner, task.file, steps));
        const plan = this.plans.get(task.file)!;
        if (task.part === task.parts - 1) this.plans.delete(task.file);
        plan.then(
          (p) => this.start(id, p ? { ...task, plan: p } : task),
          (err: unknown) => this.onError(id, describeError(err)),
        );
      }
    }
  }

  private start(id: number, task: Task): void {
    this.assign?.(id);
    this.runner.start(id, task);
  }

  /** Commits the manifest; its rewrites grow with the dataset, so they are spaced to stay under ~5 % of the run. */
  private async commitNow(): Promise<void> {
    const started = performance.now();
    await this.writer.commit();
    this.lastCommit = performance.now();
    this.commitInterval = Math.max(this.o.commitEvery * 1000, 20 * (this.lastCommit - started));
  }

  /** Writes what the head task has sent; returns true when the head task is finished. */
  private writeHead(): boolean {
    const p = this.pending.get(this.head)!;
    const task = this.tasks[this.head]!;
    const { file } = task;
    const state = (this.current ??= { firstItem: this.writer.count, written: 0, skipped: {} });
    const { label, labels } = this.reader.read(file);
    const group = groupOf(this.o.groupBy, file, labels, this.root);
    let done = false;
    while (p.chunks.length && !done) {
      const c = p.chunks.shift()!;
      c.clips.forEach((clip, k) => {
        this.writer.append(
          { source: file, offset: clip.offset, duration: clip.duration, label, labels, group, min: clip.min, max: clip.max },
          c.data.subarray(k * this.values, (k + 1) * this.values),
        );
      });
      state.written += c.clips.length;
      this.runner.ack(this.head, c.data.byteLength);
      if (c.last) {
        addCounts(state.skipped, c.skipped);
        done = true;
      }
    }
    if (!done && p.error !== undefined) {
      state.error ??= p.error;
      done = true;
    }
    if (!done) return false;
    if (task.part === task.parts - 1) {
      this.finishFile(file, state);
      this.current = undefined;
    }
    return true;
  }

  /** Records a file whose last part is written: done, or failed (then nothing of it stays). */
  private finishFile(file: string, state: FileState): void {
    const { summary, writer } = this;
    this.filesFinished++;
    summary.read++;
    if (state.error !== undefined) {
      writer.rollback(state.firstItem);
      writer.markSource(file, { status: 'failed', items: 0, reason: state.error });
      summary.failed.push({ file, reason: state.error });
      return;
    }
    addCounts(summary.clipsSkipped, state.skipped);
    const reason = state.written ? undefined : noClipReason(state.skipped);
    writer.markSource(file, { status: 'done', items: state.written, reason });
    if (reason) summary.empty.push({ file, reason });
    summary.clips += state.written;
  }

  private progress(): PreprocessProgress {
    const { summary } = this;
    return {
      filesDone: summary.alreadyDone + this.filesFinished,
      filesTotal: this.files.length,
      alreadyDone: summary.alreadyDone,
      clips: summary.clips + (this.current?.written ?? 0),
      failed: summary.failed.length,
      elapsed: (performance.now() - this.t0) / 1000,
      bytesTotal: this.bytesTotal,
      bytesDone: this.bytesDone,
      sharedFiles: this.sharedFiles,
    };
  }
}

/**
 * The clean-up plan of a file shared among workers, made once for all its shares: each pass's frames are cut into
 * one range per thread, measured at once and put back in order (the same levels as one pass: `planCleanupWith`).
 * Undefined when the file is decoded whole (each share then cleans it itself).
 */
async function planShared(runner: Runner, file: string, steps: CleanupSteps): Promise<CleanupPlan | undefined> {
  const start = await runner.measure(file, { kind: 'start', clicks: steps.clicks });
  if (!start) return undefined;
  return planCleanupWith(start, steps, {
    async frames(plan, geometry) {
      // Each thread fills its range of one shared array: no copies, 8 bytes a frame (89 MB for 31 hours).
      const levels = sharedLevels(plan, geometry);
      const bound = (k: number) => Math.floor((k * levels.length) / runner.threads);
      const ranges = Array.from({ length: runner.threads }, (_, k) => ({ first: bound(k), end: bound(k + 1), levels }));
      await Promise.all(ranges.map((range) => runner.measure(file, { kind: 'frames', plan, geometry, range })));
      return levels;
    },
    gain: async (plan, level) => (await runner.measure(file, { kind: 'gain', plan, level })) ?? undefined,
  });
}

/** Adds skip counts into `into`. */
function addCounts(into: Partial<Record<ClipSkip, number>>, add: Partial<Record<ClipSkip, number>>): void {
  for (const [why, n] of Object.entries(add) as [ClipSkip, number][]) into[why] = (into[why] ?? 0) + n;
}

/**
 * One task per file, except that with several workers a file of `longFileBytes` or more is shared among them
 * (each worker makes the consecutive shares of its clips it is given: reading only their range of a file read on
 * demand, after one clean-up plan made for all; decoding a file it must decode whole once and keeping it), so one
 * long recording uses every core. Files `shareable` refuses (decoded only forward) stay one task.
 */
async function planTasks(
  files: readonly string[],
  sizes: ReadonlyMap<string, number>,
  workers: number,
  longFileBytes: number,
  shareable: (file: string) => Promise<boolean>,
): Promise<Task[]> {
  if (workers < 2) return files.map((file) => ({ file, part: 0, parts: 1 }));
  const long = await Promise.all(files.map(async (f) => sizes.get(f)! >= longFileBytes && (await shareable(f))));
  return files.flatMap((file, i) => {
    // Many small parts rather than one per worker: results are written in order, and a worker whose part is
    // not next can run ahead only by its credit, so big parts would serialise.
    const parts = long[i] ? Math.min(MAX_PARTS, Math.max(workers, Math.ceil(sizes.get(file)! / PART_BYTES))) : 1;
    return Array.from({ length: parts }, (_, part) => ({ file, part, parts }));
  });
}

/** Each file's size in bytes (0 when it cannot be read: its error is reported when it is). */
async function fileSizes(files: readonly string[]): Promise<Map<string, number>> {
  const sizes = await Promise.all(
    files.map((f) =>
      fsp.stat(f).then(
        (st) => st.size,
        () => 0,
      ),
    ),
  );
  return new Map(files.map((f, i) => [f, sizes[i]!]));
}

function noClipReason(skipped: Partial<Record<ClipSkip, number>>): string {
  const parts = Object.entries(skipped).map(([why, n]) => `${n} ${why}`);
  return parts.length ? `no clips (${parts.join(', ')})` : 'no clips (no audio)';
}
