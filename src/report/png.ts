/**
 * PNG images without dependencies: an encoder on node:zlib, and spectrogram pictures with a perceptual colour
 * map, axes in hertz and seconds, and a colour bar, drawn with a built-in bitmap font.
 */
import { deflateSync } from 'node:zlib';
import type { Spectrogram } from '../dsp/types.ts';
import type { Hertz, Samples } from '../units.ts';
import { colormap, colormapTable, type ColormapName, type Rgb } from './colormap.ts';
import { GLYPH, textWidth } from './font.ts';
import { Raster } from './raster.ts';

// ---------------------------------------------------------------------------------------------------------------
// Encoder

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it (ISO 3309). */
export function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** One chunk: length, type, data, CRC over type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, (crc32(out.subarray(4, 8 + data.length)) ^ 0xffffffff) >>> 0);
  return out;
}

/** The Paeth predictor of the PNG spec: whichever of left, up, up-left is closest to left + up - upLeft. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Filters each row with whichever of the five PNG filters gives the smallest sum of absolute (signed) bytes,
 * the spec's recommended heuristic: smooth images then compress several times better than unfiltered.
 */
function filterRows(pixels: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : zero;
    let bestScore = Infinity;
    for (let filter = 0; filter <= 4; filter++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const predicted = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (row[i]! - predicted) & 0xff;
        candidate[i] = v;
        score += v < 128 ? v : 256 - v;
      }
      if (score < bestScore) {
        bestScore = score;
        out[y * (stride + 1)] = filter;
        out.set(candidate, y * (stride + 1) + 1);
      }
    }
  }
  return out;
}

/**
 * Encodes an opaque RGBA image as an 8-bit RGB PNG (alpha is dropped: every picture here is opaque).
 * @example await writeFileAtomic('a.png', encodePng(raster.width, raster.height, raster.rgba));
 */
