import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decodeWav } from './wav.ts';
import { encodeWav, writeWav } from './wav-write.ts';

describe('encodeWav / writeWav', () => {
  it('writes a canonical 44-byte PCM header and clips, rounds and zeroes NaN', () => {
    const bytes = encodeWav([Float32Array.from([1.5, -2, NaN, 0.5])], 16000);
    expect(bytes.length).toBe(44 + 8);
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RIFF');
    expect(view.getUint32(4, true)).toBe(bytes.length - 8);
    expect(view.getUint32(24, true)).toBe(16000);
    expect([0, 1, 2, 3].map((i) => view.getInt16(44 + 2 * i, true))).toEqual([32767, -32767, 0, 16384]);
  });

  it('interleaves channels and keeps float32 values exactly (with a fact chunk)', () => {
    const left = Float32Array.from([0.1, 0.2, 0.3]);
    const right = Float32Array.from([-0.1, -0.2, 1.5]);
    const bytes = encodeWav([left, right], 8000, { encoding: 'float32' });
    expect(new TextDecoder().decode(bytes.subarray(38, 42))).toBe('fact');
    const { channels } = decodeWav(bytes);
    expect(Array.from(channels[0]!)).toEqual(Array.from(left));
    // The reader clips to [-1, 1]; the file keeps 1.5.
    expect(new DataView(bytes.buffer).getFloat32(58 + 5 * 4, true)).toBeCloseTo(1.5, 6);
  });

  it('writes atomically into a new folder, leaving no temporary file', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'soundvae-write-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const dir = path.join(root, 'nested');
    const file = path.join(dir, 'out.wav');
    await writeWav(file, new Float32Array(10), 22050);
    expect(readdirSync(dir)).toEqual(['out.wav']);
    expect(decodeWav(new Uint8Array(readFileSync(file))).info.frames).toBe(10);
  });
});
