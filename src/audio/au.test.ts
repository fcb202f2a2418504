import { describe, expect, it } from 'vitest';
import { decodeAudioBytes } from './decode.ts';

/** A .au file: 24-byte big-endian header then samples. */
function au(encoding: number, channels: number, rate: number, samples: Uint8Array, declared = samples.length): Uint8Array {
  const out = new Uint8Array(24 + samples.length);
  const v = new DataView(out.buffer);
  out.set([0x2e, 0x73, 0x6e, 0x64]);
  v.setUint32(4, 24);
  v.setUint32(8, declared);
  v.setUint32(12, encoding);
  v.setUint32(16, rate);
  v.setUint32(20, channels);
  out.set(samples, 24);
  return out;
}

describe('.au files', () => {
  const tone = Float32Array.from({ length: 400 }, (_, i) => 0.5 * Math.sin(i / 5));

  it('reads 16-bit big-endian stereo and mu-law, with a data size past the end of the file', async () => {
    const pcm = new Uint8Array(tone.length * 4);
    tone.forEach((s, i) => {
      new DataView(pcm.buffer).setInt16(4 * i, Math.round(s * 32767));
      new DataView(pcm.buffer).setInt16(4 * i + 2, Math.round(-s * 32767));
    });
    const { info, channels } = await decodeAudioBytes(au(3, 2, 11025, pcm, 0x7fffffff), 'tone.snd');
    expect(info).toMatchObject({ container: 'au', codec: 'pcm', sampleRate: 11025, channels: 2, frames: tone.length, bitDepth: 16 });
    expect(Math.max(...tone.map((s, i) => Math.abs(s + channels[1]![i]!)))).toBeLessThan(1e-4);

    // G.711 reference points: mu-law 0x00/0x80 are -/+32124, 0xFF and 0x7F are zero.
    const decoded = await decodeAudioBytes(au(1, 1, 8000, Uint8Array.from([0x00, 0x80, 0xff, 0x7f])), 'mu.au');
    expect(Array.from(decoded.channels[0]!, (v) => v * 32768 + 0)).toEqual([-32124, 32124, 0, 0]); // + 0 folds -0
    // A-law 0xD5/0x55 are +/-8, 0xAA/0x2A are +/-32256.
    const alaw = await decodeAudioBytes(au(27, 1, 8000, Uint8Array.from([0xd5, 0x55, 0xaa, 0x2a])), 'a.au');
    expect(Array.from(alaw.channels[0]!, (v) => v * 32768)).toEqual([8, -8, 32256, -32256]);
  });

  it('names unsupported encodings and truncation', async () => {
    await expect(decodeAudioBytes(au(23, 1, 8000, new Uint8Array(10)), 'g721.au')).rejects.toThrow(/g721\.au: unsupported codec: \.au encoding 23/);
    await expect(decodeAudioBytes(au(3, 1, 8000, new Uint8Array(0), 100), 'cut.au')).rejects.toThrow(/cut\.au: truncated/);
  });
});
