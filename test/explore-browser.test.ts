/**
 * `soundvae explore` in a real browser: Debian's chromium (headless, via playwright-core) loads the page from the
 * explorer's server on a free loopback port, with a tiny checkpoint made here (a latent per time step, as the
 * default model). Clicking the map must play non-silent audio (seen through a hook on AudioBufferSourceNode.start)
 * and change the drawn spectrogram; the WAV download must hold the sound; a dot plays its item; and the page must
 * turn a code into the same audio as the CLI's decoder and Griffin-Lim. A screenshot goes to .tmp/explore-browser/.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareExplore, type ExploreSession } from '../src/explore/explore-data.ts';
import { codeRange } from '../src/explore/range.ts';
import { startExplorer, type ExplorerServer } from '../src/explore/server.ts';
import { openDataset } from '../src/dataset/store.ts';
import { DEFAULT_INVERT } from '../src/generate/invert.ts';
import { fitSampler, writeSampler } from '../src/generate/sampler.ts';
import { decodeLatents } from '../src/generate/model.ts';
import { clipSettings } from '../src/generate/settings.ts';
import { itemsToAudio, outputLength } from '../src/generate/spectra.ts';
import { FIXTURE_CONFIG, makeFixture } from '../src/generate/test-fixture.ts';
import { disposeVae, loadCheckpoint } from '../src/train/checkpoint.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = path.resolve(__dirname, '../.tmp/explore-browser');
/** Page vs CLI: the same kernels on both sides; what is left is float rounding through 32 Griffin-Lim iterations. */
const SAME_AUDIO = 1e-4;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`explore-browser.test: skipped, no chromium at ${CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)`);

interface Played {
  length: number;
  sampleRate: number;
  rms: number;
}

