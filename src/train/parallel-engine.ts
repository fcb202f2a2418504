/**
 * Data-parallel training on worker threads: each worker owns a wasm backend (one core each; tfjs cannot run
 * wasm threads under Node) and a replica of the model. A step splits the batch into one shard per worker, the
 * workers compute their shards' gradients at the same time, this thread sums them, and every replica applies
 * the same sum with Adam, so the replicas stay identical. The result equals an in-process step whose
 * micro-batches are the shards (same noise, BatchNorm per shard), up to float rounding.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend/backend.ts';
import { UserError } from '../errors.ts';
import { splitBatch } from './engine.ts';
import type { EngineOptions, EngineState, LossParts, TrainingEngine } from './engine-types.ts';
import type { WorkerInit, WorkerRequest } from './engine-worker.ts';

type Reply = { ok: true; value: unknown } | { ok: false; error: string; name: string };

/** One worker and its single outstanding request (the engine never sends a worker two at once). */
class WorkerClient {
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    // Idle workers do not keep the process alive (a caller that forgets dispose() can still exit); a worker
    // is referenced only while a request to it is pending.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const p = this.pending;
      this.pending = undefined;
      worker.unref();
      if (!p) return;
      if (reply.ok) p.resolve(reply.value);
      else p.reject(reply.name === 'UserError' ? new UserError(reply.error) : new Error(reply.error));
    });
    const fail = (err: Error) => {
      this.failure = err;
      this.pending?.reject(err);
      this.pending = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.pending) fail(new Error(`training worker exited (code ${code})`));
    });
  }

  request<T>(msg: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (v: unknown) => void, reject };
      this.worker.ref();
      this.worker.postMessage(msg, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Adds b into a, element by element. */
function addInto(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
}

class ParallelEngine implements TrainingEngine {
  constructor(
    private readonly workers: WorkerClient[],
    private readonly itemSize: number,
    private readonly shape: [number, number],
  ) {}

  /** Shards of a batch, one per worker (fewer when the batch is smaller than the number of workers). */
  private shards(count: number): [number, number][] {
    return splitBatch(count, Math.ceil(count / this.workers.length));
  }

  private checkBatch(batch: Float32Array, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new UserError(`batch count must be a positive integer (got ${count})`);
    if (batch.length < count * this.itemSize) {
      throw new UserError(`batch holds ${batch.length} values, fewer than ${count} items of ${this.shape.join('x')}`);
    }
  }

  private shardData(batch: Float32Array, first: number, size: number): Float32Array {
    return batch.slice(first * this.itemSize, (first + size) * this.itemSize);
  }

  async trainStep(batch: Float32Array, count: number): Promise<LossParts> {
    this.checkBatch(batch, count);
    const shards = this.shards(count);
    const parts = await Promise.all(
      shards.map(([first, size], i) => {
        const data = this.shardData(batch, first, size);
        const msg: WorkerRequest = { kind: 'contribute', batch: data, count: size, offset: first, total: count };
        return this.workers[i]!.request<{ grads: Float32Array; moving: Float32Array; parts: Float32Array }>(msg, [data.buffer as ArrayBuffer]);
      }),
    );
    const sum = parts[0]!;
    for (const p of parts.slice(1)) {
      addInto(sum.grads, p.grads);
      addInto(sum.moving, p.moving);
      addInto(sum.parts, p.parts);
    }
    // Every replica applies the same sum (a copy each: structured clone), so all stay identical.
    const results = await Promise.all(this.workers.map((w) => w.request<LossParts>({ kind: 'apply', grads: sum.grads, moving: sum.moving, parts: sum.parts })));
    return results[0]!;
  }

  async evaluate(batch: Float32Array, count: number): Promise<LossParts> {
    this.checkBatch(batch, count);
    const parts = await Promise.all(
      this.shards(count).map(([first, size], i) =>
        this.workers[i]!.request<LossParts>({ kind: 'evaluate', batch: this.shardData(batch, first, size), count: size, offset: first, total: count }),
      ),
    );
    return parts.reduce((a, b) => ({ loss: a.loss + b.loss, reconstruction: a.reconstruction + b.reconstruction, kl: a.kl + b.kl }));
  }

  getState(): Promise<EngineState> {
    return this.workers[0]!.request<EngineState>({ kind: 'getState' });
  }

  async setState(state: EngineState): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ kind: 'setState', state })));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ kind: 'dispose' }).catch(() => undefined)));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Starts `opts.workers` worker threads on the active backend and waits until each has built its replica.
 * Workers run this repository's .ts sources through tsx.
 */
export async function createParallelEngine(opts: EngineOptions & { workers: number }): Promise<TrainingEngine> {
  const init: WorkerInit = { opts: { ...opts, workers: 1 }, backend: tf.getBackend() as BackendName };
  const clients = Array.from(
    { length: opts.workers },
    () => new WorkerClient(new Worker(new URL('./engine-worker-boot.mjs', import.meta.url), { workerData: init })),
  );
  const engine = new ParallelEngine(clients, opts.inputShape[0] * opts.inputShape[1], opts.inputShape);
  try {
    await Promise.all(clients.map((c) => c.request({ kind: 'getState' }).then(() => undefined))); // built and answering
  } catch (err) {
    await Promise.all(clients.map((c) => c.terminate()));
    throw err;
  }
  return engine;
}
