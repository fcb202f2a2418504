/** Issue 12 item 7: NaN and ±Inf in float WAVs become 0 (not a full-scale click), and how many is reported. */
import { describe, expect, it } from 'vitest';
import { decodeAudioBytes } from './decode.ts';
import { decodeWav } from './wav.ts';
import { encodeWav } from './wav-write.ts';

/** A 32-bit float WAV of `samples` written as they are (no clipping), little-endian. */
function floatWav(samples: number[]): Uint8Array {
  const bytes = encodeWav(new Float32Array(samples.length), 8000, { encoding: 'float32' });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  while (String.fromCharCode(...bytes.subarray(at, at + 4)) !== 'data') at += 8 + view.getUint32(at + 4, true);
  samples.forEach((v, i) => view.setFloat32(at + 8 + i * 4, v, true));
  return bytes;
}

describe('non-finite samples in float WAVs', () => {
  it('become 0 and are counted; finite values past ±1 are clipped', async () => {
    const bytes = floatWav([0.5, Infinity, -Infinity, NaN, 2, -3, -0.25]);
    // before: +Inf decoded as 1 and -Inf as -1 (full-scale clicks), and nothing said so
    const decoded = decodeWav(bytes, 'x.wav');
    expect(Array.from(decoded.channels[0]!)).toEqual([0.5, 0, 0, 0, 1, -1, -0.25]);
    expect(decoded.repaired).toBe(3);
    expect((await decodeAudioBytes(bytes, 'x.wav')).repaired).toBe(3);
    expect(decodeWav(floatWav([0.1, -0.1]), 'ok.wav').repaired).toBeUndefined();
  });
});
