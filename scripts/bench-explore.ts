/**
 * The explorer's click-to-sound latency: `npm run bench -- explore [--checkpoint DIR] [--data DIR] [--clicks N]
 * [--backend wasm|webgl|cpu] [--map-items N]`.
 *
 * Serves the checkpoint with `soundvae explore`'s own code, opens the page in Debian's chromium (headless, no GPU)
 * and clicks N blank points of the PCA map one after another, waiting for each sound. Latency is from the click
 * event's timestamp to just after AudioBufferSourceNode.start() (the audio device's own output latency, not visible
 * headless, comes on top). Prints min / median / p90 / max with the page's decode and Griffin-Lim times, and the
 * largest difference between the page's audio and the CLI's (Node's decoder and Griffin-Lim) for the same codes.
 */
import { loadavg } from 'node:os';
import { initBackend } from '../src/backend/backend.ts';
import { prepareExplore } from '../src/explore/explore-data.ts';
import { codeRange } from '../src/explore/range.ts';
import { startExplorer } from '../src/explore/server.ts';
import { DEFAULT_INVERT } from '../src/generate/invert.ts';
import { decodeLatents } from '../src/generate/model.ts';
import { clipSettings } from '../src/generate/settings.ts';
import { itemsToAudio } from '../src/generate/spectra.ts';
import { disposeVae, loadCheckpoint } from '../src/train/checkpoint.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SETTINGS = {
  checkpoint: arg('--checkpoint') ?? 'checkpoints/digits',
  data: arg('--data'),
  clicks: Number(arg('--clicks') ?? 30),
  backend: arg('--backend') ?? 'wasm',
  mapItems: Number(arg('--map-items') ?? 1500),
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

await initBackend('wasm');
const session = await prepareExplore({ checkpoint: SETTINGS.checkpoint, data: SETTINGS.data, mapItems: SETTINGS.mapItems, umap: false, components: 8 });
const server = await startExplorer(session, { port: 0, host: '127.0.0.1' });
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: SETTINGS.chromium,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 950 } });
  await page.goto(`${server.url}?backend=${SETTINGS.backend}`);
  await page.waitForFunction(() => window.soundvaeExplore?.ready || window.soundvaeExplore?.error, null, { timeout: 120_000 });
  const status = await page.locator('#status').textContent();
  console.log(`page: ${status}`);
  const map = (await page.locator('#map').boundingBox())!;
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < SETTINGS.clicks; i++) {
    const before = await page.evaluate(() => window.soundvaeExplore.history.length);
    await page.mouse.click(map.x + 20 + rand() * (map.width - 40), map.y + 20 + rand() * (map.height - 40));
    await page.waitForFunction((n) => window.soundvaeExplore.history.length > n, before, { timeout: 30_000 });
    await page.waitForTimeout(150); // let the sound start, as a person would between clicks
  }
  const history = await page.evaluate(() => window.soundvaeExplore.history);
  const decoded = history.filter((h) => h.what.startsWith('PCA'));
  const items = history.length - decoded.length;
  const lat = decoded.map((h) => h.latencyMs);
  const f = (x: number) => x.toFixed(0);
  console.log(
    `click to sound (${decoded.length} decoded points${items ? `, ${items} clicks on dots left out` : ''}, ${session.data.clip.clipSamples / session.data.clip.sampleRate} s clips): ` +
      `min ${f(Math.min(...lat))} ms, median ${f(pct(lat, 0.5))}, p90 ${f(pct(lat, 0.9))}, max ${f(Math.max(...lat))}; first ${f(lat[0]!)}`,
  );
  console.log(
    `  of which decode median ${f(
      pct(
        decoded.map((h) => h.decodeMs),
        0.5,
      ),
    )} ms, Griffin-Lim median ${f(
      pct(
        decoded.map((h) => h.invertMs),
        0.5,
      ),
    )} ms; load average ${load()}`,
  );

  // page vs CLI for a few codes: the dataset's own and points between them
  const dim = session.data.latentSize;
  const codes = new Float32Array(new Uint8Array(Buffer.from(session.data.codes, 'base64')).buffer);
  const ckpt = await loadCheckpoint(SETTINGS.checkpoint);
  let worst = 0;
  let peak = 0;
  try {
    for (let k = 0; k < 5; k++) {
      const z = Float32Array.from(codes.subarray(k * dim, (k + 1) * dim), (v, i) => v + 0.5 * (codes[(k + 7) * dim + i]! - v));
      const inPage = await page.evaluate((code) => window.soundvaeExplore.renderCode(code), Array.from(z));
      const range = codeRange(session.data.sampler, session.data.prior, z);
      const [x] = decodeLatents(ckpt.vae, [z]);
      const [cli] = itemsToAudio([x!], [range], clipSettings(ckpt), DEFAULT_INVERT);
      cli!.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - inPage.raw[i]!));
        peak = Math.max(peak, Math.abs(v));
      });
    }
  } finally {
    disposeVae(ckpt.vae);
  }
  console.log(
    `page vs CLI (tfjs ${SETTINGS.backend} in chromium vs wasm in Node), 5 codes: max abs difference ${worst.toExponential(2)} (peak ${peak.toFixed(3)})`,
  );
} finally {
  await browser.close();
  await server.close();
  await session.close();
}
