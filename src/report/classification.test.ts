import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import { evaluatePredictions } from '../classify/metrics.ts';
import { confusionHtml, curvesSvg, spread, writeClassificationReport } from './classification.ts';
import { makeClassifierFixture } from '../classify/test-fixture.ts';

describe('classification report', () => {
  let root: string;
  let classifier: string;
  beforeAll(async () => {
    await initBackend('cpu');
    root = mkdtempSync(path.join(tmpdir(), 'soundvae-classify-report-'));
    ({ classifier } = await makeClassifierFixture(root));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes one offline page with the confusion matrix, per-class table, curves and embedding maps', async () => {
    const out = path.join(root, 'report');
    const { file, report } = await writeClassificationReport({ classifier, out, mapItems: 100, umap: true });
    expect(file).toBe(path.join(out, 'index.html'));
    expect(report.count, 'takes 0 and 1 of three digits').toBe(6);
    const html = readFileSync(file, 'utf8');
    for (const id of ['confusion', 'per-class', 'curves', 'embedding']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain(`${(100 * report.accuracy).toFixed(1)}%`);
    expect(html.match(/<svg[^>]*class="scatter"/g), 'PCA and UMAP').toHaveLength(2);
    expect(html.match(/<circle cx=[^>]*fill="#4e79a7"><title>[^<]*tester/g)?.length, 'two validation items of digit 1 on each map').toBe(4);
    expect(html).toMatch(/last hidden layer \((&#39;|&#x27;)embedding/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('shades confusion cells by their share of the row', () => {
    const r = evaluatePredictions(new Float32Array([0.9, 0.1, 0.2, 0.8, 0.6, 0.4]), [0, 1, 1], ['cat', 'dog']);
    const html = confusionHtml(r);
    expect(html).toContain('<th>cat</th><td style="background:rgba(109,63,192,1.000)');
    expect(html).toMatch(/<th>dog<\/th><td style="background:rgba\(109,63,192,0\.500\)[^>]*>1<\/td><td style="background:rgba\(109,63,192,0\.500\)/);
  });

  it('draws train and validation curves and spreads map items evenly', () => {
    const svg = curvesSvg([
      { epoch: 1, trainLoss: 2, trainAccuracy: 0.3, valLoss: 2.2, valAccuracy: 0.25, seconds: 1 },
      { epoch: 2, trainLoss: 1, trainAccuracy: 0.6, valLoss: null, valAccuracy: null, seconds: 1 },
    ]);
    expect(svg.match(/<path /g), 'only train has two points per panel').toHaveLength(2);
    expect(svg.match(/<title>validation/g)).toHaveLength(2);
    expect(spread(10, 4)).toEqual([0, 2, 5, 7]);
    expect(spread(3, 4)).toEqual([0, 1, 2]);
  });
});
