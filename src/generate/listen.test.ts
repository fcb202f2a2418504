import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioLevels } from '../audio/cleanup.ts';
import { initBackend } from '../backend/backend.ts';
import { epochListener } from './listen.ts';
import { makeFixture } from './test-fixture.ts';

describe('epochListener (TensorBoard sounds of a run)', () => {
  let root: string;
  let fx: Awaited<ReturnType<typeof makeFixture>>;
  beforeAll(async () => {
    await initBackend('cpu');
    root = mkdtempSync(path.join(tmpdir(), 'soundvae-listen-'));
    fx = await makeFixture(root);
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('gives the originals once, then reconstructions levelled to them, named after their files', async () => {
    const listen = epochListener(fx.data);
    const first = await listen(path.join(fx.run, 'best'));
    // the fixture holds out take 0 of digits 1-3: three validation items
    expect(first.map((s) => s.tag)).toEqual([
      'original/1_tester_0',
      'original/2_tester_0',
      'original/3_tester_0',
      'reconstruction/1_tester_0',
      'reconstruction/2_tester_0',
      'reconstruction/3_tester_0',
    ]);
    for (const s of first) {
      expect(s.sampleRate).toBe(8000);
      expect(s.audio.every(Number.isFinite), s.tag).toBe(true);
    }
    const original = audioLevels(first[0]!.audio).rms;
    expect(Math.abs(audioLevels(first[3]!.audio).rms - original), 'reconstruction levelled to the original (dB)').toBeLessThan(1.5);
    const second = await listen(path.join(fx.run, 'best'));
    expect(second.map((s) => s.tag)).toEqual(['reconstruction/1_tester_0', 'reconstruction/2_tester_0', 'reconstruction/3_tester_0']);
  }, 60_000);
});
