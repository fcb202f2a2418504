import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../audio/index.ts';
import { preprocess } from '../dataset/pipeline.ts';
import { resolveSettings } from '../dataset/presets.ts';
import { openDataset } from '../dataset/store.ts';
import { ClipPreparer } from './settings.ts';

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-clipat-'));
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

describe('ClipPreparer', () => {
  it("re-reads a dataset item's audio at its offset when clean-up trimmed leading silence", async () => {
    const sr = 8000;
    // 0.3 s of silence, then a tone whose pitch rises, so a shifted clip is a different sound
    const x = Float32Array.from({ length: sr }, (_, i) => (i < 0.3 * sr ? 0 : 0.5 * Math.sin((2 * Math.PI * (300 * i + (0.2 * i * i) / 2)) / sr)));
    const file = path.join(dir, 'late.wav');
    await writeWav(file, x, sr);
    const overrides = { clip: 2048, split: 'clips' as const, overlap: 0 };
    await preprocess([file], path.join(dir, 'ds'), { preset: 'digits', overrides, split: { validation: 0 }, workers: 0 });
    const ds = await openDataset(path.join(dir, 'ds'));
    const items = ds.manifest.items;
    expect(items.length).toBeGreaterThan(1);
    expect(items[0]!.offset).toBeGreaterThan(0.25); // counted from the file's start, silence included

    const preparer = new ClipPreparer(resolveSettings('digits', overrides));
    const stored = await ds.read(items.map((it) => it.index));
    const size = ds.shape[0] * ds.shape[1];
    for (const [k, item] of items.entries()) {
      const clip = await preparer.clipAt(item.source, item.offset);
      // the same samples as the file at that offset, and so the same spectrogram as the stored item
      const start = Math.round(item.offset * sr);
      const expected = x.subarray(start, start + 2048);
      let diff = 0;
      expected.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - clip.audio[i]!))));
      expect(diff, `item ${k} at ${item.offset} s`).toBeLessThan(1e-3);
      let specDiff = 0;
      clip.x01.forEach((v, i) => (specDiff = Math.max(specDiff, Math.abs(v - stored[k * size + i]!))));
      expect(specDiff, `item ${k} spectrogram`).toBeLessThan(0.02);
    }
    const [first] = await preparer.clips(file, 1);
    expect(first!.offset).toBeCloseTo(items[0]!.offset, 3);
  });

  it('prepares clips exactly as preprocessing did, with a rate change and every clean-up on', async () => {
    const sr = 44100;
    // silence, a note, 3 s of silence (shortened by the clean-up), a click, another note
    const note = (f: number, n: number) => Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * f * i) / sr) * Math.exp(-i / n));
    const parts = [new Float32Array(0.4 * sr), note(440, 1.2 * sr), new Float32Array(3 * sr), note(660, 1.5 * sr)];
    const x = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (x.set(p, at), at + p.length), 0);
    x[Math.round(2.5 * sr)] = 0.9; // a click in the quiet stretch
    const file = path.join(dir, 'music.wav');
    await writeWav(file, x, sr);
    const overrides = { clip: 16384 };
    await preprocess([file], path.join(dir, 'music-ds'), { preset: 'music', overrides, split: { validation: 0 }, workers: 0 });
    const ds = await openDataset(path.join(dir, 'music-ds'));
    const preparer = new ClipPreparer(resolveSettings('music', overrides));
    const stored = await ds.read(ds.manifest.items.map((it) => it.index));
    const size = ds.shape[0] * ds.shape[1];
    expect(ds.manifest.items.length).toBeGreaterThan(2);
    for (const [k, item] of ds.manifest.items.entries()) {
      const clip = await preparer.clipAt(item.source, item.offset);
      let diff = 0;
      clip.x01.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - stored[k * size + i]!))));
      expect(diff, `item ${k} at ${item.offset.toFixed(3)} s`).toBeLessThan(1e-3);
    }
  });
});