describe.skipIf(!haveChromium)('explorer in a real browser', () => {
  let root: string;
  let run: string;
  let session: ExploreSession;
  let server: ExplorerServer;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-explore-browser-'));
    const fx = await makeFixture(root, { ...FIXTURE_CONFIG, bottleneck: 'time' });
    run = fx.run;
    // a sampler.json, as training leaves one: the page samples per label and de-normalises with its range
    const ckpt = await loadCheckpoint(run);
    const ds = await openDataset(fx.data);
    const sampler = await fitSampler(ckpt.vae, ds, clipSettings(ckpt), 3, { components: 3, mixture: 2 });
    // two training takes per digit are too few for per-label densities: give each digit the overall one
    sampler.labels ??= { field: 'digit', values: { '1': sampler.gaussian, '2': sampler.gaussian, '3': sampler.gaussian } };
    await writeSampler(ckpt.dir, sampler);
    disposeVae(ckpt.vae);
    await ds.close();
    session = await prepareExplore({ checkpoint: run, mapItems: 100, umap: true, components: 4, progress: false, backend: 'wasm' });
    server = await startExplorer(session, { port: 0, host: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await session?.close();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('plays a clicked point, draws it, downloads it as WAV, and sounds as the CLI does', async () => {
    await fs.rm(OUT, { recursive: true, force: true });
    await fs.mkdir(OUT, { recursive: true });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--disable-background-networking', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 950 }, acceptDownloads: true });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
      // every buffer the page starts playing, summarised
      await page.addInitScript(() => {
        const w = window as unknown as { __played: { length: number; sampleRate: number; rms: number }[] };
        w.__played = [];
        const start = AudioBufferSourceNode.prototype.start;
        AudioBufferSourceNode.prototype.start = function (this: AudioBufferSourceNode, ...args: Parameters<typeof start>) {
          const x = this.buffer!.getChannelData(0);
          w.__played.push({ length: x.length, sampleRate: this.buffer!.sampleRate, rms: Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length) });
          return start.apply(this, args);
        };
      });
      const played = () => page.evaluate(() => (window as unknown as { __played: Played[] }).__played);
      const waitPlayed = (n: number) =>
        page.waitForFunction((k) => (window as unknown as { __played: unknown[] }).__played.length >= k, n, { timeout: 30_000 });
      const spectrogram = () => page.evaluate(() => (document.getElementById('spec') as HTMLCanvasElement).toDataURL());

      await page.goto(`${server.url}?backend=wasm`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.soundvaeExplore?.ready || window.soundvaeExplore?.error, null, { timeout: 60_000 });
      expect(await page.evaluate(() => window.soundvaeExplore.error)).toBeUndefined();
      expect(await page.evaluate(() => window.soundvaeExplore.backend)).toMatch(/^wasm/);
      expect(await page.locator('#status').textContent()).toContain('9 of 9 dataset items mapped');

      // a click on empty map: the point is decoded and played
      const map = (await page.locator('#map').boundingBox())!;
      const blank = await spectrogram();
      await page.mouse.click(map.x + 20, map.y + 20);
      await waitPlayed(1);
      const [first] = await played();
      const clip = clipSettings(await loadCheckpointInfo(run));
      expect(first!.length).toBe(outputLength(clip));
      expect(first!.rms).toBeGreaterThan(1e-3);
      const afterFirst = await spectrogram();
      expect(afterFirst).not.toBe(blank);
      expect(await page.locator('#now').textContent()).toMatch(/PCA .* click to sound \d+ ms/);

      // what you hear, as a WAV download
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const wav = await fs.readFile((await download.path())!);
      expect(wav.subarray(0, 4).toString()).toBe('RIFF');
      expect(wav.readUInt32LE(24)).toBe(clip.sampleRate);
      const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
      expect(pcm.length).toBe(first!.length);
      expect(Math.max(...pcm.map(Math.abs))).toBeGreaterThan(30);

      // another point sounds and looks different; a dot plays its item
      await page.mouse.click(map.x + map.width - 20, map.y + map.height - 20);
      await waitPlayed(2);
      expect(await spectrogram()).not.toBe(afterFirst);
      const [dx, dy] = await page.evaluate(() => window.soundvaeExplore.mapPoint(4));
      await page.mouse.click(map.x + dx, map.y + dy);
      await waitPlayed(3);
      // its own audio, re-read from the source file (the clip length at the page's rate), not a Griffin-Lim of it
      expect(await page.locator('#now').textContent()).toMatch(/^item \d_tester_\d\.wav \(\d\) · click to sound \d+ ms$/);
      const item = (await played())[2]!;
      expect(item.length).toBe(Math.round((clip.clipSamples * item.sampleRate) / clip.sampleRate));
      // UMAP, a drag, a sample, a slider, and a morph all play
      await page.click('#view-umap');
      await page.mouse.move(map.x + 30, map.y + 200);
      await page.mouse.down();
      await page.mouse.move(map.x + 200, map.y + 220, { steps: 5 });
      await page.mouse.up();
      await waitPlayed(4);
      await page.selectOption('#label', '2');
      await page.click('#sample');
      await waitPlayed(5);
      expect(await page.locator('#now').textContent()).toMatch(/^sample 1 of digit = 2 at temperature 1\.00/);
      await page.click('#set-a');
      await page.locator('#pc0').fill('2');
      await waitPlayed(6);
      await page.click('#set-b');
      await page.locator('#morph').fill('0.5');
      await waitPlayed(7);
      expect((await played()).every((p) => p.rms > 1e-3)).toBe(true);
      await page.screenshot({ path: path.join(OUT, 'screenshot.png'), fullPage: true });

      // the page turns a code into the CLI's audio: same decoder weights and kernels, same Griffin-Lim
      const codes = new Float32Array(new Uint8Array(Buffer.from(session.data.codes, 'base64')).buffer);
      const z = Array.from(codes.subarray(0, session.data.latentSize), (v, i) => v + 0.3 * Math.sin(i));
      const inPage = await page.evaluate((code) => window.soundvaeExplore.renderCode(code), z);
      const ckpt = await loadCheckpoint(run);
      try {
        const range = codeRange(session.data.sampler, session.data.prior, Float32Array.from(z));
        expect(session.data.sampler).toBeDefined();
        expect(inPage.range).toEqual(range);
        const [x] = decodeLatents(ckpt.vae, [Float32Array.from(z)]);
        const [cli] = itemsToAudio([x!], [range], clipSettings(ckpt), DEFAULT_INVERT);
        expect(inPage.raw.length).toBe(cli!.length);
        let diff = 0;
        let peak = 0;
        cli!.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(v - inPage.raw[i]!));
          peak = Math.max(peak, Math.abs(v));
        });
        console.log(`explore-browser.test: page vs CLI audio, max abs difference ${diff.toExponential(2)} (peak ${peak.toFixed(3)})`);
        expect(peak).toBeGreaterThan(1e-3);
        expect(diff).toBeLessThan(SAME_AUDIO);
      } finally {
        disposeVae(ckpt.vae);
      }
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

/** The checkpoint's settings without keeping its model. */
async function loadCheckpointInfo(run: string) {
  const ckpt = await loadCheckpoint(run);
  disposeVae(ckpt.vae);
  return ckpt;
}