export function encodePng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bits per channel
  header[9] = 2; // colour type: RGB
  const parts = [
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(filterRows(rgb, width, height, 3), { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Axes

/**
 * Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `target` of them.
 * @example niceTicks(0, 8000) // [0, 2000, 4000, 6000, 8000]
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return Number.isFinite(lo) ? [lo] : [];
  const step = tickStep(span, target);
  const ticks: number[] = [];
  // Snap to the step grid, with a little slack so rounding error does not drop an end tick.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)) + 0); // + 0 turns -0 into 0
  return ticks;
}

function tickStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
}

/** The fewest decimals (up to 6) that write every value exactly: 0.5 steps need one, 0.25 steps two. */
function decimalsFor(values: number[]): number {
  for (let d = 0; d < 6; d++) if (values.every((v) => Math.abs(Number(v.toFixed(d)) - v) < 1e-9 * Math.max(1, Math.abs(v)))) return d;
  return 6;
}

/** Tick labels for frequencies: "500", "1k", "2.5k" (the axis title says Hz). */
export function frequencyLabels(ticks: number[]): string[] {
  const top = Math.max(...ticks.map(Math.abs));
  if (top < 1000) return plainLabels(ticks);
  const d = decimalsFor(ticks.map((t) => t / 1000));
  return ticks.map((t) => (t === 0 ? '0' : `${(t / 1000).toFixed(d)}k`));
}

/** Tick labels with just enough decimals for their spacing: "0", "0.2", "0.4". */
export function plainLabels(ticks: number[]): string[] {
  const d = decimalsFor(ticks);
  return ticks.map((t) => t.toFixed(d));
}

// ---------------------------------------------------------------------------------------------------------------
// Spectrogram pictures

export interface SpectrogramImageOptions {
  sampleRate: Hertz;
  /** Hop between frames, to label time. */
  hop: Samples;
  /** FFT size, to label frequency; default 2 * (bins - 1), i.e. the spectrogram keeps the Nyquist bin. */
  nFft?: Samples;
  colormap?: ColormapName;
  /** Values mapped to the ends of the colour map; default the data's own minimum and maximum. */
  range?: [number, number];
  /** What the values are, printed over the colour bar; '' hides the colour bar. */
  unit?: string;
  /** Size of the plot area in CSS pixels (the image adds margins for axes). */
  plotWidth?: number;
  plotHeight?: number;
  /** Device pixels per CSS pixel: 2 stays sharp on high-density screens. */
  scale?: number;
  /** A line above the plot. */
  title?: string;
}

export const DEFAULT_SPECTROGRAM_IMAGE = {
  colormap: 'magma' as ColormapName,
  unit: 'dB',
  plotWidth: 320,
  plotHeight: 180,
  scale: 2,
  title: '',
  /** Aim for about this many ticks per axis. */
  ticks: { time: 5, frequency: 4, colorBar: 4 },
  ink: [60, 64, 72] as Rgb,
  background: [255, 255, 255] as Rgb,
} as const;

export interface PngImage {
  png: Uint8Array;
  /** Size in CSS pixels (the PNG itself is `scale` times larger), for the HTML's width and height. */
  width: number;
  height: number;
}

/**
 * Draws a bin-major spectrogram (values usually in dB) as a PNG: low frequencies at the bottom, time to the right,
 * with ticks labelled in Hz and seconds and a colour bar.
 * @example
 * const img = spectrogramImage(amplitudeToDb(magnitude(stft(x, opts)), { ref: 'max' }), { sampleRate: 22050, hop: 256, range: [-80, 0] });
 * await writeFileAtomic('clip.png', img.png);
 */
export function spectrogramImage(spec: Spectrogram, options: SpectrogramImageOptions): PngImage {
  const o = withDefaults(options);
  const { bins, frames, data } = spec;
  if (bins < 1 || frames < 1 || data.length !== bins * frames) {
    throw new Error(`spectrogram of ${bins}x${frames} has ${data.length} values`);
  }
  if (!(o.sampleRate > 0) || !(o.hop > 0)) throw new Error('spectrogram image needs a positive sample rate and hop');
  const L = spectrogramLayout(spec, o);
  const img = new Raster(L.width, L.height, o.background);
  drawPlot(img, spec, L, o.colormap);
  drawAxes(img, L, o);
  if (L.showBar) drawColorBar(img, L, o);
  return { png: encodePng(L.width, L.height, img.rgba), width: L.width / L.s, height: L.height / L.s };
}

/** The options with their defaults filled in. */
function withDefaults(options: SpectrogramImageOptions) {
  return { ...DEFAULT_SPECTROGRAM_IMAGE, ...options };
}

type ImageOptions = ReturnType<typeof withDefaults>;

/** Where everything goes on a spectrogram image, in device pixels, and what its axes show. */
function spectrogramLayout(spec: Spectrogram, o: ImageOptions) {
  const { bins, frames, data } = spec;
  const s = Math.max(1, Math.round(o.scale));
  const f = 2 * s; // font pixel size: 2 CSS pixels, a whole number on 1x and 2x screens (crisp, 14 px text)
  const textH = GLYPH.height * f;
  const nFft = o.nFft ?? Math.max(2, 2 * (bins - 1));
  const [lo, hi] = o.range ?? dataRange(data);
  const topFrequency = (bins * o.sampleRate) / nFft;
  const duration = (frames * o.hop) / o.sampleRate;
  const tick = 2 * f;
  const gap = f;
  const plotW = Math.round(o.plotWidth * s);
  const plotH = Math.round(o.plotHeight * s);
  const maxLabel = (labels: string[]) => Math.max(0, ...labels.map(textWidth)) * f;
  // Fewer ticks on small plots: labels need their own width (or height) plus a gap between them.
  const [fTicks, fLabels] = fittingTicks(0, topFrequency, o.ticks.frequency, frequencyLabels, () => textH + 2 * gap, plotH);
  const [tTicks, tLabels] = fittingTicks(0, duration, o.ticks.time, plainLabels, (l) => maxLabel(l) + 8 * gap, plotW);
  const showBar = o.unit !== '' && hi > lo;
  const [cTicks, cLabels] = showBar ? fittingTicks(lo, hi, o.ticks.colorBar, plainLabels, () => textH + 2 * gap, plotH) : [[], []];
  const left = textH + 5 * gap + maxLabel(fLabels) + tick;
  const top = o.title || showBar ? textH + 4 * gap : 2 * gap;
  const bottom = tick + gap + textH + 2 * gap + textH + 3 * gap;
  const barW = 3 * f * 2;
  const right = Math.ceil(
    showBar ? 5 * gap + barW + tick + 2 * gap + Math.max(maxLabel(cLabels), textWidth(o.unit) * f - barW) + 2 * gap : 3 * gap + maxLabel(tLabels.slice(-1)) / 2,
  );
  // Whole multiples of the scale, so the CSS size is whole pixels too.
  const width = Math.ceil((left + plotW + right) / s) * s;
  const height = Math.ceil((top + plotH + bottom) / s) * s;
  return {
    ...{ s, f, textH, tick, gap, lo, hi, span: hi - lo || 1, topFrequency, duration },
    ...{ plotW, plotH, left, top, barW, width, height, showBar },
    ...{ fTicks, fLabels, tTicks, tLabels, cTicks, cLabels },
  };
}

type Layout = ReturnType<typeof spectrogramLayout>;

/** The plot: nearest-neighbour lookup, bin 0 at the bottom. */
function drawPlot(img: Raster, spec: Spectrogram, L: Layout, map: ImageOptions['colormap']): void {
  const { bins, frames, data } = spec;
  const table = colormapTable(map);
  for (let py = 0; py < L.plotH; py++) {
    const bin = Math.min(bins - 1, Math.floor(((L.plotH - 1 - py) * bins) / L.plotH));
    for (let px = 0; px < L.plotW; px++) {
      const frame = Math.min(frames - 1, Math.floor((px * frames) / L.plotW));
      const v = data[bin * frames + frame]!;
      const t = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - L.lo) / L.span)) : 0;
      const k = Math.round(t * 255) * 3;
      img.set(L.left + px, L.top + py, [table[k]!, table[k + 1]!, table[k + 2]!]);
    }
  }
}

