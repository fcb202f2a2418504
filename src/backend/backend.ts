/**
 * Picks the fastest TensorFlow.js backend that actually loads here, and says why the others did not.
 *
 * Order of preference: native GPU (`@tensorflow/tfjs-node-gpu`), native CPU (`@tensorflow/tfjs-node`),
 * WebAssembly with SIMD (`@tensorflow/tfjs-backend-wasm`, installs from npm alone), plain JavaScript cpu.
 * The native packages are optional dependencies: their install downloads libtensorflow, which fails
 * offline, so npm drops them and we fall through to wasm.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeError, UserError } from '../errors.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was not used, or what it is when it loaded. */
  detail: string;
}

export interface BackendChoice {
  active: BackendName;
  attempts: BackendAttempt[];
}

const require = createRequire(import.meta.url);
let chosen: BackendChoice | undefined;

async function tryNative(pkg: string): Promise<void> {
  // The native binding registers the 'tensorflow' backend as a side effect of loading.
  require(pkg);
  if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no backend`);
}

async function tryWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  // Threads are off under Node in tfjs 4.x; SIMD is what matters here.
  wasm.setWasmPaths(dist + path.sep);
  const { registerWasmExtras } = await import('./wasm-kernels.ts');
  registerWasmExtras();
}

async function activate(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      await tryNative('@tensorflow/tfjs-node-gpu');
      break;
    case 'tensorflow':
      await tryNative('@tensorflow/tfjs-node');
      break;
    case 'wasm':
      await tryWasm();
      break;
    case 'cpu':
      break;
  }
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') failed`);
  await tf.ready();
}

/**
 * Activates a backend: the one asked for (failing with a clear error if it cannot load), or else the
 * first in BACKEND_ORDER that loads. The SOUNDVAE_BACKEND environment variable is a default for `wanted`.
 * @example
 * const { active } = await initBackend();        // 'wasm' on a machine without libtensorflow
 * await initBackend('cpu');                       // force the plain JavaScript backend
 */
export async function initBackend(wanted?: BackendName | 'auto'): Promise<BackendChoice> {
  const request = wanted ?? (process.env.SOUNDVAE_BACKEND as BackendName | 'auto' | undefined) ?? 'auto';
  if (chosen && (request === 'auto' || request === chosen.active)) return chosen;
  if (request !== 'auto' && !BACKEND_ORDER.includes(request)) {
    throw new UserError(`unknown backend '${request}': choose one of auto, ${BACKEND_ORDER.join(', ')}`);
  }
  const candidates = request === 'auto' ? BACKEND_ORDER : [request];
  const attempts: BackendAttempt[] = [];
  for (const name of candidates) {
    try {
      await activate(name);
      attempts.push({ name, ok: true, detail: describeActive(name) });
      chosen = { active: name, attempts };
      return chosen;
    } catch (err) {
      attempts.push({ name, ok: false, detail: explainFailure(name, err) });
    }
  }
  throw new UserError(`backend '${request}' could not be loaded: ${attempts.map((a) => `${a.name}: ${a.detail}`).join('; ')}`);
}

/** Tries every backend without activating the winner permanently; for `soundvae info --backend`. */
export async function probeBackends(): Promise<BackendAttempt[]> {
  const result: BackendAttempt[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      await activate(name);
      result.push({ name, ok: true, detail: describeActive(name) });
    } catch (err) {
      result.push({ name, ok: false, detail: explainFailure(name, err) });
    }
  }
  return result;
}

function describeActive(name: BackendName): string {
  switch (name) {
    case 'tensorflow-gpu':
      return 'libtensorflow with CUDA (native)';
    case 'tensorflow':
      return 'libtensorflow on CPU (native)';
    case 'wasm':
      return `WebAssembly, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}, XNNPACK`;
    case 'cpu':
      return 'plain JavaScript (slow: for tests and as a last resort)';
  }
}

function explainFailure(name: BackendName, err: unknown): string {
  const msg = describeError(err);
  if ((name === 'tensorflow-gpu' || name === 'tensorflow') && /Cannot find module/.test(msg)) {
    const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    return `${pkg} is not installed (its install downloads libtensorflow, which needs network access; see README "Backends")`;
  }
  return msg;
}
