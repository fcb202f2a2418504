/**
 * Densities over latent codes, fitted after training to where the training data actually lies (ex-post density
 * estimation: Ghosh et al. 2020, "From Variational to Deterministic Autoencoders"). A VAE whose reconstruction
 * weight dwarfs its KL term does not fill N(0, I): its codes sit far from the origin on a lower-dimensional
 * cloud, and prior draws decode to near-silence. Sampling from a density fitted to the training codes lands on
 * the data instead.
 *
 * Everything lives in a principal subspace of the codes (PPCA, Tipping & Bishop 1999): the top `components`
 * directions carry a full-covariance Gaussian or a mixture, the rest an isotropic Gaussian with the leftover
 * variance, so a density over a 256-value code is fitted from a few hundred items without a singular covariance.
 * Plain arrays, no tfjs.
 */
import { mulberry32 } from '../dsp/random.ts';

/** A Gaussian in the subspace: mean and the lower Cholesky factor of its covariance (row-major p x p). */
export interface SubspaceGaussian {
  mean: number[];
  chol: number[];
}

/** A mixture of Gaussians in the subspace. */
export interface Mixture {
  weights: number[];
  parts: SubspaceGaussian[];
}

/** The shared principal subspace: codes are `center + basis^T y + residual`. */
export interface Subspace {
  /** Values in one code. */
  dim: number;
  center: number[];
  /** `components` rows of `dim` values: orthonormal principal directions. */
  basis: number[][];
  /** Variance per dimension outside the subspace (isotropic). */
  residualVariance: number;
}

export interface DensityOptions {
  /** Principal directions kept (at most dim and items - 1). */
  components: number;
  /** Mixture components of the 'gmm' density. */
  mixture: number;
  /** EM iterations for the mixture. */
  iterations: number;
  /** Shrinks each covariance towards its diagonal by this share (keeps small label groups well conditioned). */
  shrinkage: number;
  seed: number;
}

/** 64 directions keep > 90 % of the variance of the codes measured here; 10 parts = FSDD's digit count. */
export const DEFAULT_DENSITY: DensityOptions = { components: 64, mixture: 10, iterations: 25, shrinkage: 0.05, seed: 0 };

// --- small linear algebra on row-major arrays --------------------------------------------------------------------

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi): eigenvalues descending with their vectors as rows. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: number[]; vectors: number[][] } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!,
            akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!,
            aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!,
            vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]!);
  return { values: order.map((i) => a[i * n + i]!), vectors: order.map((i) => Array.from({ length: n }, (_, k) => v[k * n + i]!)) };
}

/** Orthonormalises rows in place (modified Gram-Schmidt, twice for accuracy); a row that vanishes is redrawn. */
function orthonormalRows(rows: Float64Array[], rand: () => number): void {
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j]!;
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < j; i++) {
          const q = rows[i]!;
          let dot = 0;
          for (let t = 0; t < r.length; t++) dot += q[t]! * r[t]!;
          for (let t = 0; t < r.length; t++) r[t] -= dot * q[t]!;
        }
      }
      const norm = Math.sqrt(r.reduce((sum, v) => sum + v * v, 0));
      if (norm > 1e-12 || attempt > 3) {
        for (let t = 0; t < r.length; t++) r[t] /= norm || 1;
        break;
      }
      for (let t = 0; t < r.length; t++) r[t] = rand() - 0.5;
    }
  }
}

/**
 * The `k` largest eigenpairs of a symmetric positive semi-definite n x n matrix, by subspace iteration with
 * Rayleigh-Ritz (Saad 2011, "Numerical Methods for Large Eigenvalue Problems", ch. 5) on an oversampled block:
 * O(n^2 k) per iteration where Jacobi costs O(n^3) per sweep, so the covariance of a 1024-value code takes
 * seconds instead of minutes. Iterates until every wanted pair's residual |A v - lambda v| is below
 * `tolerance` x the largest eigenvalue, or `maxIterations` (then the Ritz pairs reached, the best in the block's
 * span: close enough for a density's principal subspace). Small matrices go straight to Jacobi.
 */
