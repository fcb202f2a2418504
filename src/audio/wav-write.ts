/** Writing WAV files: 16-bit PCM or 32-bit IEEE float, any channel count. */
import { writeFileAtomic } from '../fsutil.ts';
import type { Hertz } from '../units.ts';

export type WavEncoding = 'pcm16' | 'float32';

export interface WavWriteOptions {
  /** Sample format. Default 'pcm16' (plays everywhere); 'float32' keeps values outside [-1, 1] and full precision. */
  encoding: WavEncoding;
}

export const DEFAULT_WAV_WRITE: WavWriteOptions = { encoding: 'pcm16' };

/**
 * Encodes samples as a canonical RIFF/WAVE file (44-byte header for PCM, plus a `fact` chunk for float).
 * PCM16 values are clipped to [-1, 1] and rounded; NaN becomes 0.
 *
 * @param samples one channel, or an array of channels (all the same length)
 * @param sampleRate samples per second (integer)
 * @param options encoding, default 'pcm16'
 * @example
 * const bytes = encodeWav(new Float32Array(22050), 22050, { encoding: 'float32' });
 */
export function encodeWav(samples: Float32Array | Float32Array[], sampleRate: Hertz, options: Partial<WavWriteOptions> = {}): Uint8Array {
  const { encoding } = { ...DEFAULT_WAV_WRITE, ...options };
  const channels = Array.isArray(samples) ? samples : [samples];
  if (channels.length === 0) throw new RangeError('encodeWav: no channels');
  const frames = channels[0]!.length;
  if (channels.some((c) => c.length !== frames)) throw new RangeError('encodeWav: channels differ in length');
  if (!(Number.isInteger(sampleRate) && sampleRate > 0)) throw new RangeError(`encodeWav: bad sample rate ${sampleRate}`);

  const isFloat = encoding === 'float32';
  const bytesPerSample = isFloat ? 4 : 2;
  const blockAlign = bytesPerSample * channels.length;
  const dataBytes = frames * blockAlign;
  const fmtBytes = isFloat ? 18 : 16; // float WAVs carry cbSize = 0 and a fact chunk, as the spec asks
  const factBytes = isFloat ? 12 : 0;
  const headerBytes = 12 + 8 + fmtBytes + factBytes + 8;
  const pad = dataBytes % 2; // chunks are word-aligned
  const buffer = new ArrayBuffer(headerBytes + dataBytes + pad);
  const view = new DataView(buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };

  ascii(0, 'RIFF');
  view.setUint32(4, buffer.byteLength - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, fmtBytes, true);
  view.setUint16(20, isFloat ? 3 : 1, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let offset = 36;
  if (isFloat) {
    view.setUint16(offset, 0, true);
    offset += 2;
    ascii(offset, 'fact');
    view.setUint32(offset + 4, 4, true);
    view.setUint32(offset + 8, frames, true);
    offset += 12;
  }
  ascii(offset, 'data');
  view.setUint32(offset + 4, dataBytes, true);
  offset += 8;

  // Typed-array views write the samples directly (WAV is little-endian, like every machine Node runs on;
  // the header offsets, 44 or 58, keep them aligned for 2-byte samples; float data is copied into place).
  const nc = channels.length;
  if (isFloat) {
    const out = new Float32Array(frames * nc);
    channels.forEach((c, ch) => {
      for (let i = 0, o = ch; i < frames; i++, o += nc) out[o] = c[i]!;
    });
    new Uint8Array(buffer, offset, dataBytes).set(new Uint8Array(out.buffer));
  } else {
    const out = new Int16Array(buffer, offset, frames * nc);
    channels.forEach((c, ch) => {
      for (let i = 0, o = ch; i < frames; i++, o += nc) {
        const s = c[i]!;
        out[o] = Math.round((s > 1 ? 1 : s < -1 ? -1 : s || 0) * 32767);
      }
    });
  }
  return new Uint8Array(buffer);
}

/**
 * Writes a WAV file atomically (temporary file + rename), creating the folder if needed.
 *
 * @param file target path
 * @param samples one channel, or an array of channels
 * @param sampleRate samples per second
 * @param options encoding, default 'pcm16'
 * @example
 * await writeWav('samples/tone.wav', tone, 22050);
 */
export async function writeWav(file: string, samples: Float32Array | Float32Array[], sampleRate: Hertz, options: Partial<WavWriteOptions> = {}): Promise<void> {
  await writeFileAtomic(file, encodeWav(samples, sampleRate, options));
}
