/**
 * The latent sampler a checkpoint keeps in `sampler.json`: densities fitted to the training set's latent means
 * (see density.ts), one Gaussian per label value for label-conditioned generation, and what it takes to give a
 * sample a true level: a ridge regression from the code to the dB range to de-normalise with, and the training
 * set's loudness distribution to level samples to.
 *
 * Samplers (`generate --sampler`):
 * - `prior`: N(0, I), the tutorial's (and the only choice without a sampler.json);
 * - `gaussian`: one full-covariance Gaussian over the training codes (in their principal subspace);
 * - `gmm`: a Gaussian mixture over them: it follows the clusters (digits, instruments) that one Gaussian would
 *   average into blur;
 * - `neighbours`, the default: a point between a training code and one of its nearest neighbours (of the same
 *   label with --label). The decoder of a model trained with a weak KL term is only reliable near the codes it
 *   was trained on, and this stays there: on FSDD it gave twice the recognisable samples of the mixture.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { labelReader, type LabelOptions } from '../dataset/labels.ts';
import { mulberry32 } from '../dsp/random.ts';
import type { SpectrogramDataset } from '../dataset/store.ts';
import type { RecordedSettings } from '../dataset/settings.ts';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import type { Vae } from '../model/vae.ts';
import type { Decibels } from '../units.ts';
import {
  DEFAULT_DENSITY,
  drawSubspace,
  fitGaussian,
  fitMixture,
  fitSubspace,
  gaussianSource,
  lift,
  pickComponent,
  project,
  type DensityOptions,
  type Mixture,
  type Subspace,
  type SubspaceGaussian,
} from './density.ts';
import type { SamplerKind } from './defaults.ts';
import type { DbRange } from './invert.ts';
import { diversity } from './distance.ts';
import { fromHalfBytes, toHalfBytes } from './float16.ts';
import { encodeItems } from './model.ts';
import { samplePrior } from './latent.ts';
import { energyToRmsDb, itemEnergy, type ClipSettings } from './spectra.ts';

export const SAMPLER_FILE = 'sampler.json';
export const SAMPLER_FORMAT = 'soundvae-sampler';
/** 2: neighbour codes stored as float16 (half the bytes of version 1's float32). */
export const SAMPLER_VERSION = 2;

export { DEFAULT_SAMPLER, SAMPLER_KINDS, type SamplerKind } from './defaults.ts';

/** Percentiles of a level distribution. */
export interface LevelStats {
  p10: Decibels;
  p50: Decibels;
  p90: Decibels;
}

export interface LatentSampler {
  format: typeof SAMPLER_FORMAT;
  version: number;
  /** Training items the densities were fitted on, and the checkpoint's epoch then. */
  items: number;
  epoch: number;
  subspace: Subspace;
  gaussian: SubspaceGaussian;
  gmm: Mixture;
  /** One Gaussian per value of the dataset's main label (e.g. digit), when it has labels. */
  labels?: { field: string; values: Record<string, SubspaceGaussian> };
  /** dB min and max as a linear function of the subspace coordinates (last coefficient: the intercept). */
  range: { min: number[]; max: number[] };
  /** RMS level of the training clips (dBFS), estimated from their spectrograms. */
  trainRms: LevelStats;
  /** Mean pairwise distance between training items (distance.ts), for the collapse warning. */
  diversity?: number;
  /**
   * The training codes (base64 of little-endian float16, or float32 in version 1 files; items x dim), their labels,
   * and each one's nearest neighbours.
   */
  neighbours?: { codes: string; encoding?: CodeEncoding; labels: (string | null)[]; near: number[][]; nearSameLabel: number[][] };
}

/** Nearest neighbours kept per training code for the `neighbours` sampler. */
export const NEIGHBOURS = 8;

/** Indices of each code's `k` nearest other codes (squared Euclidean, ties to the lower index), optionally only among the same group. */
export function nearestCodes(codes: Float32Array[], k: number, group?: (string | undefined)[]): number[][] {
  const best: [number, number][][] = codes.map(() => []);
  const offer = (list: [number, number][], d: number, j: number) => {
    if (list.length === k && d >= list[k - 1]![0]) return;
    let at = list.length;
    while (at > 0 && list[at - 1]![0] > d) at--;
    list.splice(at, 0, [d, j]);
    if (list.length > k) list.pop();
  };
  // Each pair once: offers reach every row in increasing index order, as a row-by-row scan would make them.
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    for (let j = i + 1; j < codes.length; j++) {
      if (group && group[j] !== group[i]) continue;
      const o = codes[j]!;
      let d = 0;
      for (let q = 0; q < c.length; q++) d += (c[q]! - o[q]!) ** 2;
      offer(best[i]!, d, j);
      offer(best[j]!, d, i);
    }
  }
  return best.map((list) => list.map(([, j]) => j));
}