export function topEigen(matrix: Float64Array, n: number, k: number, tolerance = 1e-7, maxIterations = 300): { values: number[]; vectors: number[][] } {
  const m = Math.min(n, k + Math.max(8, Math.ceil(k / 4)));
  if (n <= 128 || m >= n / 2) {
    const all = symmetricEigen(matrix, n);
    return { values: all.values.slice(0, k), vectors: all.vectors.slice(0, k) };
  }
  const rand = mulberry32(1);
  let q = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => rand() - 0.5));
  orthonormalRows(q, rand);
  for (let it = 1; ; it++) {
    const z = q.map(() => new Float64Array(n)); // z_j = A q_j
    for (let i = 0; i < n; i++) {
      const row = matrix.subarray(i * n, (i + 1) * n);
      for (let j = 0; j < m; j++) {
        const qj = q[j]!;
        let dot = 0;
        for (let t = 0; t < n; t++) dot += row[t]! * qj[t]!;
        z[j]![i] = dot;
      }
    }
    // Rayleigh-Ritz: the best approximations to eigenpairs within span(q)
    const small = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = a; b < m; b++) {
        let dot = 0;
        for (let t = 0; t < n; t++) dot += q[a]![t]! * z[b]![t]!;
        small[a * m + b] = small[b * m + a] = dot;
      }
    const ritz = symmetricEigen(small, m);
    const combine = (basis: Float64Array[]) =>
      ritz.vectors.map((w) => {
        const out = new Float64Array(n);
        w.forEach((c, a) => {
          const row = basis[a]!;
          for (let t = 0; t < n; t++) out[t] += c * row[t]!;
        });
        return out;
      });
    const vectors = combine(q);
    const images = combine(z);
    const values = ritz.values;
    let worst = 0;
    for (let j = 0; j < k; j++) {
      let r = 0;
      for (let t = 0; t < n; t++) r += (images[j]![t]! - values[j]! * vectors[j]![t]!) ** 2;
      worst = Math.max(worst, Math.sqrt(r));
    }
    if (worst <= tolerance * Math.max(Math.abs(values[0]!), 1e-300) || it >= maxIterations) {
      return { values: values.slice(0, k), vectors: vectors.slice(0, k).map((v) => Array.from(v)) };
    }
    q = images;
    orthonormalRows(q, rand);
  }
}

/** Lower Cholesky factor of a symmetric positive-definite p x p matrix (jitter added until it factors). */
export function cholesky(m: Float64Array, p: number): number[] {
  for (let jitter = 0; ; jitter = jitter ? jitter * 10 : 1e-9) {
    const l = new Float64Array(p * p);
    let ok = true;
    for (let i = 0; i < p && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = m[i * p + j]! + (i === j ? jitter : 0);
        for (let k = 0; k < j; k++) sum -= l[i * p + k]! * l[j * p + k]!;
        if (i === j) {
          if (!(sum > 0)) ok = false;
          else l[i * p + i] = Math.sqrt(sum);
        } else l[i * p + j] = sum / l[j * p + j]!;
      }
    }
    if (ok) return Array.from(l);
    if (jitter > 1e3) throw new Error('covariance is not positive definite');
  }
}

