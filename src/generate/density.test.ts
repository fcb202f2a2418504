import { describe, expect, it } from 'vitest';
import { drawSubspace, fitGaussian, fitMixture, fitSubspace, gaussianSource, lift, project, symmetricEigen, topEigen } from './density.ts';
import { decodeCodes, drawCodes, encodeCodes, ridge, staggeredPick, type LatentSampler } from './sampler.ts';

/** Points on two clusters in 6 dimensions, spread mostly along the first axis. */
function clusters(n: number, seed = 1): Float32Array[] {
  const g = gaussianSource(seed);
  return Array.from({ length: n }, (_, i) => {
    const centre = i % 2 === 0 ? -5 : 5;
    return Float32Array.from({ length: 6 }, (_, d) => (d === 0 ? centre + 0.5 * g() : d === 1 ? 2 * g() : 0.1 * g()));
  });
}

describe('latent densities', () => {
  it('finds the eigenvalues and vectors of a symmetric matrix, largest first', () => {
    const m = Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]);
    const { values, vectors } = symmetricEigen(m, 3);
    expect(values.map((v) => Number(v.toFixed(6)))).toEqual([5, 3, 1]);
    expect(Math.abs(vectors[0]![2]!)).toBeCloseTo(1, 6);
    expect(Math.abs(vectors[1]![0]! * Math.SQRT2)).toBeCloseTo(1, 6);
  });

  it('finds the top eigenpairs of a large covariance by subspace iteration, as the full decomposition does', () => {
    // a 200 x 200 covariance of 300 points with a decaying spectrum (the shape of real latent codes)
    const n = 200;
    const g = gaussianSource(3);
    const points = Array.from({ length: 300 }, () => Float64Array.from({ length: n }, (_, d) => g() / (1 + d / 4)));
    const m = new Float64Array(n * n);
    for (const p of points) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] += (p[i]! * p[j]!) / points.length;
    const full = symmetricEigen(m, n);
    const top = topEigen(m, n, 12);
    expect(top.values).toHaveLength(12);
    top.values.forEach((v, k) => {
      expect(v, `eigenvalue ${k}`).toBeCloseTo(full.values[k]!, 6);
      const dot = top.vectors[k]!.reduce((s, x, i) => s + x * full.vectors[k]![i]!, 0);
      expect(Math.abs(dot), `eigenvector ${k} (|cos| to Jacobi's)`).toBeGreaterThan(1 - 1e-6);
    });
  });

  it('keeps the principal directions and the variance left outside them', () => {
    const s = fitSubspace(clusters(400), 2);
    expect(Math.abs(s.basis[0]![0]!)).toBeGreaterThan(0.99); // the clusters' axis first
    expect(Math.abs(s.basis[1]![1]!)).toBeGreaterThan(0.99);
    expect(s.residualVariance).toBeGreaterThan(0.005);
    expect(s.residualVariance).toBeLessThan(0.02); // 0.1^2 per remaining dimension
  });

  it('fits a mixture that finds both clusters where one Gaussian sits between them', () => {
    const points = clusters(400);
    const s = fitSubspace(points, 2);
    const ys = points.map((p) => project(s, p));
    const one = fitGaussian(ys);
    expect(Math.abs(one.mean[0]!)).toBeLessThan(0.5);
    const mix = fitMixture(ys, { mixture: 2, seed: 3 });
    expect(mix.parts).toHaveLength(2);
    const centres = mix.parts.map((g) => g.mean[0]!).sort((a, b) => a - b);
    expect(centres[0]).toBeCloseTo(-5, 0);
    expect(centres[1]).toBeCloseTo(5, 0);
    mix.weights.forEach((w) => expect(w).toBeCloseTo(0.5, 1));
  });

  it('draws codes with the fitted mean and spread, scaled by the temperature', () => {
    const points = clusters(400);
    const s = fitSubspace(points, 2);
    const g = fitGaussian(points.map((p) => project(s, p)));
    const gauss = gaussianSource(7);
    const draws = Array.from({ length: 2000 }, () => lift(s, drawSubspace(g, 1, gauss), 1, gauss));
    const sd = (k: number, rows: Float32Array[]) => Math.sqrt(rows.reduce((t, r) => t + r[k]! ** 2, 0) / rows.length);
    expect(sd(0, draws)).toBeCloseTo(sd(0, points), 0);
    const cold = Array.from({ length: 10 }, () => lift(s, drawSubspace(g, 0, gauss), 0, gauss));
    cold.forEach((c) => expect(Math.abs(c[0]! - s.center[0]!)).toBeLessThan(1e-9));
  });

  it('draws the same codes for the same seed and refuses an unknown label', () => {
    const points = clusters(100);
    const subspace = fitSubspace(points, 2);
    const ys = points.map((p) => project(subspace, p));
    const sampler = {
      subspace,
      gaussian: fitGaussian(ys),
      gmm: fitMixture(ys, { mixture: 2 }),
      labels: { field: 'digit', values: { '1': fitGaussian(ys.filter((_, i) => i % 2 === 1)) } },
    } as unknown as LatentSampler;
    const a = drawCodes(sampler, 6, 3, { sampler: 'gmm', temperature: 1, seed: 4 });
    expect(drawCodes(sampler, 6, 3, { sampler: 'gmm', temperature: 1, seed: 4 })).toEqual(a);
    const ones = drawCodes(sampler, 6, 50, { sampler: 'gmm', temperature: 1, seed: 4, label: '1' });
    ones.forEach((c) => expect(c[0]).toBeGreaterThan(2)); // label 1 is the cluster at +5
    expect(() => drawCodes(sampler, 6, 1, { sampler: 'gmm', temperature: 1, seed: 0, label: '9' })).toThrow(/no label value '9'.*knows 1/);
    expect(() => drawCodes(undefined, 6, 1, { sampler: 'gmm', temperature: 1, seed: 0 })).toThrow(/fit-sampler/);
  });

  it('recovers a linear relation by ridge regression', () => {
    const rows = Array.from({ length: 50 }, (_, i) => Float64Array.from([i / 10, Math.sin(i)]));
    const coef = ridge(
      rows,
      rows.map((r) => 3 * r[0]! - 2 * r[1]! + 7),
      1e-9,
    );
    expect(coef[0]).toBeCloseTo(3, 4);
    expect(coef[1]).toBeCloseTo(-2, 4);
    expect(coef[2]).toBeCloseTo(7, 4);
  });
});

