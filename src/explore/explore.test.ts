/**
 * The explorer's Node side: the data it derives from a checkpoint and its dataset (PCA that maps back exactly,
 * UMAP, labels, the sampler's range as `generate` uses it), its one-line errors, and the server's fixed table
 * of paths. The page itself is tested in a real browser in test/explore-browser.test.ts.
 */
import { promises as fs } from 'node:fs';
import { request } from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../audio/index.ts';
import { preprocess } from '../dataset/pipeline.ts';
import { openDataset } from '../dataset/store.ts';
import { UserError } from '../errors.ts';
import { project } from '../generate/density.ts';
import { fitSampler, rangeFor } from '../generate/sampler.ts';
import { clipSettings } from '../generate/settings.ts';
import { FIXTURE_CONFIG, fixtureTone, makeFixture } from '../generate/test-fixture.ts';
import { loadCheckpoint, disposeVae } from '../train/checkpoint.ts';
import { pageSampler, prepareExplore, type ExploreSession } from './explore-data.ts';
import { codeRange } from './range.ts';
import { startExplorer, type ExplorerServer } from './server.ts';

let root: string;
let fx: { data: string; run: string };
let session: ExploreSession;
let server: ExplorerServer;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-explore-'));
  fx = await makeFixture(root);
  session = await prepareExplore({ checkpoint: fx.run, mapItems: 100, umap: true, components: 4, progress: false, backend: 'cpu' });
  server = await startExplorer(session, { port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await session?.close();
  await fs.rm(root, { recursive: true, force: true });
});

const unpack = (base64: string, dim: number) => {
  const flat = new Float32Array(new Uint8Array(Buffer.from(base64, 'base64')).buffer);
  return Array.from({ length: flat.length / dim }, (_, i) => flat.subarray(i * dim, (i + 1) * dim));
};

describe('explore data', () => {
  it('maps every item by PCA (exactly invertible) and UMAP, with labels and colours', () => {
    const d = session.data;
    expect(d.items).toHaveLength(9);
    expect(d.datasetItems).toBe(9);
    expect(d.labels).toEqual(['1', '2', '3']);
    expect(d.colors).toHaveLength(3);
    expect(d.bottleneck).toBe('dense');
    expect(d.latentSize).toBe(FIXTURE_CONFIG.latent);
    expect(d.umap).toHaveLength(9);
    const codes = unpack(d.codes, d.latentSize);
    expect(codes).toHaveLength(9);
    const { center, basis, coords } = d.pca;
    expect(basis.length).toBeGreaterThanOrEqual(2);
    // a map point (its coordinates) goes back to a code whose coordinates are that point: the inverse is exact
    for (const c of coords) {
      const z = center.map((v, i) => v + basis.reduce((s, b, k) => s + c[k]! * b[i]!, 0));
      const back = project({ dim: d.latentSize, center, basis, residualVariance: 0 }, z);
      back.forEach((v, k) => expect(v).toBeCloseTo(c[k]!, 9));
    }
    // and the coordinates are the codes' own projections
    codes.forEach((z, i) => project({ dim: d.latentSize, center, basis, residualVariance: 0 }, z).forEach((v, k) => expect(v).toBeCloseTo(coords[i]![k]!, 4)));
    expect(d.prior.max).toBeGreaterThan(d.prior.min);
  });

  it('handles a latent per time step: the code is steps x latent values', async () => {
    const dir = path.join(root, 'time');
    const t = await makeFixture(dir, { ...FIXTURE_CONFIG, bottleneck: 'time' });
    const s = await prepareExplore({ checkpoint: t.run, mapItems: 5, umap: false, components: 2, progress: false, backend: 'cpu' });
    try {
      expect(s.data.bottleneck).toBe('time');
      expect(s.data.steps * s.data.perStep).toBe(s.data.latentSize);
      expect(s.data.steps).toBeGreaterThan(1);
      expect(s.data.items).toHaveLength(5);
      expect(s.data.umap).toBeUndefined();
      expect(unpack(s.data.codes, s.data.latentSize)).toHaveLength(5);
    } finally {
      await s.close();
    }
  });

  it("de-normalises a code with the sampler's range exactly as generate does", async () => {
    const ckpt = await loadCheckpoint(fx.run);
    const ds = await openDataset(fx.data);
    try {
      const sampler = await fitSampler(ckpt.vae, ds, clipSettings(ckpt), 3, { components: 3, mixture: 2 });
      const page = JSON.parse(JSON.stringify(pageSampler(sampler)));
      for (const z of unpack(session.data.codes, session.data.latentSize)) {
        const want = rangeFor(sampler, z);
        const got = codeRange(page, session.data.prior, z);
        expect(got.min).toBeCloseTo(want.min, 9);
        expect(got.max).toBeCloseTo(want.max, 9);
      }
      expect(codeRange(undefined, session.data.prior, new Float32Array(4))).toEqual(session.data.prior);
    } finally {
      disposeVae(ckpt.vae);
      await ds.close();
    }
  });

  it('says in one line when the checkpoint is not one or the dataset does not match it', async () => {
    await expect(prepareExplore({ checkpoint: fx.data, mapItems: 5, umap: false, components: 2, progress: false })).rejects.toThrow(
      /not a soundvae checkpoint/,
    );
    await expect(prepareExplore({ checkpoint: path.join(root, 'nowhere'), mapItems: 5, umap: false, components: 2, progress: false })).rejects.toThrow(
      UserError,
    );
    // the same tones cut into longer clips: more frames than the checkpoint takes
    const audio = path.join(root, 'other-audio');
    await writeWav(path.join(audio, '1_tester_0.wav'), fixtureTone(300, 8000, 600), 8000);
    const other = path.join(root, 'other-data');
    await preprocess([audio], other, { preset: 'digits', overrides: { sampleRate: 8000, nFft: 64, hop: 16, clip: 480 }, labels: { from: 'fsdd' }, workers: 0 });
    const err = await prepareExplore({ checkpoint: fx.run, data: other, mapItems: 5, umap: false, components: 2, progress: false }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/other-data: items are 32x\d+ but the checkpoint takes 32x16: this dataset does not match the checkpoint/);
    expect(err.message).not.toContain('\n');
    const missing = await prepareExplore({
      checkpoint: fx.run,
      data: path.join(root, 'no-data'),
      mapItems: 5,
      umap: false,
      components: 2,
      progress: false,
    }).catch((e) => e);
    expect(missing).toBeInstanceOf(UserError);
    expect(missing.message).toMatch(/no-data: .*not a dataset/);
  });
});