/** Mean and covariance (shrunk towards its diagonal) of weighted rows; weights sum to > 0. */
function weightedGaussian(rows: Float64Array[], weights: ArrayLike<number>, p: number, shrinkage: number): SubspaceGaussian {
  let total = 0;
  const mean = new Float64Array(p);
  rows.forEach((r, n) => {
    total += weights[n]!;
    for (let i = 0; i < p; i++) mean[i] += weights[n]! * r[i]!;
  });
  for (let i = 0; i < p; i++) mean[i] /= total;
  const cov = new Float64Array(p * p);
  const d = new Float64Array(p);
  rows.forEach((r, n) => {
    const w = weights[n]!;
    if (w < 1e-8) return; // a point this far from a component moves nothing
    for (let i = 0; i < p; i++) d[i] = r[i]! - mean[i]!;
    for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) cov[i * p + j] += w * d[i]! * d[j]!;
  });
  let trace = 0;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      const c = (cov[i * p + j]! / total) * (i === j ? 1 : 1 - shrinkage);
      cov[i * p + j] = c;
      cov[j * p + i] = c;
    }
    trace += cov[i * p + i]!;
  }
  // A floor relative to the overall variance keeps a group of fewer points than dimensions invertible.
  for (let i = 0; i < p; i++) cov[i * p + i] += 1e-3 * (trace / p) + 1e-12;
  return { mean: Array.from(mean), chol: cholesky(cov, p) };
}

/** log N(y; g) up to the shared constant -p/2 log 2 pi. */
function logDensity(y: Float64Array, g: SubspaceGaussian, p: number): number {
  // Solve L u = y - mean; log N = -|u|^2 / 2 - sum log diag(L)
  const u = new Float64Array(p);
  let quad = 0,
    logDet = 0;
  for (let i = 0; i < p; i++) {
    let s = y[i]! - g.mean[i]!;
    for (let k = 0; k < i; k++) s -= g.chol[i * p + k]! * u[k]!;
    u[i] = s / g.chol[i * p + i]!;
    quad += u[i]! * u[i]!;
    logDet += Math.log(g.chol[i * p + i]!);
  }
  return -0.5 * quad - logDet;
}

// --- fitting -----------------------------------------------------------------------------------------------------

