/**
 * The explorer page (served as /app.js): draws the map of the dataset's latent means, turns clicks, drags, sliders,
 * samples and morphs into latent codes, has page/worker.ts decode and invert them, plays the result at once and
 * draws its spectrogram. `window.soundvaeExplore` exposes its state for tests (and the curious).
 */
import { drawSubspace, gaussianSource, lift, pickComponent } from '../../generate/density.ts';
import type { DbRange } from '../../generate/invert.ts';
import { lerp, samplePrior } from '../../generate/latent.ts';
import { colormapTable } from '../../report/colormap.ts';
import { codeRange } from '../range.ts';
import type { ExploreData, WorkerReply, WorkerRequest } from '../types.ts';
import { encodeWav } from './wav.ts';

type View = 'pca' | 'umap';

/** A sound to make: a code to decode, or an item's stored spectrogram to invert. */
interface Job {
  z?: Float32Array;
  x01?: Float32Array;
  range: DbRange;
  level?: number;
  what: string;
  /** performance.now() of the gesture that asked for it. */
  t0: number;
  play: boolean;
  resolve?: (r: Extract<WorkerReply, { kind: 'rendered' }> & { range: DbRange }) => void;
}

/** What tests read and drive. */
interface ExploreHook {
  ready: boolean;
  backend: string;
  renders: number;
  latencies: number[];
  /** Every sound played: what it was, gesture to AudioBufferSourceNode.start() (ms), and its two stages' times. */
  history: { what: string; latencyMs: number; decodeMs: number; invertMs: number }[];
  lastAudio?: Float32Array;
  specVersion: number;
  error?: string;
  /** Decodes and inverts `z` as a click would (without playing); resolves with the raw Griffin-Lim output. */
  renderCode(z: number[]): Promise<{ raw: number[]; audio: number[]; range: DbRange }>;
  /** Where mapped item `k` is drawn on the map canvas (pixels from its top left). */
  mapPoint(k: number): [number, number];
}

