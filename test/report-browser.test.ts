/**
 * The listening report in a real browser: Debian's chromium (headless, via playwright-core) opens a report made
 * here from synthetic sounds over file://, every audio player must become playable, the console must stay clean,
 * and a screenshot goes to .tmp/report-browser/ (git-ignored) for a human to look at.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { griffinLim, logSpectralDistance, magnitude, mulberry32, spectralConvergence, stft } from '../src/dsp/index.ts';
import { writeFileAtomic } from '../src/fsutil.ts';
import { writeClip } from '../src/report/assets.ts';
import { pca2, scatterSvg, umap2 } from '../src/report/embed.ts';
import { writeReport, type ReconstructionRow, type ReportData } from '../src/report/html.ts';
import { makeSingleFile } from '../src/report/single-file.ts';
import { renderCurvesSvg } from '../src/train/curves.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = path.resolve(__dirname, '../.tmp/report-browser');
const SR = 8000;
const STFT = { nFft: 256, hop: 64 };

/** A decaying tone with a few harmonics, pitch gliding by `glide` octaves. */
function tone(f0: number, glide: number, seconds = 0.5): Float32Array {
  const n = Math.round(seconds * SR);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * f0 * 2 ** ((glide * i) / n)) / SR;
    out[i] = 0.5 * Math.exp((-3 * i) / n) * (Math.sin(phase) + 0.4 * Math.sin(2 * phase) + 0.2 * Math.sin(3 * phase));
  }
  return out;
}