describe('mixture sampling', () => {
  it('picks components in proportion to their weights', async () => {
    const { pickComponent } = await import('./density.ts');
    const { mulberry32 } = await import('../dsp/random.ts');
    const mix = { weights: [0.2, 0.8], parts: [] };
    const rand = mulberry32(1);
    let second = 0;
    for (let i = 0; i < 5000; i++) second += pickComponent(mix, rand());
    expect(second / 5000).toBeCloseTo(0.8, 1);
  });
});

describe('the neighbours sampler', () => {
  it('draws between a training code and one of its nearest neighbours, within the label when asked', async () => {
    const { drawCodes, nearestCodes } = await import('./sampler.ts');
    // two labelled lines of codes, far apart
    const codes = Array.from({ length: 20 }, (_, i) => Float32Array.from([i < 10 ? i : 100 + i, 0]));
    const labels = codes.map((_, i) => (i < 10 ? 'a' : 'b'));
    const flat = new Float32Array(40);
    codes.forEach((c, i) => flat.set(c, 2 * i));
    const sampler = {
      labels: { field: 'x', values: { a: {}, b: {} } },
      neighbours: { codes: Buffer.from(flat.buffer).toString('base64'), labels, near: nearestCodes(codes, 2), nearSameLabel: nearestCodes(codes, 2, labels) },
    } as unknown as LatentSampler;
    expect(nearestCodes(codes, 2)[0]).toEqual([1, 2]);
    const drawn = drawCodes(sampler, 2, 200, { sampler: 'neighbours', temperature: 1, seed: 3 });
    // every draw lies within 2 (the neighbour reach) of some training code, never in the gap between the lines
    drawn.forEach((z) => expect(Math.min(...codes.map((c) => Math.abs(c[0]! - z[0]!)))).toBeLessThanOrEqual(2));
    const bs = drawCodes(sampler, 2, 100, { sampler: 'neighbours', temperature: 1, seed: 3, label: 'b' });
    bs.forEach((z) => expect(z[0]).toBeGreaterThanOrEqual(110));
    const mid = drawCodes(sampler, 2, 5, { sampler: 'neighbours', temperature: 0, seed: 3 });
    mid.forEach((z) => expect(z[0]! % 0.5).toBeCloseTo(0, 5)); // temperature 0: midpoints of integer codes
  });

  it('pairs codes of the same label even when another label lies nearer', async () => {
    const { drawCodes, nearestCodes } = await import('./sampler.ts');
    // label a on the line y = 0, label b on y = 1, both at x = 0, 3, 6...: the nearest code is the other label's
    const codes = Array.from({ length: 20 }, (_, i) => Float32Array.from([3 * (i >> 1), i % 2]));
    const labels = codes.map((_, i) => (i % 2 ? 'b' : 'a'));
    const flat = new Float32Array(40);
    codes.forEach((c, i) => flat.set(c, 2 * i));
    const sampler = {
      labels: { field: 'x', values: { a: {}, b: {} } },
      neighbours: { codes: Buffer.from(flat.buffer).toString('base64'), labels, near: nearestCodes(codes, 2), nearSameLabel: nearestCodes(codes, 2, labels) },
    } as unknown as LatentSampler;
    expect(labels[nearestCodes(codes, 1)[0]![0]!]).toBe('b');
    const drawn = drawCodes(sampler, 2, 200, { sampler: 'neighbours', temperature: 1, seed: 5 });
    drawn.forEach((z) => expect([0, 1], `a draw at y = ${z[1]} mixes the two labels`).toContain(z[1]));
  });

  it('stores neighbour codes as float16 at half the size, and still reads version-1 float32 codes', () => {
    const codes = clusters(50);
    const half = encodeCodes(codes, 'float16');
    const full = encodeCodes(codes, 'float32');
    expect(Buffer.from(half, 'base64').byteLength).toBe(50 * 6 * 2);
    expect(decodeCodes(full, 6, 'float32')).toEqual(codes);
    decodeCodes(half, 6, 'float16').forEach((c, i) =>
      c.forEach((v, d) => expect(Math.abs(v - codes[i]![d]!), `code ${i} dim ${d}`).toBeLessThanOrEqual(Math.abs(codes[i]![d]!) * 2 ** -11 + 1e-7)),
    );
  });

  it('picks items that walk through the inner order of a sorted list (every speaker of FSDD-ordered takes)', () => {
    // 10 digits x 6 speakers x 5 takes, in that order, as FSDD's validation split is
    const items = Array.from({ length: 300 }, (_, i) => ({ digit: Math.floor(i / 30), speaker: Math.floor((i % 30) / 5) }));
    const picked = staggeredPick(300, 10).map((k) => items[k]!);
    expect(new Set(picked.map((p) => p.digit)).size, 'digits covered').toBe(10);
    expect(new Set(picked.map((p) => p.speaker)).size, 'speakers covered').toBe(6);
    expect(staggeredPick(3, 10)).toEqual([0, 1, 2]);
  });
});
