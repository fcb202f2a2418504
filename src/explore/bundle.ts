/**
 * The page's scripts, bundled for the browser from this folder's `page/` sources by esbuild (in memory, once per
 * process, about a tenth of a second): `app.js` (the map, controls and playback) and `worker.js` (the decoder and
 * Griffin-Lim). The worker bundles the very TypeScript the CLI runs (generate/spectra.ts, dsp/griffinlim.ts and its
 * embedded WebAssembly kernel), so the page and `soundvae generate` turn a code into the same audio. Node built-ins
 * that the shared modules import for their thread pools become empty stubs; `Buffer.from(base64)` (the kernel
 * loader) comes from page/buffer-shim.ts, and `@tensorflow/tfjs` from the browser build (see tfjsGlobal).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

/** The bundles by the name the server gives them. */
export interface PageBundles {
  'app.js': string;
  'worker.js': string;
}

/** The repository root (holding src/explore/page), from here in src/ or in the compiled dist/src/. */
function sourceRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'src', 'explore', 'page', 'main.ts'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('the explorer page sources (src/explore/page) are missing from this install');
}

/** What the shared modules import from Node, stubbed: their thread pools are never started in the page. */
const NODE_STUB =
  'export default {}; export const isMainThread = true, parentPort = null, workerData = undefined; export class Worker {}; ' +
  'export const availableParallelism = () => 1, loadavg = () => [0, 0, 0], cpus = () => [];';

const stubNode: Plugin = {
  name: 'stub-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: NODE_STUB, loader: 'js' }));
  },
};

/**
 * `@tensorflow/tfjs` in the worker is the browser build the server serves (the same version as node_modules'),
 * loaded synchronously where the bundle first imports it: one copy, and backend/wasm-kernels.ts registers its
 * kernels on it as under Node.
 */
const tfjsGlobal: Plugin = {
  name: 'tfjs-global',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs$/ }, (a) => ({ path: a.path, namespace: 'tfjs-global' }));
    b.onLoad({ filter: /.*/, namespace: 'tfjs-global' }, () => ({ contents: "importScripts('/vendor/tf.min.js'); module.exports = self.tf;", loader: 'js' }));
  },
};

let cached: Promise<PageBundles> | undefined;

/** Both bundles, built on first use. */
export function pageBundles(): Promise<PageBundles> {
  cached ??= (async () => {
    const { build } = await import('esbuild');
    const page = path.join(sourceRoot(), 'src', 'explore', 'page');
    const one = async (entry: string) => {
      const r = await build({
        entryPoints: [path.join(page, entry)],
        bundle: true,
        write: false,
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
        minify: false,
        legalComments: 'none',
        logLevel: 'silent',
        inject: [path.join(page, 'buffer-shim.ts')],
        plugins: [stubNode, tfjsGlobal],
      });
      return r.outputFiles[0]!.text;
    };
    const [app, worker] = await Promise.all([one('main.ts'), one('worker.ts')]);
    return { 'app.js': app, 'worker.js': worker };
  })();
  return cached;
}
