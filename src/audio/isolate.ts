/**
 * Running a third-party decoder in a worker thread, so that a file which sends it into an endless
 * loop (a synchronous hang a Promise time-out cannot interrupt) or crashes its WebAssembly is cut
 * off after a time limit instead of freezing the whole run. One worker is kept and reused; it is
 * replaced after a time-out or a crash, and does not keep the process alive when idle.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** What a decoder module's default export returns (the shape of `audio-decode`'s result). */
export interface RawDecoded {
  channelData: Float32Array[];
  sampleRate: number;
}

// The worker body, as CommonJS source (eval'd workers cannot be ES modules); it imports the decoder by URL.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const decoder = import(workerData.url).then((m) => m.default);
parentPort.on('message', async ({ id, bytes }) => {
  try {
    const result = await (await decoder)(bytes);
    const channels = (result && result.channelData || []).map((c) => Float32Array.from(c));
    parentPort.postMessage({ id, sampleRate: result && result.sampleRate, channels }, channels.map((c) => c.buffer));
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err), kind: err && err.constructor && err.constructor.name });
  }
});
`;

interface Pending {
  resolve: (value: RawDecoded) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** The error a decoder raised inside the worker, keeping its class name (TypeError, ...) for the caller. */
export class IsolatedDecodeError extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message);
    this.name = 'IsolatedDecodeError';
  }
}

/** A decoder module run in a reusable worker thread, with a time limit per call. */
export class IsolatedDecoder {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /** @param moduleUrl URL of an ES module whose default export decodes bytes to {@link RawDecoded}. */
  constructor(private readonly moduleUrl: string) {}

  /**
   * Decodes `bytes` in the worker. Rejects with "... did not finish within N s" after `timeoutMs`
   * (and replaces the worker), or with the decoder's own error.
   */
  decode(bytes: Uint8Array, timeoutMs: number, what = 'decoder'): Promise<RawDecoded> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<RawDecoded>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.restart(new Error(`${what} was stopped: another file made it hang`));
        reject(new Error(`${what} did not finish within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.ref();
      // A copy goes over, so the caller's bytes stay usable.
      worker.postMessage({ id, bytes: bytes.slice() });
    });
  }

  /** Stops the worker (pending calls are rejected). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.restart(new Error('decoder closed'));
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url: this.moduleUrl } });
    worker.on('message', (msg: { id: number; error?: string; kind?: string; sampleRate?: number; channels?: Float32Array[] }) => {
      const call = this.pending.get(msg.id);
      if (!call) return;
      this.pending.delete(msg.id);
      clearTimeout(call.timer);
      if (this.pending.size === 0) worker.unref();
      if (msg.error !== undefined) call.reject(new IsolatedDecodeError(msg.error, msg.kind ?? 'Error'));
      else call.resolve({ channelData: msg.channels ?? [], sampleRate: msg.sampleRate ?? 0 });
    });
    // A crash (an aborted WebAssembly module, out of memory) fails the calls in flight; the next call starts afresh.
    worker.on('error', (err: Error) => this.restart(new Error(`decoder crashed: ${err.message.split('\n')[0]}`)));
    worker.on('exit', () => {
      if (this.worker === worker) this.restart(new Error('decoder exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private restart(reason: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(id);
      call.reject(reason);
    }
    void worker?.terminate();
  }
}

let shared: IsolatedDecoder | undefined;

/** The process-wide isolated `audio-decode`. */
export function isolatedAudioDecode(): IsolatedDecoder {
  if (!shared) {
    const resolved = createRequire(import.meta.url).resolve('audio-decode');
    shared = new IsolatedDecoder(pathToFileURL(resolved).href);
  }
  return shared;
}
