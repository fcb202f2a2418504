import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudio } from './decode.ts';
import { loadAudio } from './load.ts';
import { openAudio, openRangedAudio, readBlocks, readRange } from './reader.ts';
import { resample, resampleInputRange, resampleSegment } from './resample.ts';
import { encodeWav } from './wav-write.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rate = 8000;
const noise = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

describe('resampleSegment', () => {
  it('joins block results into exactly the whole-signal resampling', () => {
    const x = noise(10_000, 1);
    for (const [from, to] of [
      [8000, 22050],
      [44100, 16000],
      [44100, 44101],
    ] as const) {
      const whole = resample(x, from, to);
      const parts: number[] = [];
      for (let k0 = 0; k0 < whole.length; k0 += 3001) {
        const count = Math.min(3001, whole.length - k0);
        const { start, end } = resampleInputRange(k0, count, from, to);
        const s = Math.max(0, start);
        parts.push(...resampleSegment(x.subarray(s, Math.min(x.length, end)), s, from, to, k0, count));
      }
      expect(parts.length).toBe(whole.length);
      expect(parts.every((v, i) => v === whole[i])).toBe(true);
    }
  });
});

describe('openAudio and readBlocks', () => {
  const left = noise(20_000, 2);
  const right = noise(20_000, 3);

  for (const encoding of ['pcm16', 'float32'] as const) {
    it(`reads ranges of a ${encoding} WAV from disk`, async () => {
      const file = path.join(dir, `stereo-${encoding}.wav`);
      writeFileSync(file, encodeWav([left, right], rate, { encoding }));
      const whole = await decodeAudio(file);
      const reader = await openAudio(file);
      expect(reader.streaming).toBe(true);
      const part = await reader.read(12_345, 1000);
      expect(Array.from(part[1]!)).toEqual(Array.from(whole.channels[1]!.subarray(12_345, 13_345)));
      expect((await reader.read(19_990, 100))[0]!.length).toBe(10); // clamped at the end
      await reader.close();
    });
  }

  it('yields resampled mono blocks that join into loadAudio', async () => {
    const file = path.join(dir, 'blocks.wav');
    writeFileSync(file, encodeWav([left, right], rate, { encoding: 'float32' }));
    const whole = (await loadAudio(file, { sampleRate: 22050 })).samples;
    const joined: number[] = [];
    for await (const block of readBlocks(file, { sampleRate: 22050, blockSeconds: 0.3 })) {
      expect(block.offset).toBe(joined.length);
      joined.push(...block.channels[0]!);
    }
    expect(joined.length).toBe(whole.length);
    expect(Math.max(...joined.map((v, i) => Math.abs(v - whole[i]!)))).toBeLessThan(1e-6);
  });

  it('falls back to whole-file decoding for other formats and names bad files', async () => {
    const aiffLike = path.join(dir, 'not-audio.wav');
    writeFileSync(aiffLike, 'plain text, not audio\n');
    await expect(openAudio(aiffLike)).rejects.toThrow(/not-audio\.wav: not an audio file/);
    const cut = path.join(dir, 'cut.wav');
    writeFileSync(cut, encodeWav(left, rate).subarray(0, 30));
    await expect(openAudio(cut)).rejects.toThrow(/cut\.wav: truncated/);
  });

  it('readRange gives any stretch of the whole resampled mono signal, reading only around it', async () => {
    const file = path.join(dir, 'range.wav');
    const long = 300_000; // over a megabyte: read from disk, not from the header's first read
    writeFileSync(file, encodeWav([noise(long, 4), noise(long, 5)], rate));
    const whole = (await loadAudio(file, { sampleRate: 22050 })).samples;
    const reader = await openAudio(file);
    const reads: number[][] = [];
    const read = reader.read.bind(reader);
    reader.read = (start, count) => (reads.push([start, count]), read(start, count));
    for (const [offset, count] of [
      [0, 500],
      [300_000, 4321],
      [whole.length - 100, 100],
    ] as const) {
      const [mono] = await readRange(reader, offset, count, { sampleRate: 22050, mono: true, resample: {} });
      expect(mono!.length).toBe(count);
      expect(Math.max(...mono!.map((v, i) => Math.abs(v - whole[offset + i]!)))).toBeLessThan(1e-6);
    }
    expect(Math.max(...reads.map(([, count]) => count!))).toBeLessThan(2000); // 4321 outputs need ~1568 frames + reach
    await reader.close();
  });

  it('openRangedAudio leaves to whole-file decoding what a range cannot give exactly', async () => {
    const narrow = encodeWav(left, rate);
    new DataView(narrow.buffer).setUint16(34, 12, true); // 12-bit samples in 16-bit containers: justification is guessed from the data
    const narrowFile = path.join(dir, 'narrow.wav');
    writeFileSync(narrowFile, narrow);
    expect(await openRangedAudio(narrowFile)).toBeUndefined();
    const headerOnly = path.join(dir, 'header-only.wav');
    writeFileSync(headerOnly, encodeWav(left, rate).subarray(0, 44));
    expect(await openRangedAudio(headerOnly)).toBeUndefined();
    await expect(openAudio(headerOnly)).rejects.toThrow(/header-only\.wav: truncated/);
  });
});