/** Makes a complete report from synthetic sounds: every section the real one has. */
async function buildReport(dir: string): Promise<string> {
  const assets = { sampleRate: SR, ...STFT, plotWidth: 240, plotHeight: 120 };
  const rows: ReconstructionRow[] = [];
  for (const [i, f0] of [220, 330, 440].entries()) {
    const x = tone(f0, i - 1);
    const mag = magnitude(stft(x, STFT));
    const oracle = griffinLim(mag, { ...STFT, iterations: 16, init: 'pghi' }).audio.subarray(0, x.length);
    const blurred = { ...mag, data: mag.data.map((v, k) => 0.5 * v + 0.5 * (mag.data[k + mag.frames] ?? v)) };
    const recon = griffinLim(blurred, { ...STFT, iterations: 16, init: 'pghi' }).audio.subarray(0, x.length);
    const score = (y: Float32Array) => {
      const m = magnitude(stft(y, STFT));
      return { spectralConvergence: spectralConvergence(m, mag), logSpectralDistance: logSpectralDistance(m, mag) };
    };
    const name = `tone ${f0} Hz <${i}>`; // odd characters on purpose: names must be escaped and paths encoded
    rows.push({
      name,
      label: ['down', 'flat', 'up'][i],
      original: await writeClip(dir, `reconstruct/${i} original`, x, assets, name),
      oracle: { ...(await writeClip(dir, `reconstruct/${i} oracle`, oracle, assets, name)), scores: score(oracle) },
      reconstruction: { ...(await writeClip(dir, `reconstruct/${i} recon`, recon, assets, name)), scores: score(recon) },
    });
  }
  const generated = [];
  for (let i = 0; i < 4; i++) {
    generated.push({
      name: `sample ${i + 1}`,
      clip: await writeClip(dir, `generate/sample-${i + 1}`, tone(150 + 90 * i, 0.5 - i / 4), assets),
      note: 'nearest training item: tone 220 Hz',
    });
  }
  const steps = [];
  for (let i = 0; i < 7; i++) steps.push(await writeClip(dir, `interpolate/step-${i}`, tone(220 * 2 ** (i / 6), 0, 0.3), assets));

  const rand = mulberry32(9);
  const labels = Array.from({ length: 60 }, (_, i) => String(i % 3));
  const latents = labels.map((l) => Array.from({ length: 8 }, (_, j) => (j === Number(l) ? 4 : 0) + rand() - 0.5));
  const names = labels.map((_, i) => `item ${i}`);
  const metrics = Array.from({ length: 6 }, (_, e) => {
    const parts = (s: number) => ({ loss: 1000 * s, reconstruction: 0.01 * s, kl: 20 + 3 * e });
    return { epoch: e + 1, step: (e + 1) * 50, train: parts(1 / (e + 1)), val: parts(1.2 / (e + 1)), samplesPerSecond: 300, seconds: 4 };
  });
  await writeFileAtomic(path.join(dir, 'curves.svg'), renderCurvesSvg(metrics));

  const data: ReportData = {
    title: 'soundvae report (synthetic)',
    subtitle: 'Made by the browser test from generated tones',
    facts: [
      { label: 'checkpoint', value: 'none: test data' },
      { label: 'sample rate', value: `${SR} Hz` },
    ],
    reconstructions: rows,
    generated: { items: generated, note: 'Latents drawn from N(0, I) at temperature 1.' },
    interpolations: [{ from: rows[0]!.name, to: rows[2]!.name, method: 'spherical', steps }],
    latentMaps: [
      { title: 'PCA', svg: scatterSvg(pca2(latents), labels, names) },
      { title: 'UMAP', svg: scatterSvg(umap2(latents, { nEpochs: 50 }), labels, names) },
    ],
    curves: { src: 'curves.svg', alt: 'training curves' },
    createdAt: '2026-01-01 00:00 UTC',
  };
  return writeReport(dir, data);
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report-browser.test: skipped, no chromium at ${CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)`);

describe.skipIf(!haveChromium)('report in a real browser', () => {
  it('loads offline with every player playable, no console errors, and a screenshot', async () => {
    await fs.rm(OUT, { recursive: true, force: true });
    const file = await buildReport(OUT);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      const count = await page.locator('audio').count();
      expect(count).toBe(3 * 3 + 4 + 7);
      // Every player reaches HAVE_CURRENT_DATA (2) or better, or fails with a media error we report.
      const states = await page.evaluate(async () => {
        const audios = [...document.querySelectorAll('audio')];
        return Promise.all(
          audios.map(
            (a) =>
              new Promise<string>((resolve) => {
                const done = () => resolve(a.error ? `${a.src}: error ${a.error.code}` : a.readyState >= 2 ? 'ok' : `${a.src}: readyState ${a.readyState}`);
                if (a.readyState >= 2 || a.error) return done();
                a.addEventListener('canplay', done, { once: true });
                a.addEventListener('error', done, { once: true });
                setTimeout(done, 10_000);
              }),
          ),
        );
      });
      expect(states.filter((s) => s !== 'ok')).toEqual([]);
      // Every picture decoded (PNG spectrograms and the curves SVG).
      await page.evaluate(() => Promise.all([...document.images].map((img) => img.decode())));
      const broken = await page.evaluate(() => [...document.images].filter((i) => !(i.naturalWidth > 0)).map((i) => i.src));
      expect(broken).toEqual([]);
      expect(await page.locator('svg.scatter circle:has(title)').count()).toBe(120);
      // The escaped name shows as text, not markup.
      expect(await page.locator('h3', { hasText: 'tone 220 Hz <0>' }).count()).toBe(2); // its row and the interpolation strip
      // The interpolation strip fits the page: 7 steps in a 1400 px window show both ends without scrolling.
      await page.setViewportSize({ width: 1400, height: 900 });
      const overflow = await page.evaluate(() =>
        [...document.querySelectorAll('.steps, .strip, main')]
          .filter((e) => e.scrollWidth > e.clientWidth + 1)
          .map((e) => `${e.className || e.tagName}: ${e.scrollWidth} > ${e.clientWidth}`),
      );
      expect(overflow).toEqual([]);
      await page.screenshot({ path: path.join(OUT, 'screenshot.png'), fullPage: true });
      expect(problems).toEqual([]);

      // --single-file: the page alone, moved away from its folders, still plays and shows everything.
      const single = path.join(OUT, 'single.html');
      await fs.copyFile(file, single);
      await makeSingleFile(single);
      const alone = path.join(OUT, 'alone', 'index.html');
      await fs.mkdir(path.dirname(alone), { recursive: true });
      await fs.rename(single, alone);
      await page.goto(pathToFileURL(alone).href, { waitUntil: 'load' });
      await page.evaluate(() => Promise.all([...document.images].map((img) => img.decode())));
      expect(await page.evaluate(() => [...document.images].filter((i) => !(i.naturalWidth > 0)).length)).toBe(0);
      const playable = await page.evaluate(() =>
        Promise.all(
          [...document.querySelectorAll('audio')].map(
            (a) =>
              new Promise<boolean>((resolve) =>
                a.readyState >= 2
                  ? resolve(true)
                  : (a.addEventListener('canplay', () => resolve(true), { once: true }), a.addEventListener('error', () => resolve(false), { once: true })),
              ),
          ),
        ),
      );
      expect(playable.every(Boolean)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