/** How neighbour codes are packed: float16 since sampler version 2 (a shipped checkpoint stays a few MB). */
export type CodeEncoding = 'float16' | 'float32';

export function encodeCodes(codes: Float32Array[], encoding: CodeEncoding = 'float16'): string {
  const flat = new Float32Array(codes.length * (codes[0]?.length ?? 0));
  codes.forEach((c, i) => flat.set(c, i * c.length));
  const bytes = encoding === 'float16' ? toHalfBytes(flat) : new Uint8Array(flat.buffer);
  return Buffer.from(bytes).toString('base64');
}

export function decodeCodes(text: string, dim: number, encoding: CodeEncoding = 'float32'): Float32Array[] {
  const bytes = Buffer.from(text, 'base64');
  const flat = encoding === 'float16' ? fromHalfBytes(bytes) : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return Array.from({ length: flat.length / dim }, (_, i) => flat.subarray(i * dim, (i + 1) * dim));
}

/** `count` indices spread evenly over [0, n). */
export function spreadPick(n: number, count: number): number[] {
  const m = Math.min(n, count);
  return Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
}

/**
 * `count` indices spread evenly over [0, n), each one step further into its stretch than the last: over a list
 * ordered digit by digit and speaker by speaker within each digit, an even spread lands on the first speaker of
 * every digit; this one walks through the speakers as it goes.
 * @example staggeredPick(300, 10) // [0, 33, 66, 99, 132, 165, 198, 231, 264, 297]
 */
export function staggeredPick(n: number, count: number): number[] {
  const m = Math.min(n, count);
  return Array.from({ length: m }, (_, i) => Math.min(n - 1, Math.floor((i * n) / m + (i * n) / (m * m))));
}

/** Percentiles of numbers. */
export function levelStats(values: number[]): LevelStats {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] ?? NaN;
  return { p10: at(0.1), p50: at(0.5), p90: at(0.9) };
}

/** Ridge regression of targets on rows (plus an intercept): coefficients, intercept last. */
export function ridge(rows: Float64Array[], targets: number[], lambda = 1e-3): number[] {
  const p = rows[0]!.length + 1;
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  rows.forEach((r, n) => {
    const x = [...r, 1];
    for (let i = 0; i < p; i++) {
      b[i] += x[i]! * targets[n]!;
      for (let j = 0; j < p; j++) a[i * p + j] += x[i]! * x[j]!;
    }
  });
  const scale = (a.reduce((s, v, i) => (i % (p + 1) === 0 ? s + v : s), 0) / p) * lambda;
  for (let i = 0; i < p - 1; i++) a[i * p + i] += scale; // the intercept is not shrunk
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r * p + c]!) > Math.abs(a[piv * p + c]!)) piv = r;
    for (let k = 0; k < p; k++) [a[c * p + k], a[piv * p + k]] = [a[piv * p + k]!, a[c * p + k]!];
    [b[c], b[piv]] = [b[piv]!, b[c]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r * p + c]! / a[c * p + c]!;
      if (f === 0) continue;
      for (let k = c; k < p; k++) a[r * p + k] -= f * a[c * p + k]!;
      b[r] -= f * b[c]!;
    }
  }
  return Array.from(b, (v, i) => v / a[i * p + i]!);
}

const predict = (coef: number[], y: ArrayLike<number>) => coef.reduce((s, c, i) => s + c * (i < coef.length - 1 ? y[i]! : 1), 0);

/**
 * Encodes every training item (latent means), fits the densities, the per-label Gaussians and the level model.
 * @example const sampler = await fitSampler(ckpt.vae, await openDataset(ckpt.dataset.path), clipSettings(ckpt), ckpt.training.epoch);
 */
