import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudioBytes } from './decode.ts';
import { IsolatedDecoder, IsolatedDecodeError, isolatedAudioDecode } from './isolate.ts';

// A stand-in decoder: loops forever on a first byte of 1, throws a TypeError on 2, else returns a ramp.
const source = `export default async (bytes) => {
  if (bytes[0] === 1) for (;;) {}
  if (bytes[0] === 2) null.x;
  return { channelData: [Float32Array.from(bytes, (b) => b / 256)], sampleRate: 8000 };
};`;
const decoder = new IsolatedDecoder(`data:text/javascript,${encodeURIComponent(source)}`);
afterAll(async () => {
  await decoder.close();
  await isolatedAudioDecode().close();
});

describe('IsolatedDecoder', () => {
  it('decodes in a worker, survives a synchronous endless loop, and keeps the error class', async () => {
    const ok = await decoder.decode(Uint8Array.from([0, 64, 128]), 5000);
    expect(ok.sampleRate).toBe(8000);
    expect(Array.from(ok.channelData[0]!)).toEqual([0, 0.25, 0.5]);

    const started = performance.now();
    await expect(decoder.decode(Uint8Array.from([1]), 300, 'test decoder')).rejects.toThrow(/test decoder did not finish within 0.3 s/);
    expect(performance.now() - started).toBeLessThan(3000);

    // A fresh worker takes over after the hang.
    expect((await decoder.decode(Uint8Array.from([0, 32]), 5000)).channelData[0]!.length).toBe(2);
    const err = await decoder.decode(Uint8Array.from([2]), 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsolatedDecodeError);
    expect((err as IsolatedDecodeError).kind).toBe('TypeError');
  });

  it('backs decodeAudio with isolate: true, with the same one-line errors', async () => {
    const noise = Uint8Array.from({ length: 2048 }, (_, i) => ((i * 7919 + 13) % 251) | 0x80);
    await expect(decodeAudioBytes(noise, 'noise.bin', { isolate: true })).rejects.toThrow(/^noise\.bin: not an audio file/);
  });
});
