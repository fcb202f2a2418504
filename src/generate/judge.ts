/**
 * Judging generated sounds against real ones, without listening:
 * - Fréchet distance between Gaussians fitted to two sets of embeddings (the idea of FID / FAD: Heusel et al.
 *   2017, Kilgour et al. 2019): a classifier's penultimate layer when one is given, else log-mel statistics;
 * - recognisability by a classifier: the share of samples it assigns a class with probability >= 0.8, how many
 *   classes they cover, and the entropy of the mean prediction (high when samples spread over the classes).
 * Plain arrays, no tfjs (the classifier's outputs come in as numbers).
 */
import { symmetricEigen } from './density.ts';
import type { DbRange } from './invert.ts';
import type { ClipSettings } from './spectra.ts';

/** Mel bands of the fixed fallback feature. */
export const FEATURE_MEL_BANDS = 40;

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

/**
 * Log-mel statistics of a normalised spectrogram: the mean and standard deviation over time of each of `bands`
 * triangular mel bands of its power, in dB. A fixed feature, so it needs no trained model.
 */
export function logMelStats(x01: Float32Array, range: DbRange, s: ClipSettings, bands = FEATURE_MEL_BANDS): Float32Array {
  const { bins, frames, sampleRate } = s;
  const nyquist = sampleRate / 2;
  const edges = Array.from({ length: bands + 2 }, (_, i) => melToHz((hzToMel(nyquist) * i) / (bands + 1)));
  const hzPerBin = sampleRate / s.stft.nFft;
  const out = new Float32Array(2 * bands);
  const band = new Float64Array(frames);
  const span = range.max - range.min;
  for (let b = 0; b < bands; b++) {
    band.fill(0);
    let weight = 0;
    for (let k = 0; k < bins; k++) {
      const hz = k * hzPerBin;
      const w = hz <= edges[b + 1]! ? (hz - edges[b]!) / (edges[b + 1]! - edges[b]!) : (edges[b + 2]! - hz) / (edges[b + 2]! - edges[b + 1]!);
      if (!(w > 0)) continue;
      weight += w;
      for (let t = 0; t < frames; t++) band[t] += w * 10 ** ((x01[k * frames + t]! * span + range.min) / 10);
    }
    let mean = 0,
      sq = 0;
    for (let t = 0; t < frames; t++) {
      const db = 10 * Math.log10(Math.max(band[t]! / Math.max(weight, 1e-12), 1e-12));
      mean += db;
      sq += db * db;
    }
    mean /= frames;
    out[b] = mean;
    out[bands + b] = Math.sqrt(Math.max(0, sq / frames - mean * mean));
  }
  return out;
}

/** Mean and covariance of rows. */
function moments(rows: Float32Array[]): { mean: Float64Array; cov: Float64Array; d: number } {
  const d = rows[0]!.length;
  const n = rows.length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let i = 0; i < d; i++) mean[i] += r[i]! / n;
  const cov = new Float64Array(d * d);
  for (const r of rows) {
    for (let i = 0; i < d; i++) {
      const di = r[i]! - mean[i]!;
      for (let j = 0; j <= i; j++) cov[i * d + j] += (di * (r[j]! - mean[j]!)) / Math.max(1, n - 1);
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[j * d + i] = cov[i * d + j]!;
  return { mean, cov, d };
}

/**
 * Fréchet distance between Gaussians fitted to two sets of embeddings:
 * |mu_a - mu_b|^2 + tr(Ca + Cb - 2 (Ca^1/2 Cb Ca^1/2)^1/2). 0 for identical sets; compare with the distance of
 * two real sets (e.g. validation against training) as the floor.
 */
export function frechetDistance(a: Float32Array[], b: Float32Array[]): number {
  if (a.length < 2 || b.length < 2) return NaN;
  const A = moments(a);
  const B = moments(b);
  const d = A.d;
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (A.mean[i]! - B.mean[i]!) ** 2;
  // Ca^1/2 from its eigen-decomposition, then the eigenvalues of Ca^1/2 Cb Ca^1/2 (symmetric, PSD).
  const ea = symmetricEigen(A.cov, d);
  const root = new Float64Array(d * d);
  ea.vectors.forEach((v, k) => {
    const s = Math.sqrt(Math.max(0, ea.values[k]!));
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) root[i * d + j] += s * v[i]! * v[j]!;
  });
  const tmp = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += root[i * d + k]! * B.cov[k * d + j]!;
      tmp[i * d + j] = s;
    }
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += tmp[i * d + k]! * root[k * d + j]!;
      m[i * d + j] = s;
    }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) m[i * d + j] = m[j * d + i] = (m[i * d + j]! + m[j * d + i]!) / 2;
  const crossTrace = symmetricEigen(m, d).values.reduce((s, v) => s + Math.sqrt(Math.max(0, v)), 0);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += A.cov[i * d + i]! + B.cov[i * d + i]!;
  return meanTerm + trace - 2 * crossTrace;
}