export async function fitSampler(
  vae: Vae,
  ds: SpectrogramDataset,
  settings: ClipSettings,
  epoch: number,
  options: Partial<DensityOptions> = {},
  onProgress: (done: number, total: number) => void = () => {},
): Promise<LatentSampler> {
  const o = { ...DEFAULT_DENSITY, ...options };
  const indices = ds.indices('train');
  if (indices.length < 3) throw new UserError(`${ds.dir}: ${indices.length} training items are too few to fit a latent density`);
  const size = ds.shape[0] * ds.shape[1];
  const codes: Float32Array[] = [];
  const labels: (string | undefined)[] = [];
  const mins: number[] = [];
  const maxs: number[] = [];
  const rms: number[] = [];
  // a spread of items kept for the diversity figure
  const keep = new Set(spreadPick(indices.length, 64));
  const kept: { x01: Float32Array; range: DbRange }[] = [];
  for await (const b of ds.batches(indices, 128, { shuffle: false })) {
    const first = codes.length;
    const items = b.indices.map((_, i) => b.data.subarray(i * size, (i + 1) * size));
    codes.push(...encodeItems(vae, items).mu);
    b.indices.forEach((index, i) => {
      const it = ds.manifest.items[index]!;
      const range = { min: it.min, max: it.max };
      if (keep.has(first + i)) kept.push({ x01: items[i]!.slice(), range });
      labels.push(it.label);
      mins.push(it.min);
      maxs.push(it.max);
      rms.push(energyToRmsDb(itemEnergy(items[i]!, range, settings), settings));
    });
    onProgress(codes.length, indices.length);
  }
  const spread = diversity(kept);
  const subspace = fitSubspace(codes, o.components);
  const ys = codes.map((c) => project(subspace, c));
  const byLabel = new Map<string, Float64Array[]>();
  labels.forEach((l, i) => l !== undefined && byLabel.set(l, [...(byLabel.get(l) ?? []), ys[i]!]));
  const labelled = [...byLabel].filter(([, rows]) => rows.length >= 3);
  const field = mainLabelField(ds.manifest.settings);
  return {
    format: SAMPLER_FORMAT,
    version: SAMPLER_VERSION,
    items: codes.length,
    epoch,
    subspace,
    gaussian: fitGaussian(ys, o.shrinkage),
    gmm: fitMixture(ys, o),
    labels:
      labelled.length >= 2 ? { field, values: Object.fromEntries(labelled.map(([l, rows]) => [l, fitGaussian(rows, Math.max(o.shrinkage, 0.2))])) } : undefined,
    range: { min: ridge(ys, mins), max: ridge(ys, maxs) },
    trainRms: levelStats(rms),
    diversity: spread,
    neighbours: {
      codes: encodeCodes(codes, 'float16'),
      encoding: 'float16',
      labels: labels.map((l) => l ?? null),
      near: nearestCodes(codes, NEIGHBOURS),
      nearSameLabel: nearestCodes(codes, NEIGHBOURS, labels),
    },
  };
}

/** The name of a dataset's main label ('digit' for FSDD's pattern, 'folder' for folder labels), or 'label'. */
export function mainLabelField(settings: Pick<RecordedSettings, 'labels'>): string {
  const { labels } = settings;
  if (!labels?.from || labels.from === 'none') return 'label';
  return labels.field ?? labelReader(labels as LabelOptions).fields[0] ?? 'label';
}

/** What to draw: a sampler, a temperature, and optionally one label value. */
export interface DrawOptions {
  sampler: SamplerKind;
  temperature: number;
  seed: number;
  label?: string;
}

/**
 * `count` codes from the chosen density (or one label's Gaussian). `prior` needs no fitted sampler.
 * @throws UserError for an unknown label value or a missing sampler.
 */
export function drawCodes(sampler: LatentSampler | undefined, latent: number, count: number, o: DrawOptions): Float32Array[] {
  if (o.sampler === 'prior' && o.label === undefined) return samplePrior(count, latent, o.temperature, o.seed);
  if (!sampler) throw new UserError(`--sampler ${o.sampler} needs a fitted sampler: run soundvae fit-sampler on the checkpoint`);
  if (o.label !== undefined) checkLabel(sampler, o.label);
  if (o.sampler === 'neighbours') {
    if (!sampler.neighbours) throw new UserError('this sampler.json predates the neighbours sampler: run soundvae fit-sampler on the checkpoint again');
    return drawNeighbours(sampler.neighbours, latent, count, o);
  }
  const gauss = gaussianSource(o.seed);
  const uniform = mulberry32(o.seed + 1); // picks mixture components by weight
  let source: () => SubspaceGaussian;
  if (o.label !== undefined) {
    const g = sampler.labels!.values[o.label]!;
    source = () => g;
  } else if (o.sampler === 'gaussian') source = () => sampler.gaussian;
  else source = () => sampler.gmm.parts[pickComponent(sampler.gmm, uniform())]!;
  return Array.from({ length: count }, () => lift(sampler.subspace, drawSubspace(source(), o.temperature, gauss), o.temperature, gauss));
}

