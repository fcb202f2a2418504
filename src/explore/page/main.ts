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
  const status = $<HTMLParagraphElement>('status');
  const fail = (message: string) => {
    hook.error = message;
    status.textContent = `error: ${message}`;
    status.style.color = '#b00';
    console.error(`soundvae explore: ${message}`);
  };

  const data = (await (await fetch('/data.json')).json()) as ExploreData;
  const codes = unpack(data.codes, data.latentSize);
  const { pca, sampler } = data;
  const K = pca.basis.length;
  const labelIndex = new Map(data.labels.map((l, i) => [l, i]));

  // --- the worker -------------------------------------------------------------------------------------------------
  const worker = new Worker('/worker.js');
  let busy: Job | undefined;
  let pending: Job | undefined;
  let nextId = 1;
  const send = (m: WorkerRequest, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
  const start = (job: Job) => {
    busy = job;
    const z = job.z?.slice();
    const x01 = job.x01?.slice();
    send(
      { kind: 'render', id: nextId++, z, x01, range: job.range, level: job.level },
      [z?.buffer, x01?.buffer].filter((b) => b !== undefined),
    );
  };
  /** Runs a job now, or after the one running (a newer request replaces an older waiting one: drags stay live). */
  const submit = (job: Job) => {
    if (!hook.ready) return;
    if (busy) pending = job;
    else start(job);
  };

  // --- sound ------------------------------------------------------------------------------------------------------
  let ctx: AudioContext | undefined;
  let source: AudioBufferSourceNode | undefined;
  let lastAudio: Float32Array | undefined;
  let lastRate = data.clip.sampleRate;
  let lastWhat = 'sound';
  const audioContext = () => {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
    return ctx;
  };
  const play = (audio: Float32Array, sampleRate = data.clip.sampleRate) => {
    const c = audioContext();
    const buffer = c.createBuffer(1, audio.length, sampleRate);
    buffer.copyToChannel(audio as Float32Array<ArrayBuffer>, 0);
    source?.stop();
    source = c.createBufferSource();
    source.buffer = buffer;
    source.connect(c.destination);
    source.start();
  };

  // --- spectrogram ------------------------------------------------------------------------------------------------
  const spec = $<HTMLCanvasElement>('spec');
  const table = colormapTable('magma');
  const drawSpectrogram = (x01: Float32Array) => {
    const { bins, frames } = data.clip;
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
    const g = spec.getContext('2d')!;
    g.imageSmoothingEnabled = false;
    g.drawImage(off, 0, 0, spec.width, spec.height);
    hook.specVersion++;
  };

  // --- the current code -------------------------------------------------------------------------------------------
  let z: Float32Array | undefined;
  let marks: { here?: Float32Array; a?: Float32Array; b?: Float32Array } = {};
  const coordsOf = (code: ArrayLike<number>) => pca.basis.map((b) => b.reduce((s, v, i) => s + v * (code[i]! - pca.center[i]!), 0));
  const fromCoords = (c: number[]) => {
    const out = Float32Array.from(pca.center);
    pca.basis.forEach((b, k) => {
      if (c[k]) for (let i = 0; i < out.length; i++) out[i]! += c[k]! * b[i]!;
    });
    return out;
  };
  /** Decodes `code` and plays it. */
  const hear = (code: Float32Array, what: string, t0: number) => {
    z = code;
    marks.here = code;
    syncSliders();
    drawMap();
    submit({ z: code, range: codeRange(sampler, data.prior, code), level: sampler?.levelDb, what, t0, play: true });
  };
  /** Plays item `k`: its own audio when the server can read its source, else its stored spectrogram inverted. */
  const hearItem = (k: number, t0: number) => {
    z = codes[k]!;
    marks.here = z;
    syncSliders();
    drawMap();
    const item = data.items[k]!;
    const what = `item ${item.name}${item.label ? ` (${item.label})` : ''}`;
    const spectrum = fetch(`/item/${k}.bin`).then(async (r) => new Float32Array(await r.arrayBuffer()));
    const original = fetch(`/item/${k}.wav`).then(async (r) => (r.ok ? audioContext().decodeAudioData(await r.arrayBuffer()) : undefined));
    void Promise.all([spectrum, original.catch(() => undefined)]).then(([x01, decoded]) => {
      if (!decoded) return submit({ x01, range: item.range, what: `${what}, its stored spectrogram`, t0, play: true });
      const audio = decoded.getChannelData(0);
      play(audio, decoded.sampleRate);
      done({ what, x01, audio, sampleRate: decoded.sampleRate, latency: performance.now() - t0, decodeMs: 0, invertMs: 0 });
    });
  };

  // --- sliders ----------------------------------------------------------------------------------------------------
  const sliders: HTMLInputElement[] = [];
  const outputs: HTMLOutputElement[] = [];
  for (let k = 0; k < K; k++) {
    const row = document.createElement('div');
    row.className = 'slider';
    row.innerHTML = `<label for="pc${k}">PC${k + 1} (${Math.round(100 * pca.explained[k]!)}%)</label><input id="pc${k}" type="range" min="-3" max="3" step="0.05" value="0"><output>0.00</output>`;
    $('sliders').append(row);
    const input = row.querySelector('input')!;
    sliders.push(input);
    outputs.push(row.querySelector('output')!);
    input.addEventListener('input', () => {
      const c = coordsOf(z ?? Float32Array.from(pca.center));
      const next = Float32Array.from(z ?? pca.center);
      const delta = Number(input.value) * pca.sd[k]! - c[k]!;
      pca.basis[k]!.forEach((v, i) => (next[i]! += delta * v));
      outputs[k]!.value = Number(input.value).toFixed(2);
      hear(next, `PC${k + 1} at ${Number(input.value).toFixed(2)} sd`, performance.now());
    });
  }
  function syncSliders() {
    if (!z) return;
    coordsOf(z).forEach((c, k) => {
      const v = c / pca.sd[k]!;
      sliders[k]!.value = String(Math.max(-3, Math.min(3, v)));
      outputs[k]!.value = v.toFixed(2);
    });
  }

  // --- the map ----------------------------------------------------------------------------------------------------
  const map = $<HTMLCanvasElement>('map');
  let view: View = 'pca';
  const points = (v: View): [number, number][] => (v === 'pca' ? pca.coords.map((c) => [c[0]!, c[1] ?? 0]) : (data.umap ?? []));
  const bounds = (v: View) => {
    const p = points(v);
    const xs = p.map((q) => q[0]);
    const ys = p.map((q) => q[1]);
    const pad = (lo: number, hi: number) => {
      const span = hi - lo || 1;
      return [lo - 0.08 * span, hi + 0.08 * span] as const;
    };
    return { x: pad(Math.min(...xs), Math.max(...xs)), y: pad(Math.min(...ys), Math.max(...ys)) };
  };
  let box = bounds(view);
  const toPx = (p: [number, number]): [number, number] => [
    MAP_MARGIN + ((p[0] - box.x[0]) / (box.x[1] - box.x[0])) * (map.width - 2 * MAP_MARGIN),
    map.height - MAP_MARGIN - ((p[1] - box.y[0]) / (box.y[1] - box.y[0])) * (map.height - 2 * MAP_MARGIN),
  ];
  const fromPx = (x: number, y: number): [number, number] => [
    box.x[0] + ((x - MAP_MARGIN) / (map.width - 2 * MAP_MARGIN)) * (box.x[1] - box.x[0]),
    box.y[0] + ((map.height - MAP_MARGIN - y) / (map.height - 2 * MAP_MARGIN)) * (box.y[1] - box.y[0]),
  ];
  /** Where a code sits on the current map: its PCA coordinates, or on UMAP the point of its nearest item. */
  const placeOf = (code: Float32Array): [number, number] => {
    if (view === 'pca') {
      const c = coordsOf(code);
      return [c[0]!, c[1] ?? 0];
    }
    let best = 0;
    let bestD = Infinity;
    codes.forEach((c, i) => {
      let d = 0;
      for (let q = 0; q < c.length; q++) d += (c[q]! - code[q]!) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    });
    return points('umap')[best]!;
  };
  function drawMap() {
    const g = map.getContext('2d')!;
    g.clearRect(0, 0, map.width, map.height);
    points(view).forEach((p, i) => {
      const [x, y] = toPx(p);
      g.fillStyle = data.colors[labelIndex.get(data.items[i]!.label) ?? 0] ?? '#4e79a7';
      g.globalAlpha = 0.75;
      g.beginPath();
      g.arc(x, y, 3.2, 0, 2 * Math.PI);
      g.fill();
    });
    g.globalAlpha = 1;
    const mark = (code: Float32Array | undefined, text: string, color: string) => {
      if (!code) return;
      const [x, y] = toPx(placeOf(code));
      g.fillStyle = color;
      g.font = 'bold 15px system-ui, sans-serif';
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(text, x, y);
    };
    mark(marks.a, 'A', '#0a0');
    mark(marks.b, 'B', '#a0a');
    mark(marks.here, '▲', '#000');
  }
  const setView = (v: View) => {
    if (v === 'umap' && !data.umap) return;
    view = v;
    box = bounds(v);
    $('view-pca').classList.toggle('on', v === 'pca');
    $('view-umap').classList.toggle('on', v === 'umap');
    $('axes').textContent =
      v === 'pca'
        ? `PC1 (${Math.round(100 * pca.explained[0]!)}% of variance) → , PC2 (${Math.round(100 * (pca.explained[1] ?? 0))}%) ↑`
        : 'UMAP 1 →, UMAP 2 ↑';
    drawMap();
  };
  $('view-pca').addEventListener('click', () => setView('pca'));
  $<HTMLButtonElement>('view-umap').disabled = !data.umap;
  $('view-umap').addEventListener('click', () => setView('umap'));
  $('legend').innerHTML = data.labels
    .filter((l) => l !== '')
    .map((l, i) => `<span><i style="background:${data.colors[labelIndex.get(l) ?? i]}"></i>${l.replace(/[<&>"]/g, '')}</span>`)
    .join('');

  /** The code at a point of the map: exact on PCA, a blend of the nearest items' codes on UMAP. */
  const codeAt = (x: number, y: number): { code: Float32Array; what: string } => {
    const p = fromPx(x, y);
    if (view === 'pca') {
      const c = coordsOf(z ?? Float32Array.from(pca.center)).map((v, k) => (k === 0 ? p[0] : k === 1 ? p[1] : v));
      return { code: fromCoords(c), what: `PCA (${(p[0] / pca.sd[0]!).toFixed(2)}, ${(p[1] / (pca.sd[1] ?? 1)).toFixed(2)}) sd` };
    }
    const near = points('umap')
      .map((q, i) => ({ i, d: Math.hypot(toPx(q)[0] - x, toPx(q)[1] - y) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, UMAP_NEIGHBOURS);
    const w = near.map((n) => 1 / (n.d * n.d + 1e-3));
    const total = w.reduce((s, v) => s + v, 0);
    const code = new Float32Array(data.latentSize);
    near.forEach((n, j) => codes[n.i]!.forEach((v, q) => (code[q]! += (w[j]! / total) * v)));
    return { code, what: `UMAP blend of ${near.map((n) => data.items[n.i]!.name).join(', ')}` };
  };
  const hit = (x: number, y: number): number | undefined => {
    let best: number | undefined;
    let bestD = HIT_RADIUS;
    points(view).forEach((p, i) => {
      const [px, py] = toPx(p);
      const d = Math.hypot(px - x, py - y);
      if (d <= bestD) [best, bestD] = [i, d];
    });
    return best;
  };
  let dragging = false;
  map.addEventListener('pointerdown', (e) => {
    const t0 = e.timeStamp; // when the click happened (performance.now()'s clock), not when this handler ran
    audioContext();
    dragging = true;
    map.setPointerCapture(e.pointerId);
    const k = hit(e.offsetX, e.offsetY);
    if (k !== undefined) hearItem(k, t0);
    else {
      const { code, what } = codeAt(e.offsetX, e.offsetY);
      hear(code, what, t0);
    }
  });
  map.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    const { code, what } = codeAt(e.offsetX, e.offsetY);
    hear(code, what, e.timeStamp);
  });
  map.addEventListener('pointerup', () => (dragging = false));
  map.addEventListener('pointercancel', () => (dragging = false));

  // --- sampling ---------------------------------------------------------------------------------------------------
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
    audioContext();
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
    hear(code, `sample ${s}${label ? ` of ${sampler?.labels?.field} = ${label}` : ''} at temperature ${T.toFixed(2)}`, t0);
  });

  // --- morph ------------------------------------------------------------------------------------------------------
  const morph = $<HTMLInputElement>('morph');
  const setEnd = (end: 'a' | 'b') => {
    if (!z) return;
    marks = { ...marks, [end]: z.slice() };
    morph.disabled = !(marks.a && marks.b);
    drawMap();
  };
  $('set-a').addEventListener('click', () => setEnd('a'));
  $('set-b').addEventListener('click', () => setEnd('b'));
  morph.addEventListener('input', () => {
    if (!marks.a || !marks.b) return;
    const t = Number(morph.value);
    $<HTMLOutputElement>('morph-value').value = t.toFixed(2);
    hear(lerp(marks.a, marks.b, t), `A → B at ${t.toFixed(2)}`, performance.now());
  });

  // --- buttons ----------------------------------------------------------------------------------------------------
  $('play').addEventListener('click', () => lastAudio && play(lastAudio, lastRate));
  $('download').addEventListener('click', () => {
    if (!lastAudio) return;
    const blob = new Blob([encodeWav(lastAudio, lastRate) as Uint8Array<ArrayBuffer>], { type: 'audio/wav' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `soundvae-${lastWhat.replace(/[^\w.-]+/g, '_').slice(0, 60)}.wav`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });

  /** Shows and records a sound just made (and started, when `latency` is given). */
  function done(r: { what: string; x01: Float32Array; audio: Float32Array; sampleRate: number; latency?: number; decodeMs: number; invertMs: number }) {
    lastAudio = r.audio;
    lastRate = r.sampleRate;
    lastWhat = r.what;
    hook.lastAudio = r.audio;
    hook.renders++;
    if (r.latency !== undefined) {
      hook.latencies.push(r.latency);
      hook.history.push({ what: r.what, latencyMs: r.latency, decodeMs: r.decodeMs, invertMs: r.invertMs });
    }
    drawSpectrogram(r.x01);
    const stages = r.decodeMs || r.invertMs ? ` · decode ${r.decodeMs.toFixed(0)} ms + Griffin-Lim ${r.invertMs.toFixed(0)} ms` : '';
    $('now').textContent = `${r.what}${stages}${r.latency !== undefined ? ` · click to sound ${r.latency.toFixed(0)} ms` : ''}`;
    $<HTMLButtonElement>('play').disabled = false;
    $<HTMLButtonElement>('download').disabled = false;
  }

  // --- replies ----------------------------------------------------------------------------------------------------
  worker.onmessage = (e: MessageEvent<WorkerReply>) => {
    const m = e.data;
    if (m.kind === 'error') {
      busy = undefined;
      fail(m.message);
      return;
    }
    if (m.kind === 'ready') {
      hook.ready = true;
      hook.backend = m.backend;
      const shape = data.bottleneck === 'time' ? `${data.steps} steps × ${data.perStep}` : 'one vector';
      status.textContent =
        `${data.items.length} of ${data.datasetItems} dataset items mapped · latent ${data.latentSize} (${shape}) · ` +
        `tfjs ${m.backend} in a worker, ready in ${Math.round(m.warmMs)} ms · ${data.clip.sampleRate} Hz, ${data.invert.iterations} Griffin-Lim iterations`;
      for (const id of ['set-a', 'set-b']) $<HTMLButtonElement>(id).disabled = false;
      return;
    }
    const job = busy!;
    busy = undefined;
    if (job.play) play(m.audio);
    done({
      what: job.what,
      x01: m.x01,
      audio: m.audio,
      sampleRate: data.clip.sampleRate,
      latency: job.play ? performance.now() - job.t0 : undefined,
      decodeMs: m.decodeMs,
      invertMs: m.invertMs,
    });
    job.resolve?.({ ...m, range: job.range });
    if (pending) {
      const next = pending;
      pending = undefined;
      start(next);
    }
  };
  worker.onerror = (e) => fail(e.message || 'the worker failed to start');

  hook.renderCode = (values: number[]) =>
    new Promise((resolve) => {
      const code = Float32Array.from(values);
      const job: Job = {
        z: code,
        range: codeRange(sampler, data.prior, code),
        level: sampler?.levelDb,
        what: 'code from a test',
        t0: performance.now(),
        play: false,
        resolve: (r) => resolve({ raw: Array.from(r.raw), audio: Array.from(r.audio), range: r.range }),
      };
      if (busy) pending = job;
      else start(job);
    });

  hook.mapPoint = (k) => toPx(points(view)[k]!);
  setView('pca');
  const backend = new URLSearchParams(location.search).get('backend') ?? 'auto';
  send({ kind: 'init', backend, clip: data.clip, invert: data.invert });
}

main().catch((err) => {
  const status = document.getElementById('status');
  if (status) status.textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
  console.error(err);
});
