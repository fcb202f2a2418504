/**
 * An SVG plot of the training curves: total loss, reconstruction (MSE) and KL, training and validation, per
 * epoch. Plain SVG text (no dependencies) so it opens in any browser and sits beside the checkpoint.
 */
import type { EpochMetrics } from './checkpoint.ts';

export interface CurvesOptions {
  /** Size of one panel in pixels. */
  panelWidth?: number;
  panelHeight?: number;
  title?: string;
}

/** Defaults of the plot, in one place. */
export const DEFAULT_CURVES = {
  panelWidth: 360,
  panelHeight: 240,
  title: 'soundvae training',
  /** Use a log scale when a panel's values span more than this ratio. */
  logRatio: 20,
  colors: { train: '#1f77b4', val: '#ff7f0e' },
} as const;

/** Margins inside a panel for axes and labels. */
const MARGIN = { left: 58, right: 12, top: 28, bottom: 34 };

/** One plotted line: its name, colour and points. */
interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

/** A y axis: maps values to [0, 1] and lists tick values. */
interface Scale {
  log: boolean;
  min: number;
  max: number;
  ticks: number[];
}

/**
 * Chooses a y scale for values: logarithmic when they are all positive and span a wide range
 * (VAE losses fall by orders of magnitude), else linear with "nice" ticks. With `logWhenPositive` (losses), any
 * positive values that are not all equal get a log scale, with 1-2-5 ticks inside the data's range when it spans
 * less than `logRatio`, so a large first epoch does not flatten the rest.
 */
export function chooseScale(values: number[], logRatio: number = DEFAULT_CURVES.logRatio, logWhenPositive = false): Scale {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { log: false, min: 0, max: 1, ticks: [0, 0.5, 1] };
  let min = Math.min(...finite);
  let max = Math.max(...finite);
  if (logWhenPositive && min > 0 && max > min && max / min <= logRatio) return narrowLogScale(min, max);
  if (min > 0 && max / min > logRatio) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.ceil(Math.log10(max));
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return { log: true, min: 10 ** lo, max: 10 ** hi, ticks };
  }
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / 4);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { log: false, min: lo, max: hi, ticks };
}

/** A log scale over [min, max] padded by 5 % of its span, ticks at 1-2-5 (or 1..9) times powers of ten inside it. */
function narrowLogScale(min: number, max: number): Scale {
  const pad = Math.max(0.05 * Math.log10(max / min), 0.005);
  const lo = 10 ** (Math.log10(min) - pad);
  const hi = 10 ** (Math.log10(max) + pad);
  const inside = (mantissas: number[]) => {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mantissas) {
        const t = Number((m * 10 ** e).toPrecision(12));
        if (t >= lo && t <= hi) ticks.push(t);
      }
    }
    return ticks;
  };
  let ticks = inside([1, 2, 5]);
  if (ticks.length < 3) ticks = inside([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  if (ticks.length < 2) ticks = [Number(min.toPrecision(3)), Number(max.toPrecision(3))];
  // The lowest values are the ones to read (the last epochs): label the bottom when no tick is near it.
  const bottom = Number(min.toPrecision(2));
  if (ticks[0]! > min * 1.1 && bottom >= lo) ticks.unshift(bottom);
  return { log: true, min: lo, max: hi, ticks };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function position(scale: Scale, v: number): number {
  if (scale.log) return (Math.log10(v) - Math.log10(scale.min)) / (Math.log10(scale.max) - Math.log10(scale.min));
  return (v - scale.min) / (scale.max - scale.min);
}

function label(v: number): string {
  const a = Math.abs(v);
  // toExponential() without digits keeps only the digits needed: 150000 -> "1.5e+5", never two equal labels.
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return Number(v.toPrecision(3)).toExponential();
  return String(Number(v.toPrecision(3)));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** One panel at (x0, y0): axes, ticks, lines with markers, and a legend. */
function panel(title: string, series: Series[], x0: number, y0: number, w: number, h: number): string {
  const all = series.flatMap((s) => s.points);
  const scale = chooseScale(
    all.map((p) => p[1]),
    DEFAULT_CURVES.logRatio,
    true,
  ); // every panel is a loss
  const xs = all.map((p) => p[0]);
  const xMin = Math.min(1, ...xs);
  const xMax = Math.max(xMin + 1, ...xs);
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => x0 + MARGIN.left + ((x - xMin) / (xMax - xMin)) * pw;
  const py = (y: number) => y0 + MARGIN.top + (1 - position(scale, y)) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + w / 2}" y="${y0 + 18}" text-anchor="middle" font-weight="bold">${escapeXml(title)}${scale.log ? ' (log)' : ''}</text>`);
  out.push(`<rect x="${x0 + MARGIN.left}" y="${y0 + MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of scale.ticks) {
    const y = py(t).toFixed(1);
    out.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + MARGIN.left - 4}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`);
  }
  const xStep = niceStep(Math.max(1, (xMax - xMin) / 5));
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax; x += xStep) {
    out.push(`<text x="${px(x).toFixed(1)}" y="${y0 + h - MARGIN.bottom + 14}" text-anchor="middle">${label(x)}</text>`);
  }
  out.push(`<text x="${x0 + MARGIN.left + pw / 2}" y="${y0 + h - 4}" text-anchor="middle">epoch</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]) && (!scale.log || p[1] > 0));
    if (pts.length > 1) {
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    for (const p of pts) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const ly = y0 + MARGIN.top + 12 + i * 14;
    const lx = x0 + MARGIN.left + pw - 70;
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly - 4}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  return out.join('\n');
}

/**
 * Renders the per-epoch curves as an SVG document: three panels (loss, reconstruction MSE, KL), each with the
 * training mean over the epoch and the validation value.
 * @example
 * await writeFileAtomic('run/curves.svg', renderCurvesSvg(metrics));
 */
export function renderCurvesSvg(metrics: EpochMetrics[], options: CurvesOptions = {}): string {
  const o = { ...DEFAULT_CURVES, ...options };
  const parts = [
    { key: 'loss', title: 'loss (weight * MSE + KL)' },
    { key: 'reconstruction', title: 'reconstruction (MSE)' },
    { key: 'kl', title: 'KL' },
  ] as const;
  const width = o.panelWidth * parts.length;
  const height = o.panelHeight + 30;
  const body = parts.map((p, i) => {
    const series: Series[] = [
      { name: 'train', color: o.colors.train, points: metrics.map((m) => [m.epoch, m.train[p.key]]) },
      { name: 'validation', color: o.colors.val, points: metrics.filter((m) => m.val).map((m) => [m.epoch, m.val![p.key]]) },
    ];
    return panel(
      p.title,
      series.filter((s) => s.points.length > 0),
      i * o.panelWidth,
      30,
      o.panelWidth,
      o.panelHeight,
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}${metrics.length ? ` (${metrics.length} epochs)` : ' (no epochs yet)'}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