function checkLabel(sampler: LatentSampler, label: string): void {
  if (sampler.labels?.values[label]) return;
  const known = Object.keys(sampler.labels?.values ?? {});
  throw new UserError(
    known.length ? `no label value '${label}': the checkpoint knows ${known.join(', ')}` : 'the checkpoint was trained on a dataset without labels',
  );
}

/** Neighbour codes unpacked, per loaded sampler: a few million float16 values take a third of a second. */
const decodedCodes = new WeakMap<object, Float32Array[]>();

/**
 * Points between a training code and one of its nearest neighbours: z = a + t (b - a), t = 0.5 +- 0.2 x
 * temperature (so temperature 0 gives midpoints; 2.5 reaches the codes themselves). Both ends share a label
 * whenever the training items have labels (and the asked one with --label).
 */
function drawNeighbours(nb: NonNullable<LatentSampler['neighbours']>, latent: number, count: number, o: DrawOptions): Float32Array[] {
  let codes = decodedCodes.get(nb);
  if (!codes) decodedCodes.set(nb, (codes = decodeCodes(nb.codes, latent, nb.encoding ?? 'float32')));
  const rand = mulberry32(o.seed);
  const pool = o.label === undefined ? codes.map((_, i) => i) : codes.map((_, i) => i).filter((i) => nb.labels[i] === o.label);
  return Array.from({ length: count }, () => {
    const a = pool[Math.floor(rand() * pool.length)]!;
    // Two different words (digits, instruments) mixed sound like neither: pair within a label whenever there is one.
    const others = nb.nearSameLabel[a]?.length ? nb.nearSameLabel[a]! : nb.near[a]!;
    const b = others.length ? others[Math.floor(rand() * others.length)]! : a;
    const t = Math.min(1, Math.max(0, 0.5 + 0.2 * o.temperature * (2 * rand() - 1)));
    return codes[a]!.map((v, q) => v + t * (codes[b]![q]! - v));
  });
}

/**
 * The dB range to de-normalise a code's spectrogram with: predicted from where the code lies (trained on the
 * items' own ranges), kept at least 20 dB wide.
 */
export function rangeFor(sampler: LatentSampler, code: ArrayLike<number>): DbRange {
  const y = project(sampler.subspace, code);
  const max = predict(sampler.range.max, y);
  const min = Math.min(predict(sampler.range.min, y), max - 20);
  return { min, max };
}

/** Parses `--label digit=7` or `--label 7` against the sampler's label field. */
export function parseLabel(text: string, sampler: LatentSampler | undefined): string {
  const m = /^([^=]+)=(.*)$/.exec(text);
  if (!m) return text;
  const field = sampler?.labels?.field;
  if (field && m[1] !== field && !(field === 'label')) {
    throw new UserError(`--label ${text}: this checkpoint's labels are '${field}' (e.g. --label ${field}=${Object.keys(sampler!.labels!.values)[0]})`);
  }
  return m[2]!;
}

/** Reads a checkpoint's sampler.json, or undefined when it has none. */
export async function readSampler(checkpointDir: string): Promise<LatentSampler | undefined> {
  const file = path.join(checkpointDir, SAMPLER_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let s: LatentSampler;
  try {
    s = JSON.parse(text) as LatentSampler;
  } catch {
    throw new UserError(`${file}: not valid JSON (delete it and run soundvae fit-sampler again)`);
  }
  if (s.format !== SAMPLER_FORMAT || typeof s.version !== 'number' || s.version > SAMPLER_VERSION || !s.subspace || !s.gmm) {
    throw new UserError(`${file}: not a soundvae sampler of a version this soundvae reads (run soundvae fit-sampler again)`);
  }
  return s;
}

/** Writes sampler.json into a checkpoint folder atomically. */
export async function writeSampler(checkpointDir: string, sampler: LatentSampler): Promise<string> {
  const file = path.join(checkpointDir, SAMPLER_FILE);
  // float32 precision is all the densities need; full doubles would make the file a third larger
  await writeFileAtomic(
    file,
    JSON.stringify(sampler, (_, v) => (typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(7)) : v)),
  );
  return file;
}
