import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeWav, wavInfo } from './wav.ts';

/**
 * 0.12 s of a 200-800 Hz sweep plus 1100 Hz at 8 kHz, as `sox fx.wav -e gsm-full-rate fxg.wav` wrote it (3 WAV49 blocks,
 * a fact chunk of 960 frames), and the SHA-256 of what `sox fxg.wav -e signed -b 16 -t raw` decodes it to (its first
 * 960 samples, 16-bit little-endian).
 */
const FIXTURE =
  'UklGRvgAAABXQVZFZm10IBQAAAAxAAEAQB8AAFkGAABBAAAAAgBAAWZhY3QEAAAAwAMAAGRhdGHEAAAAE84IDYfCuHrIGOS8ohCllm2lmcRtEcieVkSHLSnfMsIo4WuclbnCTiobXS5rihD+HpD+rYIooH0T1Ct9vkR2BfESvgqim5KlM1RdWw5t55T2LrGdrOVIfgV/ITMFrIfxghrdzGi6QWnMZSbBkk9dJD4kCburcxqOVDftKpWomBMvyRHe0KqZKsjSTo3XBs3o09qQ3ExPaJKJcuKxM0js4motGuEQbZo6d6Z9MBcXLHdWgw7J9CuDBFOz8qWzfY55KkWHAA==';
const SOX_SHA256 = '347e21cb4a5881962397a35b9144672e4bfe8c706fddc686765f413a7e268d3d';
const SOX_SAMPLES_150_159 = [-24848, -16560, -1816, 7064, 4280, -8016, -19760, -22264, -13216, 968];

const bytes = () => Uint8Array.from(Buffer.from(FIXTURE, 'base64'));
const int16 = (x: Float32Array) => Int16Array.from(x, (v) => Math.round(v * 32768));

describe('GSM 6.10 WAV (WAV49)', () => {
  it('decodes sample for sample as sox (libgsm) does', () => {
    const { info, channels } = decodeWav(bytes(), 'fxg.wav');
    expect(info).toMatchObject({ container: 'wav', codec: 'gsm', sampleRate: 8000, channels: 1, frames: 960 });
    const pcm = int16(channels[0]!);
    expect([...pcm.subarray(150, 160)]).toEqual(SOX_SAMPLES_150_159);
    expect(createHash('sha256').update(new Uint8Array(pcm.buffer)).digest('hex')).toBe(SOX_SHA256);
  });

  it('reads what a cut file holds, in whole blocks, and says it is truncated', () => {
    const cut = bytes().subarray(0, 60 + 65 + 30); // header, one block and part of the next
    const { info, channels } = decodeWav(cut, 'cut.wav');
    expect(info.frames).toBe(320);
    expect(info.warning).toMatch(/^truncated: header declares 0\.\d+ s, file holds 0\.040 s$/);
    expect([...int16(channels[0]!).subarray(150, 160)]).toEqual(SOX_SAMPLES_150_159); // the same first block
  });

  it('refuses a GSM layout it does not know in one line', () => {
    const stereo = bytes();
    new DataView(stereo.buffer).setUint16(22, 2, true); // channels
    expect(() => wavInfo(stereo, 'stereo.wav')).toThrow(/^unsupported GSM 6\.10 channel count 2$/);
  });
});
