/**
 * The preprocessing worker: runs `FileProcessor` on the files the main thread sends, and posts the clips
 * back in chunks, waiting for acknowledgements so no more than `creditBytes` are ever in flight (bounded memory
 * however long a recording is).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../errors.ts';
import type { PreprocessSettings } from './presets.ts';
import { FileProcessor, type ClipSkip } from './stages.ts';

/** Main -> worker. */
export type ToWorker = { type: 'file'; id: number; file: string; part: number; parts: number } | { type: 'ack'; bytes: number };

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
  | { type: 'error'; id: number; reason: string };

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
  task: { file: string; part: number; parts: number },
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
  const queue: { id: number; file: string; part: number; parts: number }[] = [];
  let unackedBytes = 0;
  let waiting: (() => void)[] = [];

  const post = async (id: number, clips: ClipMeta[], data: Float32Array, last: boolean, skipped: Partial<Record<ClipSkip, number>>) => {
    // A fresh buffer per chunk, so it can be transferred rather than copied.
    const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
    port.postMessage({ type: 'clips', id, clips, data: owned, last, skipped } satisfies FromWorker, [owned.buffer as ArrayBuffer]);
    unackedBytes += owned.byteLength;
    while (unackedBytes >= config.creditBytes) await new Promise<void>((r) => waiting.push(r));
  };

  // Two files at a time: while one waits for its bytes from disk, the other computes.
  let active = 0;
  const pump = () => {
    while (active < config.concurrency && queue.length) {
      const { id, ...task } = queue.shift()!;
      active++;
      processFileInChunks(processor, task, config.chunkItems, (c, d, l, s) => post(id, c, d, l, s))
        .catch((err) => port.postMessage({ type: 'error', id, reason: describeError(err) } satisfies FromWorker))
        .finally(() => {
          active--;
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
    } else {
      queue.push({ id: msg.id, file: msg.file, part: msg.part, parts: msg.parts });
      pump();
    }
  });
}
