/**
 * 2-D maps of latent vectors for the report: PCA (pure TypeScript, exact up to power-iteration tolerance) and
 * UMAP (umap-js, seeded), drawn as an inline SVG scatter plot coloured by label with a legend.
 */
import { UMAP } from 'umap-js';
import { mulberry32 } from '../dsp/random.ts';
import { escapeHtml } from './escape.ts';

export type Point2 = [number, number];

export interface Embedding {
  points: Point2[];
  /** Axis names, e.g. "PC1 (31% of variance)" or "UMAP 1". */
  axes: [string, string];
  /** PCA only: the share of variance each axis explains. */
  explained?: [number, number];
}

export interface PcaOptions {
  /** Power-iteration steps per component at most. */
  iterations: number;
  /** Stop when the eigenvalue estimate changes by less than this, relatively. */
  tolerance: number;
  /** Seed of the starting vectors. */
  seed: number;
}

export const DEFAULT_PCA: PcaOptions = { iterations: 300, tolerance: 1e-10, seed: 1 };

/**
 * Projects vectors onto their first two principal components (centred; power iteration with deflation on
 * X^T X without forming it, so wide latents cost O(n d) per step). Signs are fixed so the largest loading of
 * each component is positive, which makes the map repeatable.
 * @returns the 2-D points and the share of variance each axis explains.
 */
export function pca2(vectors: ArrayLike<number>[], options: Partial<PcaOptions> = {}): Embedding {
  const o = { ...DEFAULT_PCA, ...options };
  const n = vectors.length;
  if (n === 0) return { points: [], axes: ['PC1', 'PC2'], explained: [0, 0] };
  const d = vectors[0]!.length;
  const mean = new Float64Array(d);
  for (const v of vectors) {
    if (v.length !== d) throw new Error(`vectors differ in length (${v.length} and ${d})`);
    for (let j = 0; j < d; j++) mean[j]! += v[j]! / n;
  }
  const x = vectors.map((v) => Float64Array.from({ length: d }, (_, j) => v[j]! - mean[j]!));
  let total = 0;
  for (const row of x) for (const value of row) total += value * value;

  const rand = mulberry32(o.seed);
  const components: Float64Array[] = [];
  const variances: number[] = [];
  for (let c = 0; c < Math.min(2, d); c++) {
    let v = Float64Array.from({ length: d }, () => rand() - 0.5);
    let lambda = 0;
    for (let it = 0; it < o.iterations; it++) {
      for (const prev of components) subtractProjection(v, prev);
      normalise(v);
      // w = X^T (X v)
      const w = new Float64Array(d);
      for (const row of x) {
        const s = dot(row, v);
        for (let j = 0; j < d; j++) w[j]! += s * row[j]!;
      }
      for (const prev of components) subtractProjection(w, prev);
      const next = Math.sqrt(dot(w, w));
      v = w;
      const done = Math.abs(next - lambda) <= o.tolerance * Math.max(1, next);
      lambda = next;
      if (done || next === 0) break;
    }
    normalise(v);
    let largest = 0;
    for (let j = 0; j < d; j++) if (Math.abs(v[j]!) > Math.abs(v[largest]!)) largest = j;
    if (v[largest]! < 0) for (let j = 0; j < d; j++) v[j] = -v[j]!;
    components.push(v);
    variances.push(lambda);
  }
  const points = x.map((row) => [components[0] ? dot(row, components[0]) : 0, components[1] ? dot(row, components[1]) : 0] as Point2);
  const explained: [number, number] = [variances[0] ?? 0, variances[1] ?? 0].map((l) => (total > 0 ? l / total : 0)) as [number, number];
  const pct = (f: number) => `${Math.round(f * 100)}% of variance`;
  return { points, axes: [`PC1 (${pct(explained[0])})`, `PC2 (${pct(explained[1])})`], explained };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

function normalise(v: Float64Array): void {
  const norm = Math.sqrt(dot(v, v)) || 1;
  for (let j = 0; j < v.length; j++) v[j]! /= norm;
}

function subtractProjection(v: Float64Array, unit: Float64Array): void {
  const s = dot(v, unit);
  for (let j = 0; j < v.length; j++) v[j]! -= s * unit[j]!;
}

export interface UmapOptions {
  /** Neighbours that define local structure: larger keeps more of the global layout. */
  nNeighbors: number;
  /** How tightly points may pack in the map. */
  minDist: number;
  /** Optimisation epochs: 200 is umap-learn's choice for large sets and quick here. */
  nEpochs: number;
  seed: number;
}

export const DEFAULT_UMAP: UmapOptions = { nNeighbors: 15, minDist: 0.1, nEpochs: 200, seed: 1 };

/**
 * UMAP to 2-D with umap-js, seeded so the same vectors give the same map. Needs at least 3 points;
 * the neighbourhood shrinks to fit small sets.
 */
export function umap2(vectors: ArrayLike<number>[], options: Partial<UmapOptions> = {}): Embedding {
  const o = { ...DEFAULT_UMAP, ...options };
  if (vectors.length < 3) return { points: vectors.map(() => [0, 0] as Point2), axes: ['UMAP 1', 'UMAP 2'] };
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(o.nNeighbors, vectors.length - 1)),
    minDist: o.minDist,
    nEpochs: o.nEpochs,
    random: mulberry32(o.seed),
  });
  const points = umap.fit(vectors.map((v) => Array.from(v))).map((p) => [p[0]!, p[1]!] as Point2);
  return { points, axes: ['UMAP 1', 'UMAP 2'] };
}

