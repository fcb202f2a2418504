/**
 * Picks the fastest TensorFlow.js backend that actually loads here, and says why the others did not.
 *
 * Order of preference: native GPU (`@tensorflow/tfjs-node-gpu`), native CPU (`@tensorflow/tfjs-node`), WebGPU
 * (`@tensorflow/tfjs-backend-webgpu` on Dawn from the `webgpu` package, where a GPU adapter exists), WebAssembly
 * with SIMD (`@tensorflow/tfjs-backend-wasm`, installs from npm alone), plain JavaScript cpu.
 * The native packages are optional dependencies: their install downloads libtensorflow, which fails offline, so
 * npm drops them and we fall through. `webgpu` (Dawn, a 51 MB download for every platform) is an opt-in,
 * `npm install webgpu`, so that users without a GPU do not pay for it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeError, UserError } from '../errors.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

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

/** What the `webgpu` package (Dawn for Node) exports that we use. */
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** The slice of WebGPU's `navigator.gpu` and adapter used here (no DOM types in this project). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

/** The adapter the webgpu backend found, named for `info --backends`. */
let webgpuAdapter: string | undefined;

/**
 * Makes WebGPU exist in Node (Dawn's `navigator.gpu` and its globals), finds an adapter, and only then loads the
 * tfjs backend, which registers itself only when `navigator.gpu` exists.
 */
async function tryWebgpu(): Promise<void> {
  const spec = 'webgpu'; // not a dependency: resolved at run time only
  let dawn: DawnModule;
  try {
    dawn = (await import(spec)) as DawnModule;
  } catch (err) {
    if (/Cannot find (module|package)/.test(describeError(err))) throw new Error('the webgpu package is not installed');
    throw err;
  }
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (!g.navigator?.gpu) {
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter: no GPU here, or no Vulkan driver for it');
  const info = adapter.info ?? {};
  webgpuAdapter = [info.vendor, info.architecture, info.device, info.description].filter((x) => x).join(' ') || 'unnamed adapter';
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackend('webgpu')) throw new Error('@tensorflow/tfjs-backend-webgpu loaded but registered no backend');
}

async function activate(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      await tryNative('@tensorflow/tfjs-node-gpu');
      break;
    case 'tensorflow':
      await tryNative('@tensorflow/tfjs-node');
      break;
    case 'webgpu':
      await tryWebgpu();
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

/**
 * Tries one backend and goes back to the one active before: whether it loads here, and what it is or why not.
 * @example (await tryBackend('webgpu')).detail // 'the webgpu package is not installed: npm install webgpu, ...'
 */
export async function tryBackend(name: BackendName): Promise<BackendAttempt> {
  const before = tf.getBackend();
  try {
    await activate(name);
    return { name, ok: true, detail: describeActive(name) };
  } catch (err) {
    return { name, ok: false, detail: explainFailure(name, err) };
  } finally {
    if (before && tf.getBackend() !== before) await tf.setBackend(before);
  }
}

function describeActive(name: BackendName): string {
  switch (name) {
    case 'tensorflow-gpu':
      return 'libtensorflow with CUDA (native)';
    case 'tensorflow':
      return 'libtensorflow on CPU (native)';
    case 'webgpu':
      return `WebGPU through Dawn: ${webgpuAdapter}`;
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
  if (name === 'webgpu' && /webgpu package is not installed/.test(msg)) return `${msg}: npm install webgpu, on a machine with a GPU (see README "Backends")`;
  return msg;
}