/** The status of a request sent as written (fetch would normalise the dots away and keep its own Host). */
function raw(p: string, method = 'GET', headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: p, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('explore server', () => {
  const get = (p: string, init: RequestInit = {}) => fetch(new URL(p, server.url), init);

  it('serves the page, its scripts, tfjs, the decoder and the derived data', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/app.js">');
    for (const p of [
      '/app.js',
      '/worker.js',
      '/vendor/tf.min.js',
      '/vendor/tf-backend-wasm.min.js',
      '/vendor/tfjs-backend-wasm-simd.wasm',
      '/model/model.json',
    ]) {
      expect((await get(p)).status, p).toBe(200);
    }
    const model = (await (await get('/model/model.json')).json()) as { weightsManifest: { paths: string[] }[] };
    for (const w of model.weightsManifest.flatMap((g) => g.paths)) expect((await get(`/model/${w}`)).status).toBe(200);
    const data = await (await get('/data.json')).json();
    expect(data.items).toHaveLength(9);
    const item = new Float32Array(await (await get('/item/3.bin')).arrayBuffer());
    expect(item.length).toBe(32 * 16);
    expect(Math.max(...item)).toBeLessThanOrEqual(1);
    const wav = Buffer.from(await (await get('/item/3.wav')).arrayBuffer());
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect((wav.length - 44) / 2).toBe(session.data.clip.clipSamples);
  });

  it("answers 404 for an item's audio when its source file is gone", async () => {
    const source = path.join(root, 'audio', '2_tester_1.wav');
    const k = session.data.items.findIndex((it) => it.name === '2_tester_1.wav');
    expect(k).toBeGreaterThanOrEqual(0);
    const kept = await fs.readFile(source);
    await fs.rm(source);
    try {
      expect((await get(`/item/${k}.wav`)).status).toBe(404);
      expect((await get(`/item/${k}.bin`)).status).toBe(200);
    } finally {
      await fs.writeFile(source, kept);
    }
  });

  it('serves nothing else: no other files, no parent folders, only GET from a loopback name', async () => {
    for (const p of [
      '/package.json',
      '/../package.json',
      '/vendor/../../package.json',
      '/vendor/%2e%2e%2fpackage.json',
      '/model/..%2fconfig.json',
      '/model/config.json',
      '/model/../training.json',
      '/item/9.bin',
      '/item/-1.bin',
      '/item/1.json',
      '/src/explore/server.ts',
      '/node_modules/@tensorflow/tfjs/package.json',
    ]) {
      const status = await raw(p);
      expect(status, p).toBe(404);
    }
    expect(await raw('/data.json', 'POST')).toBe(405);
    expect(await raw('/data.json', 'GET', { Host: 'evil.example' })).toBe(403);
    expect(await raw('/data.json', 'GET', { Host: `localhost:${server.port}` })).toBe(200);
  });

  it('says in one line when the port is taken', async () => {
    const err = await startExplorer(session, { port: server.port, host: '127.0.0.1' }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`port ${server.port} on 127.0.0.1 is in use: choose another with --port`);
  });
});

describe('soundvae explore', () => {
  const bin = path.resolve(__dirname, '../../bin/soundvae.js');

  it('prints the address, serves the page, and stops on Ctrl-C', async () => {
    const child = spawn('node', [bin, 'explore', '--checkpoint', fx.run, '--port', '0', '--no-umap', '--backend', 'cpu'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    expect(out).toMatch(/^soundvae explore: 9 items mapped; open http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C stops\)$/m);
    expect((await fetch(url)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('fails in one line on a folder that is not a checkpoint, and on a bad port', () => {
    const bad = spawnSync('node', [bin, 'explore', '--checkpoint', fx.data, '--backend', 'cpu'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/not a soundvae checkpoint/);
    const port = spawnSync('node', [bin, 'explore', '--checkpoint', fx.run, '--port', '70000'], { encoding: 'utf8' });
    expect(port.status).toBe(1);
    expect(port.stderr.trim().split('\n')).toHaveLength(1);
    expect(port.stderr).toMatch(/--port/);
  });
});
