/**
 * The explorer's local web server: a fixed table of paths, nothing else. It serves the page, its two bundled
 * scripts, the tfjs browser builds from node_modules (by fixed names), the checkpoint decoder's model.json and the
 * weight files that model.json lists, the derived data (`/data.json`), and the mapped items' stored spectrograms
 * (`/item/K.bin`, K a map index) and audio (`/item/K.wav`: the item's clip re-read from its source file, 404 when
 * that file is gone). Any other path is a 404, whatever it contains (`..` included); only GET and HEAD.
 * It listens on loopback by default and then answers only requests addressed to a loopback name (no DNS rebinding).
 */
import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { encodeWav } from '../audio/wav-write.ts';
import { UserError } from '../errors.ts';
import { pageBundles } from './bundle.ts';
import type { ExploreSession } from './explore-data.ts';
import { explorePageHtml } from './page-html.ts';

const require = createRequire(import.meta.url);

/** A running explorer. */
export interface ExplorerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The tfjs browser files the page may load, by the name it asks for. */
function vendorFiles(): Record<string, string> {
  const tfjs = path.join(path.dirname(require.resolve('@tensorflow/tfjs/package.json')), 'dist');
  const wasm = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  return {
    'tf.min.js': path.join(tfjs, 'tf.min.js'),
    'tf-backend-wasm.min.js': path.join(wasm, 'tf-backend-wasm.min.js'),
    'tfjs-backend-wasm.wasm': path.join(wasm, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': path.join(wasm, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': path.join(wasm, 'tfjs-backend-wasm-threaded-simd.wasm'),
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.wav': 'audio/wav',
};

/**
 * Sent with every answer. Cross-origin isolation lets the tfjs wasm backend run its threaded build (it needs
 * SharedArrayBuffer); the page loads nothing from elsewhere, so it costs nothing.
 */
const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The decoder's files: model.json and each weight file it names (plain file names only). */
async function modelFiles(decoderDir: string): Promise<Record<string, string>> {
  const json = path.join(decoderDir, 'model.json');
  const manifest = JSON.parse(await fs.readFile(json, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  const files: Record<string, string> = { 'model.json': json };
  for (const p of (manifest.weightsManifest ?? []).flatMap((g) => g.paths)) {
    if (!/^[\w][\w.-]*$/.test(p)) throw new UserError(`${json}: weight file name '${p}' is not a plain file name`);
    files[p] = path.join(decoderDir, p);
  }
  return files;
}

/** True when a request's Host header names loopback (or the address we listen on). */
function loopbackHost(header: string | undefined, listening: string): boolean {
  if (!header) return false;
  const name = header
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  return name === 'localhost' || name === '127.0.0.1' || name === '::1' || name === listening;
}

/**
 * Serves `session` on `host`:`port` (0: any free port).
 * @throws UserError when the port is taken or the address cannot be used.
 * @example const server = await startExplorer(await prepareExplore({ checkpoint: 'checkpoints/digits', ... }), { port: 8080 });
 */
export async function startExplorer(session: ExploreSession, options: { port: number; host: string }): Promise<ExplorerServer> {
  const vendor = vendorFiles();
  const model = await modelFiles(session.decoderDir);
  const bundles = await pageBundles();
  const dataJson = JSON.stringify(session.data);
  const html = explorePageHtml(session.data.title);
  const loopbackOnly = ['127.0.0.1', 'localhost', '::1'].includes(options.host);
  const items = session.data.items.length;

  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array, head: boolean) => {
    res.writeHead(status, { 'Content-Type': type, ...HEADERS });
    res.end(head ? undefined : body);
  };
  const sendFile = async (res: ServerResponse, file: string, head: boolean) => {
    send(res, 200, TYPES[path.extname(file)] ?? 'application/octet-stream', await fs.readFile(file), head);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain', 'only GET\n', false);
    if (loopbackOnly && !loopbackHost(req.headers.host, options.host)) return send(res, 403, 'text/plain', 'not a loopback host\n', head);
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/favicon.ico') return send(res, 204, 'text/plain', '', head);
    if (url === '/' || url === '/index.html') return send(res, 200, TYPES['.html']!, html, head);
    if (url === '/app.js' || url === '/worker.js') return send(res, 200, TYPES['.js']!, bundles[url.slice(1) as 'app.js' | 'worker.js'], head);
    if (url === '/data.json') return send(res, 200, TYPES['.json']!, dataJson, head);
    const [, dir, name] = /^\/(vendor|model|item)\/([^/]+)$/.exec(url) ?? [];
    if (dir === 'vendor' && Object.hasOwn(vendor, name!)) return sendFile(res, vendor[name!]!, head);
    if (dir === 'model' && Object.hasOwn(model, name!)) return sendFile(res, model[name!]!, head);
    const [, k, ext] = (dir === 'item' && /^(\d{1,9})\.(bin|wav)$/.exec(name!)) || [];
    if (k !== undefined && Number(k) < items) {
      if (ext === 'bin') {
        const x = await session.readItem(Number(k));
        return send(res, 200, TYPES['.bin']!, new Uint8Array(x.buffer, x.byteOffset, x.byteLength), head);
      }
      const audio = await session.readItemAudio(Number(k));
      if (audio) return send(res, 200, TYPES['.wav']!, encodeWav(audio, session.data.clip.sampleRate), head);
    }
    return send(res, 404, 'text/plain', 'not found\n', head);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `${err instanceof Error ? err.message : String(err)}\n`, false);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new UserError(`port ${options.port} on ${options.host} is in use: choose another with --port`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new UserError(`--host ${options.host}: not an address of this machine`));
      else if (err.code === 'EACCES') reject(new UserError(`port ${options.port}: not allowed (ports below 1024 need privileges): choose another with --port`));
      else reject(err);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