/** Principal subspace of the codes: their mean, the top directions, and the variance left outside them. */
export function fitSubspace(codes: Float32Array[], components: number): Subspace {
  const n = codes.length;
  const dim = codes[0]!.length;
  const center = new Float64Array(dim);
  for (const c of codes) for (let i = 0; i < dim; i++) center[i] += c[i]! / n;
  const cov = new Float64Array(dim * dim);
  const d = new Float64Array(dim);
  for (const c of codes) {
    for (let i = 0; i < dim; i++) d[i] = c[i]! - center[i]!;
    for (let i = 0; i < dim; i++) {
      const di = d[i]!;
      if (di === 0) continue;
      for (let j = 0; j <= i; j++) cov[i * dim + j] += di * d[j]!;
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j <= i; j++) cov[j * dim + i] = cov[i * dim + j] = cov[i * dim + j]! / Math.max(1, n - 1);
  const p = Math.max(1, Math.min(components, dim, n - 1));
  const { values, vectors } = topEigen(cov, dim, p);
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += cov[i * dim + i]!;
  const rest = Math.max(0, trace - values.reduce((s, v) => s + v, 0));
  return { dim, center: Array.from(center), basis: vectors, residualVariance: dim > p ? rest / (dim - p) : 0 };
}

/** Coordinates of a code in the subspace. */
export function project(s: Subspace, code: ArrayLike<number>): Float64Array {
  return Float64Array.from(s.basis, (b) => b.reduce((sum, v, i) => sum + v * (code[i]! - s.center[i]!), 0));
}

/** One Gaussian over all the rows. */
export function fitGaussian(rows: Float64Array[], shrinkage = DEFAULT_DENSITY.shrinkage): SubspaceGaussian {
  return weightedGaussian(rows, new Float64Array(rows.length).fill(1), rows[0]!.length, shrinkage);
}

/**
 * A Gaussian mixture by EM, started from k-means++ seeds; returns the mixture and its mean log-likelihood.
 * Components that lose all their points are dropped.
 */
export function fitMixture(rows: Float64Array[], options: Partial<DensityOptions> = {}): Mixture {
  const o = { ...DEFAULT_DENSITY, ...options };
  const n = rows.length;
  const p = rows[0]!.length;
  const k = Math.max(1, Math.min(o.mixture, Math.floor(n / 2)));
  const rand = mulberry32(o.seed);
  // k-means++ seeding: each new centre far from the chosen ones.
  const centres = [rows[Math.floor(rand() * n)]!];
  const dist2 = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
  while (centres.length < k) {
    const d = rows.map((r) => Math.min(...centres.map((c) => dist2(r, c))));
    let pick = rand() * d.reduce((s, v) => s + v, 0);
    let i = 0;
    while (i < n - 1 && (pick -= d[i]!) > 0) i++;
    centres.push(rows[i]!);
  }
  let resp = rows.map((r) => {
    const d = centres.map((c) => dist2(r, c));
    const best = d.indexOf(Math.min(...d));
    return Float64Array.from({ length: k }, (_, j) => (j === best ? 1 : 0));
  });
  let mixture: Mixture = { weights: [], parts: [] };
  for (let it = 0; it < o.iterations; it++) {
    // M step
    const parts: SubspaceGaussian[] = [];
    const weights: number[] = [];
    for (let j = 0; j < resp[0]!.length; j++) {
      const w = resp.map((r) => r[j]!);
      const total = w.reduce((s, v) => s + v, 0);
      if (total < p / 4 + 1) continue; // too few points to hold a covariance
      parts.push(weightedGaussian(rows, w, p, o.shrinkage));
      weights.push(total / n);
    }
    if (parts.length === 0) return { weights: [1], parts: [weightedGaussian(rows, new Float64Array(n).fill(1), p, o.shrinkage)] };
    const sum = weights.reduce((s, v) => s + v, 0);
    mixture = { weights: weights.map((w) => w / sum), parts };
    // E step
    resp = rows.map((r) => {
      const logs = mixture.parts.map((g, j) => Math.log(mixture.weights[j]!) + logDensity(r, g, p));
      const top = Math.max(...logs);
      if (!Number.isFinite(top)) return new Float64Array(mixture.parts.length).fill(1 / mixture.parts.length);
      const e = logs.map((l) => Math.exp(l - top));
      const z = e.reduce((s, v) => s + v, 0);
      return Float64Array.from(e, (v) => v / z);
    });
  }
  return mixture;
}

// --- sampling ----------------------------------------------------------------------------------------------------

/** Seeded standard normal draws (Box-Muller). */
export function gaussianSource(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A draw from a subspace Gaussian with deviations scaled by `temperature`. */
export function drawSubspace(g: SubspaceGaussian, temperature: number, gauss: () => number): Float64Array {
  const p = g.mean.length;
  const e = Float64Array.from({ length: p }, gauss);
  return Float64Array.from({ length: p }, (_, i) => {
    let s = 0;
    for (let k = 0; k <= i; k++) s += g.chol[i * p + k]! * e[k]!;
    return g.mean[i]! + temperature * s;
  });
}

/** Picks a mixture component by weight. */
export function pickComponent(m: Mixture, u: number): number {
  let acc = 0;
  for (let j = 0; j < m.weights.length; j++) if ((acc += m.weights[j]!) >= u) return j;
  return m.weights.length - 1;
}

/** Subspace coordinates back to a full code, with isotropic residual noise outside the subspace. */
export function lift(s: Subspace, y: ArrayLike<number>, temperature: number, gauss: () => number): Float32Array {
  const out = Float64Array.from(s.center);
  s.basis.forEach((b, j) => b.forEach((v, i) => (out[i] += v * y[j]!)));
  if (s.residualVariance > 0 && temperature > 0) {
    // noise e minus its part inside the subspace, scaled to the residual standard deviation
    const e = Float64Array.from({ length: s.dim }, gauss);
    const inside = s.basis.map((b) => b.reduce((sum, v, i) => sum + v * e[i]!, 0));
    s.basis.forEach((b, j) => b.forEach((v, i) => (e[i] -= v * inside[j]!)));
    const sd = temperature * Math.sqrt(s.residualVariance);
    for (let i = 0; i < s.dim; i++) out[i] += sd * e[i]!;
  }
  return Float32Array.from(out);
}
