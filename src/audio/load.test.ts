import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAudio } from './load.ts';
import { toMono } from './mono.ts';
import { writeWav } from './wav-write.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('toMono', () => {
  it('averages channels and passes one channel through', () => {
    const a = Float32Array.from([1, 0.5, 0]);
    expect(Array.from(toMono([a, Float32Array.from([0, 0.5, -1])]))).toEqual([0.5, 0.5, -0.5]);
    expect(toMono([a])).toBe(a);
  });
});

describe('loadAudio', () => {
  it('decodes, mixes to mono and resamples 8 kHz to 22.05 kHz', async () => {
    const left = Float32Array.from({ length: 5920 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 500 * i) / 8000));
    const file = path.join(dir, 'stereo.wav');
    await writeWav(file, [left, new Float32Array(left.length)], 8000, { encoding: 'float32' });
    const { samples, sampleRate, info } = await loadAudio(file, { sampleRate: 22050 });
    expect(info).toMatchObject({ sampleRate: 8000, channels: 2 });
    expect(sampleRate).toBe(22050);
    expect(samples.length).toBe(16317);
    // The mono mix halves the tone: peak about 0.25 in the middle.
    const middle = samples.subarray(4000, 12000);
    const peak = middle.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.248);
    expect(peak).toBeLessThan(0.252);
  });

  it('keeps channels and rate when asked', async () => {
    const file = path.join(dir, 'keep.wav');
    await writeWav(file, [new Float32Array(100), new Float32Array(100).fill(0.5)], 16000);
    const { channels, sampleRate } = await loadAudio(file, { mono: false });
    expect(sampleRate).toBe(16000);
    expect(channels).toHaveLength(2);
    expect(channels[1]![50]).toBeCloseTo(0.5, 3);
  });
});
