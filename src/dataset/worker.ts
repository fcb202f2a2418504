/**
 * The preprocessing worker: runs `FileProcessor` on the files the main thread sends, and posts the clips
 * back in chunks, waiting for acknowledgements so no more than `creditBytes` are ever in flight (bounded memory
 * however long a recording is).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../errors.ts';
import type { PreprocessSettings } from './presets.ts';
import { FileProcessor, type ClipSkip, type FileShare, type MeasureJob, type MeasureResult } from './stages.ts';

/** A unit of work: a file, or the `part`-th of `parts` consecutive shares of a long file's clips. */
export interface FileTask extends FileShare {
  file: string;
}

/** Main -> worker: a task, an acknowledgement of clip bytes written, a step of planning a file's clean-up, or the end. */
export type ToWorker =
  | ({ type: 'file'; id: number } & FileTask)
  | { type: 'ack'; bytes: number }
  | { type: 'measure'; key: number; file: string; job: MeasureJob }
  | { type: 'close' };

/** A clip's metadata (its data travels in the chunk's one Float32Array). */
export interface ClipMeta {
  offset: number;
  duration: number;
  min: number;
  max: number;
}

/** Worker -> main. `last` ends a file; `error` replaces it when the file could not be read. */
export type FromWorker =
  | { type: 'clips'; id: number; clips: ClipMeta[]; data: Float32Array; last: boolean; skipped?: Partial<Record<ClipSkip, number>> }
  | { type: 'error'; id: number; reason: string }
  | { type: 'measured'; key: number; result?: MeasureResult<MeasureJob> | null; reason?: string }
  | { type: 'closed' };

export interface WorkerConfig {
  settings: PreprocessSettings;
  /** Items per chunk message. */
  chunkItems: number;
  /** Bytes of clips posted but not yet written by the main thread before the worker waits. */
  creditBytes: number;
  /** Files processed at once (interleaved at their awaits). */
  concurrency: number;
}

/**
 * Processes one file (or one share of a long file's clips), calling `post` with chunks of at most `chunkItems` clips (the last one flagged).
 * Shared by the worker and the in-process path, so both produce the same items.
 */
export async function processFileInChunks(
  processor: FileProcessor,
  task: FileTask,
  chunkItems: number,
  post: (clips: ClipMeta[], data: Float32Array, last: boolean, skipped: Partial<Record<ClipSkip, number>>) => Promise<void>,
): Promise<void> {
  const values = processor.extractor.shape[0] * processor.extractor.shape[1];
  const skipped: Partial<Record<ClipSkip, number>> = {};
  let clips: ClipMeta[] = [];
  let parts: Float32Array[] = [];
  // One array per chunk, sized to what it holds (a short file's single clip is sent as is).
  const gather = () => {
    if (parts.length === 1) return parts[0]!;
    const data = new Float32Array(parts.length * values);
    parts.forEach((p, k) => data.set(p, k * values));
    return data;
  };
  const onSkip = (why: ClipSkip) => (skipped[why] = (skipped[why] ?? 0) + 1);
  for await (const c of processor.process(task.file, onSkip, task)) {
    if (clips.length === chunkItems) {
      await post(clips, gather(), false, skipped);
      clips = [];
      parts = [];
    }
    parts.push(c.data);
    clips.push({ offset: c.offset, duration: c.duration, min: c.min, max: c.max });
  }
  await post(clips, parts.length ? gather() : new Float32Array(0), true, skipped);
}

if (parentPort && (workerData as { soundvaePreprocess?: WorkerConfig })?.soundvaePreprocess) {
  const port = parentPort;
  const config = (workerData as { soundvaePreprocess: WorkerConfig }).soundvaePreprocess;
  const processor = new FileProcessor(config.settings);
  const queue: ({ id: number } & FileTask)[] = [];
  let unackedBytes = 0;
  let waiting: (() => void)[] = [];

  const post = async (id: number, clips: ClipMeta[], data: Float32Array, last: boolean, skipped: Partial<Record<ClipSkip, number>>) => {
    // A fresh buffer per chunk, so it can be transferred rather than copied.
    const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
    port.postMessage({ type: 'clips', id, clips, data: owned, last, skipped } satisfies FromWorker, [owned.buffer as ArrayBuffer]);
    unackedBytes += owned.byteLength;
    while (unackedBytes >= config.creditBytes) await new Promise<void>((r) => waiting.push(r));
  };

  // Two files at a time: while one waits for its bytes from disk, the other computes. Shares of one file run
  // one after another: they read one decoder, and two at once would make it seek back and forth.
  let running = 0;
  let measuring: Promise<void> = Promise.resolve();
  const sharing = new Set<string>();
  const pump = () => {
    while (running < config.concurrency && queue.length) {
      const { id, ...task } = queue[0]!;
      const share = task.parts > 1;
      if (share && sharing.has(task.file)) return;
      queue.shift();
      running++;
      if (share) sharing.add(task.file);
      processFileInChunks(processor, task, config.chunkItems, (c, d, l, s) => post(id, c, d, l, s))
        .catch((err) => port.postMessage({ type: 'error', id, reason: describeError(err) } satisfies FromWorker))
        .finally(() => {
          running--;
          if (share) sharing.delete(task.file);
          pump();
        });
    }
  };

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'ack') {
      unackedBytes -= msg.bytes;
      const ready = waiting;
      waiting = [];
      for (const w of ready) w();
    } else if (msg.type === 'measure') {
      // Beside the queued shares (the shares of this file wait for its plan), one step at a time: they read one decoder.
      measuring = measuring
        .then(() => processor.measure(msg.file, msg.job))
        .then(
          (result) => port.postMessage({ type: 'measured', key: msg.key, result } satisfies FromWorker),
          (err) => port.postMessage({ type: 'measured', key: msg.key, reason: describeError(err) } satisfies FromWorker),
        );
    } else if (msg.type === 'close') {
      processor.closeShared().finally(() => port.postMessage({ type: 'closed' } satisfies FromWorker));
    } else {
      const { type: _, ...task } = msg;
      queue.push(task);
      pump();
    }
  });
}