/** Labels beside a tick, kept level with the plot so the end ones clear the corners. */
function labelTop(L: Layout, y: number): number {
  return Math.round(Math.min(L.top + L.plotH - L.textH, Math.max(L.top, y - L.textH / 2)));
}

/** The frequency axis (left), the time axis (bottom) and the title. */
function drawAxes(img: Raster, L: Layout, o: ImageOptions): void {
  const { left, top, plotW, plotH, tick, gap, f, s, textH } = L;
  const ink = o.ink;
  L.fTicks.forEach((hz, i) => {
    const y = Math.round(top + plotH - (hz / L.topFrequency) * plotH);
    img.fillRect(left - tick, Math.min(y, top + plotH - s), tick, s, ink);
    img.text(left - tick - gap, labelTop(L, y), L.fLabels[i]!, ink, f, 'right');
  });
  img.textUp(gap, top + plotH / 2, 'frequency (Hz)', ink, f);
  L.tTicks.forEach((sec, i) => {
    const x = Math.round(left + (sec / L.duration) * plotW);
    img.fillRect(Math.min(x, left + plotW - s), top + plotH, s, tick, ink);
    img.text(x, top + plotH + tick + gap, L.tLabels[i]!, ink, f, 'center');
  });
  img.text(left + plotW / 2, top + plotH + tick + gap + textH + 2 * gap, 'time (s)', ink, f, 'center');
  if (o.title) img.text(left, gap, o.title, ink, f, 'left');
}

/** The colour bar (right): the map bottom to top, ticks in data units, the unit above. */
function drawColorBar(img: Raster, L: Layout, o: ImageOptions): void {
  const { left, top, plotW, plotH, tick, gap, f, s, textH, barW } = L;
  const barX = left + plotW + 5 * gap;
  for (let py = 0; py < plotH; py++) {
    img.fillRect(barX, top + py, barW, 1, colormap(o.colormap, 1 - py / Math.max(1, plotH - 1)));
  }
  L.cTicks.forEach((v, i) => {
    const y = Math.round(top + plotH - ((v - L.lo) / L.span) * plotH);
    img.fillRect(barX + barW, Math.min(y, top + plotH - s), tick, s, o.ink);
    img.text(barX + barW + tick + 2 * gap, labelTop(L, y), L.cLabels[i]!, o.ink, f, 'left');
  });
  img.text(barX, top - textH - 2 * gap, o.unit, o.ink, f, 'left');
}

/**
 * Ticks within [lo, hi] and their labels, as many as fit: starting from `target`, fewer until neighbouring ticks
 * are at least `room(labels)` device pixels apart on an axis `length` pixels long.
 */
function fittingTicks(
  lo: number,
  hi: number,
  target: number,
  label: (ticks: number[]) => string[],
  room: (labels: string[]) => number,
  length: number,
): [number[], string[]] {
  let best: [number[], string[]] = [[], []];
  for (let n = target; n >= 1; n--) {
    const ticks = niceTicks(lo, hi, n).filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9);
    const labels = label(ticks);
    best = [ticks, labels];
    const spacing = ticks.length > 1 ? ((ticks[1]! - ticks[0]!) / (hi - lo)) * length : Infinity;
    if (spacing >= room(labels)) break;
  }
  return best;
}

/** The finite minimum and maximum of values ([0, 1] when there are none). */
function dataRange(data: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
