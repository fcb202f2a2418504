import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../audio/index.ts';
import { initBackend } from '../backend/backend.ts';
import { formatPredictions, meanRows, predictFiles, topClasses } from './predict.ts';
import { FIXTURE_CLIP, FIXTURE_RATE, FIXTURE_TONES, fixtureTone, makeClassifierFixture } from './test-fixture.ts';

describe('classify predict', () => {
  let root: string;
  let classifier: string;
  beforeAll(async () => {
    await initBackend('cpu');
    root = mkdtempSync(path.join(tmpdir(), 'soundvae-predict-'));
    ({ classifier } = await makeClassifierFixture(root));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('classifies a long file clip by clip, and skips unreadable and silent files', async () => {
    // Three clips: digit 1's tone, then 3's, then 2's, each exactly one clip long.
    const order = ['1', '3', '2'];
    const long = new Float32Array(3 * FIXTURE_CLIP);
    order.forEach((d, i) => long.set(fixtureTone(FIXTURE_TONES[d]! + 15, FIXTURE_CLIP, 40 + i), i * FIXTURE_CLIP));
    const longFile = path.join(root, 'long.wav');
    await writeWav(longFile, long, FIXTURE_RATE);
    const bad = path.join(root, 'bad.wav');
    writeFileSync(bad, 'not audio');
    const silent = path.join(root, 'silent.wav');
    await writeWav(silent, new Float32Array(FIXTURE_CLIP), FIXTURE_RATE);

    const results = await predictFiles(classifier, [bad, longFile, silent], { top: 2 });
    expect(results.map((r) => r.file)).toEqual([bad, longFile, silent]);
    expect(results[0]!.error).toMatch(/^.*bad\.wav: /);
    expect(results[2]!.error).toMatch(/silent\.wav: no sound/);
    const r = results[1]!;
    if (r.error !== undefined) throw new Error(r.error);
    expect(r.clips.map((c) => c.offset)).toEqual([0, FIXTURE_CLIP / FIXTURE_RATE, (2 * FIXTURE_CLIP) / FIXTURE_RATE].map((t) => expect.closeTo(t, 6)));
    expect(
      r.clips.map((c) => c.top[0]!.label),
      'each clip recognised',
    ).toEqual(order);
    expect(r.clips[0]!.top).toHaveLength(2);
    expect(r.summary[0]!.probability).toBeLessThan(0.7);

    const text = formatPredictions(results);
    expect(text).toMatch(/bad\.wav: skipped: /);
    expect(text).toMatch(/mean of 3 clips: /);
    expect(text.split('\n').filter((l) => /^\s+0\.0\d s/.test(l))).toHaveLength(3);
  });

  it('ranks classes and averages rows', () => {
    expect(topClasses([0.1, 0.7, 0.2], ['a', 'b', 'c'], 2)).toEqual([
      { label: 'b', probability: 0.7 },
      { label: 'c', probability: 0.2 },
    ]);
    expect(Array.from(meanRows(new Float32Array([1, 0, 0, 1, 0.5, 0.5]), 3, 2))).toEqual([0.5, 0.5]);
  });
});
