/**
 * One data-parallel training worker: its own tfjs backend (its own wasm instance, so its own core) and a full
 * replica of the model and optimiser. Every replica starts from the same seed and applies the same summed
 * gradients, so all stay identical. Driven by parallel-engine.ts through the messages below.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../backend/backend.ts';
import { describeError } from '../errors.ts';
import { createLocalEngine, type LocalEngine } from './engine.ts';
import type { EngineOptions, EngineState } from './engine-types.ts';

export type WorkerRequest =
  | { kind: 'contribute'; batch: Float32Array; count: number; offset: number; total: number }
  | { kind: 'apply'; grads: Float32Array; moving: Float32Array; parts: Float32Array }
  | { kind: 'evaluate'; batch: Float32Array; count: number; offset: number; total: number }
  | { kind: 'getState' }
  | { kind: 'setState'; state: EngineState }
  | { kind: 'dispose' };

export interface WorkerInit {
  opts: EngineOptions;
  backend: BackendName;
}

/** Concatenates tensors' values into one array (one message, one transfer). */
function pack(tensors: tf.Tensor[]): Float32Array {
  const out = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, at);
    at += t.size;
  }
  return out;
}

function unpack(data: Float32Array, shapes: number[][]): tf.Tensor[] {
  let at = 0;
  return shapes.map((shape) => {
    const size = shape.reduce((p, d) => p * d, 1);
    const t = tf.tensor(data.subarray(at, at + size), shape);
    at += size;
    return t;
  });
}

async function handle(engine: LocalEngine, msg: WorkerRequest): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (msg.kind) {
    case 'contribute': {
      const c = engine.contribution(msg.batch, msg.count, msg.offset, msg.total);
      const result = { grads: pack(c.grads), moving: pack(c.moving), parts: pack([c.parts]) };
      tf.dispose([...c.grads, ...c.moving, c.parts]);
      return { value: result, transfer: [result.grads.buffer as ArrayBuffer, result.moving.buffer as ArrayBuffer] };
    }
    case 'apply': {
      const shapes = engine.contributionShapes();
      const grads = unpack(msg.grads, shapes.grads);
      const moving = unpack(msg.moving, shapes.moving);
      return { value: await engine.finishStep({ grads, moving, parts: tf.tensor1d(msg.parts) }) };
    }
    case 'evaluate':
      return { value: await engine.evaluateShard(msg.batch, msg.count, msg.offset, msg.total) };
    case 'getState': {
      const state = await engine.getState();
      return { value: state };
    }
    case 'setState':
      await engine.setState(msg.state);
      return { value: true };
    case 'dispose':
      await engine.dispose();
      return { value: true };
  }
}

if (parentPort) {
  const port = parentPort;
  const init = workerData as WorkerInit;
  let engine: LocalEngine | undefined;
  const ready = (async () => {
    await initBackend(init.backend);
    engine = createLocalEngine(init.opts, 'fused');
  })();
  port.on('message', async (msg: WorkerRequest) => {
    try {
      await ready;
      const { value, transfer } = await handle(engine!, msg);
      port.postMessage({ ok: true, value }, transfer ?? []);
      if (msg.kind === 'dispose') port.close();
    } catch (err) {
      port.postMessage({ ok: false, error: describeError(err), name: err instanceof Error ? err.name : 'Error' });
    }
  });
}
