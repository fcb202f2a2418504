/**
 * The page's worker: the checkpoint's decoder (tfjs from the server's /vendor/ copies, wasm backend with soundvae's
 * extra kernels unless asked otherwise) and the CLI's own Griffin-Lim (generate/spectra.ts `itemsToAudio`, with dsp's WebAssembly kernel,
 * which browsers compile synchronously only off the main thread). One job at a time; the page sends the next when
 * this one is back.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmExtras } from '../../backend/wasm-kernels.ts';
import { limitPeaks } from '../../generate/invert.ts';
import { itemsToAudio, levelTo, type ClipSettings } from '../../generate/spectra.ts';
import type { InvertOptions } from '../../generate/invert.ts';
import type { WorkerReply, WorkerRequest } from '../types.ts';

declare function importScripts(...urls: string[]): void;
/** The global tfjs object (the bundle's `tf` is a snapshot of it taken before the wasm backend joined it). */
declare const self: { tf: { wasm?: { setWasmPaths(prefix: string): void } }; crossOriginIsolated: boolean } & Worker;

/** Backends tried in order when the page asks for 'auto': wasm decodes this small model fastest. */
const AUTO_BACKENDS = ['wasm', 'webgl', 'cpu'];

let model: tf.LayersModel | undefined;
let clip: ClipSettings;
let invert: InvertOptions;

const post = (m: WorkerReply, transfer: Transferable[] = []) => self.postMessage(m, transfer);

async function init(backend: string): Promise<string> {
  const wanted = backend === 'auto' ? AUTO_BACKENDS : [backend];
  if (wanted.includes('wasm')) {
    importScripts('/vendor/tf-backend-wasm.min.js');
    self.tf.wasm?.setWasmPaths('/vendor/');
    registerWasmExtras(); // as initBackend does under Node: a fast Conv2DTranspose, the decoder's main cost
  }
  let active: string | undefined;
  for (const b of wanted) {
    try {
      if (await tf.setBackend(b)) {
        await tf.ready();
        active = b;
        break;
      }
    } catch {
      // next one
    }
  }
  if (!active) throw new Error(`no tfjs backend of ${wanted.join(', ')} runs in this browser`);
  model = await tf.loadLayersModel('/model/model.json');
  return active;
}

function decode(z: Float32Array): Float32Array {
  const m = model!;
  return tf.tidy(() => (m.predict(tf.tensor2d(z, [1, z.length])) as tf.Tensor).dataSync() as Float32Array).slice();
}

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const m = e.data;
  try {
    if (m.kind === 'init') {
      const t0 = performance.now();
      clip = m.clip;
      invert = m.invert;
      const active = await init(m.backend);
      // first calls compile kernels and plans: do them now, not on the first click
      const x = decode(new Float32Array(model!.inputs[0]!.shape[1]!));
      itemsToAudio([x], [{ min: -60, max: 0 }], clip, invert);
      const threads = active === 'wasm' ? ` (${self.crossOriginIsolated ? 'threads' : 'one thread'})` : '';
      post({ kind: 'ready', backend: active + threads, warmMs: performance.now() - t0 });
      return;
    }
    const t0 = performance.now();
    const x01 = m.z ? decode(m.z) : m.x01!;
    const t1 = performance.now();
    const raw = itemsToAudio([x01], [m.range], clip, invert)[0]!;
    const audio = limitPeaks(m.level === undefined ? raw : levelTo(raw, m.level), clip.sampleRate);
    const t2 = performance.now();
    const out = audio === raw ? raw.slice() : audio;
    post({ kind: 'rendered', id: m.id, x01, raw, audio: out, decodeMs: t1 - t0, invertMs: t2 - t1 }, [x01.buffer, raw.buffer, out.buffer]);
  } catch (err) {
    post({ kind: 'error', id: m.kind === 'render' ? m.id : undefined, message: err instanceof Error ? err.message : String(err) });
  }
};