declare global {
  interface Window {
    soundvaeExplore: ExploreHook;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const MAP_MARGIN = 14;
/** Pixels within which a click hits a dot (and plays that item). */
const HIT_RADIUS = 6;
/** Items blended for a point of the UMAP map. */
const UMAP_NEIGHBOURS = 4;

function unpack(base64: string, dim: number): Float32Array[] {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const flat = new Float32Array(bytes.buffer);
  return Array.from({ length: flat.length / dim }, (_, i) => flat.subarray(i * dim, (i + 1) * dim));
}

/** A sound just made, to show and keep (started when `latency` is given). */
interface Made {
  what: string;
  x01: Float32Array;
  audio: Float32Array;
  sampleRate: number;
  latency?: number;
  decodeMs: number;
  invertMs: number;
}

/**
 * The page: its data, the worker that renders codes, the sound, the spectrogram, the sliders, the map, sampling
 * and morphing. Each `bind*` method wires one panel; the rest are the small steps they share.
 */
class ExplorerPage {
  private readonly codes: Float32Array[];
  private readonly pca: ExploreData['pca'];
  private readonly sampler: ExploreData['sampler'];
  private readonly labelIndex: Map<string, number>;
  private readonly status = $<HTMLParagraphElement>('status');
  // the worker: one job renders at a time; a newer request replaces an older waiting one (drags stay live)
  private readonly worker = new Worker('/worker.js');
  private busy: Job | undefined;
  private pending: Job | undefined;
  private nextId = 1;
  // sound
  private ctx: AudioContext | undefined;
  private source: AudioBufferSourceNode | undefined;
  private lastAudio: Float32Array | undefined;
  private lastRate: number;
  private lastWhat = 'sound';
  // the spectrogram
  private readonly spec = $<HTMLCanvasElement>('spec');
  private readonly table = colormapTable('magma');
  // the current code, the marks on the map, the sliders
  private z: Float32Array | undefined;
  private marks: { here?: Float32Array; a?: Float32Array; b?: Float32Array } = {};
  private readonly sliders: HTMLInputElement[] = [];
  private readonly outputs: HTMLOutputElement[] = [];
  // the map
  private readonly map = $<HTMLCanvasElement>('map');
  private view: View = 'pca';
  private box: { x: readonly [number, number]; y: readonly [number, number] };

  constructor(
    private readonly data: ExploreData,
    private readonly hook: ExploreHook,
  ) {
    this.codes = unpack(data.codes, data.latentSize);
    this.pca = data.pca;
    this.sampler = data.sampler;
    this.labelIndex = new Map(data.labels.map((l, i) => [l, i]));
    this.lastRate = data.clip.sampleRate;
    this.box = this.bounds(this.view);
  }

  /** Wires every panel, then starts the worker. */
  start(): void {
    this.bindSliders();
    this.bindMap();
    this.bindSampling();
    this.bindMorph();
    this.bindButtons();
    this.worker.onmessage = (e: MessageEvent<WorkerReply>) => this.onReply(e.data);
    this.worker.onerror = (e) => this.fail(e.message || 'the worker failed to start');
    this.hook.renderCode = (values) => this.renderCode(values);
    this.hook.mapPoint = (k) => this.toPx(this.points(this.view)[k]!);
    this.setView('pca');
    const backend = new URLSearchParams(location.search).get('backend') ?? 'auto';
    this.send({ kind: 'init', backend, clip: this.data.clip, invert: this.data.invert });
  }

  fail(message: string): void {
    this.hook.error = message;
    this.status.textContent = `error: ${message}`;
    this.status.style.color = '#b00';
    console.error(`soundvae explore: ${message}`);
  }

  // --- the worker -------------------------------------------------------------------------------------------------
  private send(m: WorkerRequest, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private startJob(job: Job): void {
    this.busy = job;
    const z = job.z?.slice();
    const x01 = job.x01?.slice();
    this.send(
      { kind: 'render', id: this.nextId++, z, x01, range: job.range, level: job.level },
      [z?.buffer, x01?.buffer].filter((b) => b !== undefined),
    );
  }

  /** Runs a job now, or after the one running (a newer request replaces an older waiting one). */
  private submit(job: Job, evenIfNotReady = false): void {
    if (!this.hook.ready && !evenIfNotReady) return;
    if (this.busy) this.pending = job;
    else this.startJob(job);
  }

  private onReply(m: WorkerReply): void {
    if (m.kind === 'error') {
      this.busy = undefined;
      this.fail(m.message);
      return;
    }
    if (m.kind === 'ready') {
      this.onReady(m);
      return;
    }
    const job = this.busy!;
    this.busy = undefined;
    if (job.play) this.play(m.audio);
    this.done({
      what: job.what,
      x01: m.x01,
      audio: m.audio,
      sampleRate: this.data.clip.sampleRate,
      latency: job.play ? performance.now() - job.t0 : undefined,
      decodeMs: m.decodeMs,
      invertMs: m.invertMs,
    });
    job.resolve?.({ ...m, range: job.range });
    if (this.pending) {
      const next = this.pending;
      this.pending = undefined;
      this.startJob(next);
    }
  }

  private onReady(m: Extract<WorkerReply, { kind: 'ready' }>): void {
    const { data } = this;
    this.hook.ready = true;
    this.hook.backend = m.backend;
    const shape = data.bottleneck === 'time' ? `${data.steps} steps × ${data.perStep}` : 'one vector';
    this.status.textContent =
      `${data.items.length} of ${data.datasetItems} dataset items mapped · latent ${data.latentSize} (${shape}) · ` +
      `tfjs ${m.backend} in a worker, ready in ${Math.round(m.warmMs)} ms · ${data.clip.sampleRate} Hz, ${data.invert.iterations} Griffin-Lim iterations`;
    for (const id of ['set-a', 'set-b']) $<HTMLButtonElement>(id).disabled = false;
  }

  /** The test hook's render: decodes and inverts `values` as a click would, without playing. */
  private renderCode(values: number[]): ReturnType<ExploreHook['renderCode']> {
    return new Promise((resolve) => {
      const code = Float32Array.from(values);
      this.submit(
        {
          z: code,
          range: codeRange(this.sampler, this.data.prior, code),
          level: this.sampler?.levelDb,
          what: 'code from a test',
          t0: performance.now(),
          play: false,
          resolve: (r) => resolve({ raw: Array.from(r.raw), audio: Array.from(r.audio), range: r.range }),
        },
        true,
      );
    });
  }

  // --- sound ------------------------------------------------------------------------------------------------------
  audioContext(): AudioContext {
    this.ctx ??= new AudioContext();
    if (this.ctx.state === 'suspended') void this.ctx.resume();
    return this.ctx;
  }

  private play(audio: Float32Array, sampleRate = this.data.clip.sampleRate): void {
    const c = this.audioContext();
    const buffer = c.createBuffer(1, audio.length, sampleRate);
    buffer.copyToChannel(audio as Float32Array<ArrayBuffer>, 0);
    this.source?.stop();
    this.source = c.createBufferSource();
    this.source.buffer = buffer;
    this.source.connect(c.destination);
    this.source.start();
  }

  // --- spectrogram ------------------------------------------------------------------------------------------------
  private drawSpectrogram(x01: Float32Array): void {
    const { bins, frames } = this.data.clip;
    const { table } = this;
    const img = new ImageData(frames, bins);
    const levels = table.length / 3;
    for (let b = 0; b < bins; b++) {
      for (let f = 0; f < frames; f++) {
        const t = Math.round(Math.min(1, Math.max(0, x01[b * frames + f]!)) * (levels - 1));
        const o = ((bins - 1 - b) * frames + f) * 4;
        img.data[o] = table[3 * t]!;
        img.data[o + 1] = table[3 * t + 1]!;
        img.data[o + 2] = table[3 * t + 2]!;
        img.data[o + 3] = 255;
      }
    }
    const off = new OffscreenCanvas(frames, bins);
    off.getContext('2d')!.putImageData(img, 0, 0);
    const g = this.spec.getContext('2d')!;
    g.imageSmoothingEnabled = false;
    g.drawImage(off, 0, 0, this.spec.width, this.spec.height);
    this.hook.specVersion++;
  }

  /** Shows and records a sound just made (and started, when `latency` is given). */
  private done(r: Made): void {
    this.lastAudio = r.audio;
    this.lastRate = r.sampleRate;
    this.lastWhat = r.what;
    this.hook.lastAudio = r.audio;
    this.hook.renders++;
    if (r.latency !== undefined) {
      this.hook.latencies.push(r.latency);
      this.hook.history.push({ what: r.what, latencyMs: r.latency, decodeMs: r.decodeMs, invertMs: r.invertMs });
    }
    this.drawSpectrogram(r.x01);
    const stages = r.decodeMs || r.invertMs ? ` · decode ${r.decodeMs.toFixed(0)} ms + Griffin-Lim ${r.invertMs.toFixed(0)} ms` : '';
    $('now').textContent = `${r.what}${stages}${r.latency !== undefined ? ` · click to sound ${r.latency.toFixed(0)} ms` : ''}`;
    $<HTMLButtonElement>('play').disabled = false;
    $<HTMLButtonElement>('download').disabled = false;
  }

  // --- the current code -------------------------------------------------------------------------------------------
  private coordsOf(code: ArrayLike<number>): number[] {
    const { pca } = this;
    return pca.basis.map((b) => b.reduce((s, v, i) => s + v * (code[i]! - pca.center[i]!), 0));
  }

  private fromCoords(c: number[]): Float32Array {
    const out = Float32Array.from(this.pca.center);
    this.pca.basis.forEach((b, k) => {
      if (c[k]) for (let i = 0; i < out.length; i++) out[i]! += c[k]! * b[i]!;
    });
    return out;
  }

  /** Makes `code` the current one, on the sliders and the map. */
  private moveTo(code: Float32Array): void {
    this.z = code;
    this.marks.here = code;
    this.syncSliders();
    this.drawMap();
  }

  /** Decodes `code` and plays it. */
  private hear(code: Float32Array, what: string, t0: number): void {
    this.moveTo(code);
    this.submit({ z: code, range: codeRange(this.sampler, this.data.prior, code), level: this.sampler?.levelDb, what, t0, play: true });
  }

  /** Plays item `k`: its own audio when the server can read its source, else its stored spectrogram inverted. */
  private hearItem(k: number, t0: number): void {
    this.moveTo(this.codes[k]!);
    const item = this.data.items[k]!;
    const what = `item ${item.name}${item.label ? ` (${item.label})` : ''}`;
    const spectrum = fetch(`/item/${k}.bin`).then(async (r) => new Float32Array(await r.arrayBuffer()));
    const original = fetch(`/item/${k}.wav`).then(async (r) => (r.ok ? this.audioContext().decodeAudioData(await r.arrayBuffer()) : undefined));
    void Promise.all([spectrum, original.catch(() => undefined)]).then(([x01, decoded]) => {
      if (!decoded) return this.submit({ x01, range: item.range, what: `${what}, its stored spectrogram`, t0, play: true });
      const audio = decoded.getChannelData(0);
      this.play(audio, decoded.sampleRate);
      this.done({ what, x01, audio, sampleRate: decoded.sampleRate, latency: performance.now() - t0, decodeMs: 0, invertMs: 0 });
    });
  }

  // --- sliders ----------------------------------------------------------------------------------------------------
  private bindSliders(): void {
    const { pca } = this;
    for (let k = 0; k < pca.basis.length; k++) {
      const row = document.createElement('div');
      row.className = 'slider';
      row.innerHTML = `<label for="pc${k}">PC${k + 1} (${Math.round(100 * pca.explained[k]!)}%)</label><input id="pc${k}" type="range" min="-3" max="3" step="0.05" value="0"><output>0.00</output>`;
      $('sliders').append(row);
      const input = row.querySelector('input')!;
      this.sliders.push(input);
      this.outputs.push(row.querySelector('output')!);
      input.addEventListener('input', () => {
        const c = this.coordsOf(this.z ?? Float32Array.from(pca.center));
        const next = Float32Array.from(this.z ?? pca.center);
        const delta = Number(input.value) * pca.sd[k]! - c[k]!;
        pca.basis[k]!.forEach((v, i) => (next[i]! += delta * v));
        this.outputs[k]!.value = Number(input.value).toFixed(2);
        this.hear(next, `PC${k + 1} at ${Number(input.value).toFixed(2)} sd`, performance.now());
      });
    }
  }

  private syncSliders(): void {
    if (!this.z) return;
    this.coordsOf(this.z).forEach((c, k) => {
      const v = c / this.pca.sd[k]!;
      this.sliders[k]!.value = String(Math.max(-3, Math.min(3, v)));
      this.outputs[k]!.value = v.toFixed(2);
    });
  }

  // --- the map ----------------------------------------------------------------------------------------------------
  private points(v: View): [number, number][] {
    return v === 'pca' ? this.pca.coords.map((c) => [c[0]!, c[1] ?? 0]) : (this.data.umap ?? []);
  }

  private bounds(v: View): { x: readonly [number, number]; y: readonly [number, number] } {
    const p = this.points(v);
    const xs = p.map((q) => q[0]);
    const ys = p.map((q) => q[1]);
    const pad = (lo: number, hi: number) => {
      const span = hi - lo || 1;
      return [lo - 0.08 * span, hi + 0.08 * span] as const;
    };
    return { x: pad(Math.min(...xs), Math.max(...xs)), y: pad(Math.min(...ys), Math.max(...ys)) };
  }

  private toPx(p: [number, number]): [number, number] {
    const { box, map } = this;
    return [
      MAP_MARGIN + ((p[0] - box.x[0]) / (box.x[1] - box.x[0])) * (map.width - 2 * MAP_MARGIN),
      map.height - MAP_MARGIN - ((p[1] - box.y[0]) / (box.y[1] - box.y[0])) * (map.height - 2 * MAP_MARGIN),
    ];
  }

  private fromPx(x: number, y: number): [number, number] {
    const { box, map } = this;
    return [
      box.x[0] + ((x - MAP_MARGIN) / (map.width - 2 * MAP_MARGIN)) * (box.x[1] - box.x[0]),
      box.y[0] + ((map.height - MAP_MARGIN - y) / (map.height - 2 * MAP_MARGIN)) * (box.y[1] - box.y[0]),
    ];
  }

  /** Where a code sits on the current map: its PCA coordinates, or on UMAP the point of its nearest item. */
  private placeOf(code: Float32Array): [number, number] {
    if (this.view === 'pca') {
      const c = this.coordsOf(code);
      return [c[0]!, c[1] ?? 0];
    }
    let best = 0;
    let bestD = Infinity;
    this.codes.forEach((c, i) => {
      let d = 0;
      for (let q = 0; q < c.length; q++) d += (c[q]! - code[q]!) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    });
    return this.points('umap')[best]!;
  }

  private drawMap(): void {
    const { map, data } = this;
    const g = map.getContext('2d')!;
    g.clearRect(0, 0, map.width, map.height);
    this.points(this.view).forEach((p, i) => {
      const [x, y] = this.toPx(p);
      g.fillStyle = data.colors[this.labelIndex.get(data.items[i]!.label) ?? 0] ?? '#4e79a7';
      g.globalAlpha = 0.75;
      g.beginPath();
      g.arc(x, y, 3.2, 0, 2 * Math.PI);
      g.fill();
    });
    g.globalAlpha = 1;
    const mark = (code: Float32Array | undefined, text: string, color: string) => {
      if (!code) return;
      const [x, y] = this.toPx(this.placeOf(code));
      g.fillStyle = color;
      g.font = 'bold 15px system-ui, sans-serif';
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(text, x, y);
    };
    mark(this.marks.a, 'A', '#0a0');
    mark(this.marks.b, 'B', '#a0a');
    mark(this.marks.here, '▲', '#000');
  }

  private setView(v: View): void {
    if (v === 'umap' && !this.data.umap) return;
    const { pca } = this;
    this.view = v;
    this.box = this.bounds(v);
    $('view-pca').classList.toggle('on', v === 'pca');
    $('view-umap').classList.toggle('on', v === 'umap');
    $('axes').textContent =
      v === 'pca'
        ? `PC1 (${Math.round(100 * pca.explained[0]!)}% of variance) → , PC2 (${Math.round(100 * (pca.explained[1] ?? 0))}%) ↑`
        : 'UMAP 1 →, UMAP 2 ↑';
    this.drawMap();
  }

  /** The code at a point of the map: exact on PCA, a blend of the nearest items' codes on UMAP. */
  private codeAt(x: number, y: number): { code: Float32Array; what: string } {
    const { pca, data } = this;
    const p = this.fromPx(x, y);
    if (this.view === 'pca') {
      const c = this.coordsOf(this.z ?? Float32Array.from(pca.center)).map((v, k) => (k === 0 ? p[0] : k === 1 ? p[1] : v));
      return { code: this.fromCoords(c), what: `PCA (${(p[0] / pca.sd[0]!).toFixed(2)}, ${(p[1] / (pca.sd[1] ?? 1)).toFixed(2)}) sd` };
    }
    const near = this.points('umap')
      .map((q, i) => ({ i, d: Math.hypot(this.toPx(q)[0] - x, this.toPx(q)[1] - y) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, UMAP_NEIGHBOURS);
    const w = near.map((n) => 1 / (n.d * n.d + 1e-3));
    const total = w.reduce((s, v) => s + v, 0);
    const code = new Float32Array(data.latentSize);
    near.forEach((n, j) => this.codes[n.i]!.forEach((v, q) => (code[q]! += (w[j]! / total) * v)));
    return { code, what: `UMAP blend of ${near.map((n) => data.items[n.i]!.name).join(', ')}` };
  }

  /** The item whose dot is under a point of the map, if any. */
  private hit(x: number, y: number): number | undefined {
    let best: number | undefined;
    let bestD = HIT_RADIUS;
    this.points(this.view).forEach((p, i) => {
      const [px, py] = this.toPx(p);
      const d = Math.hypot(px - x, py - y);
      if (d <= bestD) [best, bestD] = [i, d];
    });
    return best;
  }

  private bindMap(): void {
    const { map, data } = this;
    $('view-pca').addEventListener('click', () => this.setView('pca'));
    $<HTMLButtonElement>('view-umap').disabled = !data.umap;
    $('view-umap').addEventListener('click', () => this.setView('umap'));
    $('legend').innerHTML = data.labels
      .filter((l) => l !== '')
      .map((l, i) => `<span><i style="background:${data.colors[this.labelIndex.get(l) ?? i]}"></i>${l.replace(/[<&>"]/g, '')}</span>`)
      .join('');
    let dragging = false;
    map.addEventListener('pointerdown', (e) => {
      const t0 = e.timeStamp; // when the click happened (performance.now()'s clock), not when this handler ran
      this.audioContext();
      dragging = true;
      map.setPointerCapture(e.pointerId);
      const k = this.hit(e.offsetX, e.offsetY);
      if (k !== undefined) this.hearItem(k, t0);
      else {
        const { code, what } = this.codeAt(e.offsetX, e.offsetY);
        this.hear(code, what, t0);
      }
    });
    map.addEventListener('pointermove', (e) => {
      if (!dragging) return;
      const { code, what } = this.codeAt(e.offsetX, e.offsetY);
      this.hear(code, what, e.timeStamp);
    });
    map.addEventListener('pointerup', () => (dragging = false));
    map.addEventListener('pointercancel', () => (dragging = false));
  }

  // --- sampling ---------------------------------------------------------------------------------------------------
  private bindSampling(): void {
    const { sampler, data } = this;
    const select = $<HTMLSelectElement>('label');
    const temperature = $<HTMLInputElement>('temperature');
    const labelValues = Object.keys(sampler?.labels?.values ?? {}).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    select.innerHTML = sampler
      ? `<option value="">the whole dataset (mixture)</option>${labelValues.map((l) => `<option value="${l.replace(/[<&>"]/g, '')}">${sampler.labels!.field} = ${l.replace(/[<&>"]/g, '')}</option>`).join('')}`
      : '<option value="">N(0, I) (no sampler.json)</option>';
    temperature.addEventListener('input', () => ($<HTMLOutputElement>('temperature-value').value = Number(temperature.value).toFixed(2)));
    let seed = 1;
    $('sample').addEventListener('click', (e) => {
      const t0 = e.timeStamp;
      this.audioContext();
      const T = Number(temperature.value);
      const s = seed++;
      const label = select.value;
      let code: Float32Array;
      if (!sampler) code = samplePrior(1, data.latentSize, T, s)[0]!;
      else {
        const gauss = gaussianSource(s);
        const g = label ? sampler.labels!.values[label]! : sampler.gmm.parts[pickComponent(sampler.gmm, Math.random())]!;
        code = lift(sampler.subspace, drawSubspace(g, T, gauss), T, gauss);
      }
      this.hear(code, `sample ${s}${label ? ` of ${sampler?.labels?.field} = ${label}` : ''} at temperature ${T.toFixed(2)}`, t0);
    });
  }

  // --- morph ------------------------------------------------------------------------------------------------------
  private bindMorph(): void {
    const morph = $<HTMLInputElement>('morph');
    const setEnd = (end: 'a' | 'b') => {
      if (!this.z) return;
      this.marks = { ...this.marks, [end]: this.z.slice() };
      morph.disabled = !(this.marks.a && this.marks.b);
      this.drawMap();
    };
    $('set-a').addEventListener('click', () => setEnd('a'));
    $('set-b').addEventListener('click', () => setEnd('b'));
    morph.addEventListener('input', () => {
      const { a, b } = this.marks;
      if (!a || !b) return;
      const t = Number(morph.value);
      $<HTMLOutputElement>('morph-value').value = t.toFixed(2);
      this.hear(lerp(a, b, t), `A → B at ${t.toFixed(2)}`, performance.now());
    });
  }

  // --- buttons ----------------------------------------------------------------------------------------------------
  private bindButtons(): void {
    $('play').addEventListener('click', () => this.lastAudio && this.play(this.lastAudio, this.lastRate));
    $('download').addEventListener('click', () => {
      if (!this.lastAudio) return;
      const blob = new Blob([encodeWav(this.lastAudio, this.lastRate) as Uint8Array<ArrayBuffer>], { type: 'audio/wav' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `soundvae-${this.lastWhat.replace(/[^\w.-]+/g, '_').slice(0, 60)}.wav`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    });
  }
}

async function main(): Promise<void> {
  const hook: ExploreHook = {
    ready: false,
    backend: '',
    renders: 0,
    latencies: [],
    history: [],
    specVersion: 0,
    renderCode: () => Promise.reject(new Error('not ready')),
    mapPoint: () => [0, 0],
  };
  window.soundvaeExplore = hook;
  const data = (await (await fetch('/data.json')).json()) as ExploreData;
  new ExplorerPage(data, hook).start();
}

main().catch((err) => {
  const status = document.getElementById('status');
  if (status) status.textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
  console.error(err);
});