/** How recognisable samples are to a classifier. */
export interface Recognisability {
  /** Share of samples whose top class has probability >= `threshold`. */
  recognisable: number;
  threshold: number;
  /** Distinct top classes among the recognisable samples. */
  classesCovered: number;
  classes: number;
  /** Entropy (bits) of the mean class distribution; log2(classes) when samples spread evenly. */
  meanEntropy: number;
  /** Count of recognisable samples per class. */
  perClass: Record<string, number>;
  /** The share of samples whose top class is `expected` (for label-conditioned samples). */
  asExpected?: number;
}

/** The confidence above which a sample counts as recognisable. */
export const RECOGNISABLE_P = 0.8;

/**
 * Recognisability of samples from their class probabilities (rows of `classes.length`).
 * @param expected the class every sample should be (label-conditioned generation), if any.
 */
export function recognisability(probs: Float32Array, classes: readonly string[], expected?: string, threshold = RECOGNISABLE_P): Recognisability {
  const c = classes.length;
  const n = probs.length / c;
  const perClass: Record<string, number> = {};
  const mean = new Float64Array(c);
  let confident = 0,
    hits = 0;
  for (let i = 0; i < n; i++) {
    let top = 0;
    for (let j = 0; j < c; j++) {
      mean[j] += probs[i * c + j]! / n;
      if (probs[i * c + j]! > probs[i * c + top]!) top = j;
    }
    if (classes[top] === expected) hits++;
    if (probs[i * c + top]! >= threshold) {
      confident++;
      perClass[classes[top]!] = (perClass[classes[top]!] ?? 0) + 1;
    }
  }
  const meanEntropy = -mean.reduce((s, p) => s + (p > 0 ? p * Math.log2(p) : 0), 0);
  return {
    recognisable: n ? confident / n : 0,
    threshold,
    classesCovered: Object.keys(perClass).length,
    classes: c,
    meanEntropy,
    perClass,
    asExpected: expected === undefined ? undefined : n ? hits / n : 0,
  };
}

/** A multinomial logistic regression on standardised features: a small classifier that needs no tfjs. */
export interface FeatureClassifier {
  classes: string[];
  mean: Float32Array;
  scale: Float32Array;
  /** classes x (features + 1) weights, the bias last. */
  weights: Float64Array[];
}

/**
 * Fits a logistic regression (softmax, L2 penalty `l2`) by full-batch gradient descent: a fixed, independent
 * judge of which family a sound belongs to when no trained classifier is given (e.g. on log-mel statistics).
 */
export function fitFeatureClassifier(features: Float32Array[], labels: string[], iterations = 400, rate = 0.5, l2 = 1e-3): FeatureClassifier {
  const classes = [...new Set(labels)].sort();
  const d = features[0]!.length;
  const n = features.length;
  const mean = new Float32Array(d);
  const scale = new Float32Array(d);
  for (const f of features) for (let i = 0; i < d; i++) mean[i] += f[i]! / n;
  for (const f of features) for (let i = 0; i < d; i++) scale[i] += (f[i]! - mean[i]!) ** 2 / n;
  for (let i = 0; i < d; i++) scale[i] = 1 / Math.sqrt(scale[i]! + 1e-9);
  const xs = features.map((f) => Float64Array.from({ length: d + 1 }, (_, i) => (i < d ? (f[i]! - mean[i]!) * scale[i]! : 1)));
  const ys = labels.map((l) => classes.indexOf(l));
  const weights = classes.map(() => new Float64Array(d + 1));
  const model = { classes, mean, scale, weights };
  for (let it = 0; it < iterations; it++) {
    const grad = classes.map(() => new Float64Array(d + 1));
    xs.forEach((x, k) => {
      const p = softmaxRow(weights, x);
      p.forEach((pc, c) => {
        const g = pc - (ys[k] === c ? 1 : 0);
        for (let i = 0; i <= d; i++) grad[c]![i] += (g * x[i]!) / n;
      });
    });
    weights.forEach((w, c) => {
      for (let i = 0; i <= d; i++) w[i] -= rate * (grad[c]![i]! + (i < d ? l2 * w[i]! : 0));
    });
  }
  return model;
}

function softmaxRow(weights: Float64Array[], x: Float64Array): number[] {
  const z = weights.map((w) => w.reduce((s, v, i) => s + v * x[i]!, 0));
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

/** Class probabilities of feature rows (rows of classes.length). */
export function predictFeatures(model: FeatureClassifier, features: Float32Array[]): Float32Array {
  const d = model.mean.length;
  const out = new Float32Array(features.length * model.classes.length);
  features.forEach((f, k) => {
    const x = Float64Array.from({ length: d + 1 }, (_, i) => (i < d ? (f[i]! - model.mean[i]!) * model.scale[i]! : 1));
    out.set(softmaxRow(model.weights, x), k * model.classes.length);
  });
  return out;
}

/** A trained classifier seen as a judge of generated sounds (classify/judge.ts loads one). */
export interface ClassifierJudge {
  dir: string;
  classes: string[];
  /** The dataset label field it predicts (e.g. 'digit'). */
  field: string;
  /** Class probabilities (rows of classes.length) and embeddings of items of the classifier's input shape. */
  run(items: Float32Array[]): { probs: Float32Array; embeddings: Float32Array[] };
  dispose(): void;
}