// ---------------------------------------------------------------------------------------------------------------
// Scatter plot

/** Tableau 10: distinct, colour-blind-aware categorical colours. */
export const CATEGORY_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** The colour of the i-th category: the palette first, then hues spread by the golden angle. */
export function categoryColor(i: number): string {
  if (i < CATEGORY_COLORS.length) return CATEGORY_COLORS[i]!;
  return `hsl(${Math.round((i * 137.508) % 360)} 55% 50%)`;
}

export interface ScatterOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Point radius in pixels. */
  radius?: number;
}

export const DEFAULT_SCATTER = { title: '', width: 460, height: 380, radius: 3.2, legendWidth: 120 } as const;

/**
 * Draws 2-D points as a standalone inline SVG, coloured by label, with a legend (label and count) on the right.
 * Each point carries a tooltip with its name. Labels sort naturally ("2" before "10").
 */
export function scatterSvg(embedding: Embedding, labels: string[], names: string[] = [], options: ScatterOptions = {}): string {
  const o = { ...DEFAULT_SCATTER, ...options };
  const { points, axes } = embedding;
  if (labels.length !== points.length) throw new Error(`${points.length} points but ${labels.length} labels`);
  const categories = [...new Set(labels)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const color = new Map(categories.map((c, i) => [c, categoryColor(i)]));
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);

  const margin = { left: 28, right: 12 + o.legendWidth, top: o.title ? 30 : 12, bottom: 28 };
  const plotW = o.width - margin.left - margin.right;
  const plotH = o.height - margin.top - margin.bottom;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const sx = linear(xs, margin.left + o.radius, margin.left + plotW - o.radius);
  const sy = linear(ys, margin.top + plotH - o.radius, margin.top + o.radius);

  const dots = points.map((p, i) => {
    const tip = escapeHtml([names[i], labels[i]].filter(Boolean).join(' · '));
    return `<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="${o.radius}" fill="${color.get(labels[i]!)}">${tip ? `<title>${tip}</title>` : ''}</circle>`;
  });
  const legend = categories.map((c, i) => {
    const y = margin.top + 8 + i * 18;
    const x = o.width - o.legendWidth;
    return `<g transform="translate(${x} ${y})"><circle r="5" cx="5" cy="0" fill="${color.get(c)}"/><text x="16" y="4">${escapeHtml(c || 'unlabelled')} <tspan class="n">(${counts.get(c)})</tspan></text></g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="scatter" viewBox="0 0 ${o.width} ${o.height}" width="${o.width}" height="${o.height}" role="img" aria-label="${escapeHtml(o.title || 'latent map')}">`,
    `<style>.scatter text{font:12px system-ui,sans-serif;fill:#333}.scatter .n{fill:#888}.scatter circle{fill-opacity:.78}.scatter .axis{fill:#777;font-size:11px}</style>`,
    o.title ? `<text x="${margin.left}" y="18" font-weight="600">${escapeHtml(o.title)}</text>` : '',
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>`,
    `<text class="axis" x="${margin.left + plotW / 2}" y="${o.height - 8}" text-anchor="middle">${escapeHtml(axes[0])}</text>`,
    `<text class="axis" transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(axes[1])}</text>`,
    `<g>${dots.join('')}</g>`,
    ...legend,
    '</svg>',
  ].join('\n');
}

/** A linear map from the values' range onto [to0, to1] (the middle when all values are equal). */
function linear(values: number[], to0: number, to1: number): (v: number) => number {
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 0;
  if (!(hi > lo)) return () => (to0 + to1) / 2;
  return (v) => to0 + ((v - lo) / (hi - lo)) * (to1 - to0);
}
