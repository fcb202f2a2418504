import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dsp/random.ts';
import { pca2, scatterSvg, umap2 } from './embed.ts';

/** Gaussian-ish noise from a seeded uniform source (sum of 4 uniforms). */
function noise(rand: () => number): number {
  return rand() + rand() + rand() + rand() - 2;
}

describe('pca2', () => {
  it('finds the directions of largest variance and their shares', () => {
    const rand = mulberry32(3);
    const d = 12;
    const u = Array.from({ length: d }, (_, j) => (j === 2 ? 1 : 0));
    const w = Array.from({ length: d }, (_, j) => (j === 7 ? 1 : 0));
    const vectors = Array.from({ length: 200 }, () => {
      const a = 5 * noise(rand);
      const b = 2 * noise(rand);
      return Float32Array.from({ length: d }, (_, j) => 10 + a * u[j]! + b * w[j]! + 0.1 * noise(rand));
    });
    const { points, explained = [0, 0], axes } = pca2(vectors);
    expect(points).toHaveLength(200);
    // PC1 must follow coordinate 2 (centred), PC2 coordinate 7, up to sign.
    const corr = (k: 0 | 1, j: number) => {
      const xs = points.map((p) => p[k]);
      const ys = vectors.map((v) => v[j]!);
      const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
      const my = ys.reduce((s, v) => s + v, 0) / ys.length;
      let sxy = 0,
        sxx = 0,
        syy = 0;
      xs.forEach((x, i) => {
        sxy += (x - mx) * (ys[i]! - my);
        sxx += (x - mx) ** 2;
        syy += (ys[i]! - my) ** 2;
      });
      return Math.abs(sxy / Math.sqrt(sxx * syy));
    };
    expect(corr(0, 2)).toBeGreaterThan(0.99);
    expect(corr(1, 7)).toBeGreaterThan(0.99);
    expect(explained[0]).toBeGreaterThan(explained[1]);
    expect(explained[0] + explained[1]).toBeGreaterThan(0.95);
    expect(axes[0]).toMatch(/^PC1 \(\d+% of variance\)$/);
  });
});

describe('umap2', () => {
  it('keeps separate clusters apart and repeats with the same seed', () => {
    const rand = mulberry32(5);
    const d = 16;
    const labels: string[] = [];
    const vectors = Array.from({ length: 40 }, (_, i) => {
      const c = i % 2;
      labels.push(String(c));
      return Array.from({ length: d }, (_, j) => (j === c ? 20 : 0) + noise(rand));
    });
    const a = umap2(vectors, { nEpochs: 100 });
    const b = umap2(vectors, { nEpochs: 100 });
    expect(a.points).toEqual(b.points);
    const centre = (c: string) => {
      const pts = a.points.filter((_, i) => labels[i] === c);
      return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
    };
    const c0 = centre('0');
    const c1 = centre('1');
    const between = Math.hypot(c0[0]! - c1[0]!, c0[1]! - c1[1]!);
    const within =
      a.points.reduce((s, p, i) => {
        const c = labels[i] === '0' ? c0 : c1;
        return s + Math.hypot(p[0] - c[0]!, p[1] - c[1]!);
      }, 0) / a.points.length;
    expect(between).toBeGreaterThan(3 * within);
  });
});

describe('scatterSvg', () => {
  it('draws one dot per point, a legend per label in natural order, and escapes text', () => {
    const svg = scatterSvg(
      {
        points: [
          [0, 0],
          [1, 1],
          [2, 0],
          [3, 3],
        ],
        axes: ['x', 'y'],
      },
      ['10', '2', '<b&>', '2'],
      ['a', 'b', 'c"', 'd'],
      { title: 'map & more' },
    );
    expect(svg.match(/<circle cx=/g)).toHaveLength(4);
    expect(svg).toContain('map &amp; more');
    expect(svg).toContain('&lt;b&amp;&gt;');
    expect(svg).toContain('c&quot;');
    expect(svg).not.toContain('<b&>');
    const legend = [...svg.matchAll(/<text x="16" y="4">([^<]*) <tspan/g)].map((m) => m[1]);
    expect(legend).toEqual(['&lt;b&amp;&gt;', '2', '10']);
    expect(svg).toContain('(2)');
  });
});
