import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudio } from './decode.ts';
import { loadAudio } from './load.ts';
import { openAudio, readBlocks } from './reader.ts';
import { MP3_PREROLL_FRAMES, MP3_SEEK_STEP } from './mp3-frames.ts';
import { repeatMp3Frames } from './mp3-test-fixture.ts';
import { isForwardOnly, openStreamedAudio, type StreamedReader } from './stream-decode.ts';

/** Synthetic tones made once with ffmpeg (test/fixtures/README.md says how). */
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');
const FILES = ['tone-stereo.mp3', 'tone-mono-noxing.mp3', 'tone.flac', 'tone.ogg', 'tone.opus'];
const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Stream even these tiny files. */
const always = { minBytes: 0 };

async function open(file: string, options = {}): Promise<StreamedReader> {
  const reader = await openStreamedAudio(file, { ...always, ...options });
  if (!reader) throw new Error(`${file}: not streamed`);
  return reader;
}

/** Reads a whole file `block` frames at a time and joins the reads. */
async function readAll(reader: StreamedReader, block: number): Promise<Float32Array[]> {
  const out = Array.from({ length: reader.info.channels }, () => new Float32Array(reader.info.frames));
  for (let at = 0; at < reader.info.frames; at += block) (await reader.read(at, block)).forEach((c, k) => out[k]!.set(c, at));
  return out;
}

/** Exact equality, with the first difference in the failure message. */
function expectSame(got: Float32Array[], want: Float32Array[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((c, k) => {
    expect(c.length).toBe(want[k]!.length);
    const i = c.findIndex((v, j) => !Object.is(v, want[k]![j]));
    expect(i === -1 ? 'equal' : `channel ${k} differs at ${i}: ${c[i]} vs ${want[k]![i]}`).toBe('equal');
  });
}

/** A copy of a fixture, cut or changed, in the temp folder. */
function variant(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

const fixture = (name: string) => path.join(fixtures, name);
const bytesOf = (name: string) => new Uint8Array(readFileSync(fixture(name)));

describe('openStreamedAudio', () => {
  for (const name of FILES) {
    it(`${name}: length from the headers, samples equal to the whole-file decode for any block and chunk size`, async () => {
      const whole = await decodeAudio(fixture(name));
      for (const chunkBytes of [333, 4096, 1 << 16]) {
        const reader = await open(fixture(name), { chunkBytes, lookBack: 1000 }); // each readAll restarts from the start
        expect(reader.lengthFrom).toBe('headers');
        expect(reader.streaming).toBe(true);
        expect(reader.info).toEqual(whole.info);
        expect(reader.info.channels).toBe(whole.channels.length);
        // Block edges fall anywhere in the codec's frames (1152, 576 samples for mp3, 576 for this FLAC, Vorbis/Opus packets).
        const blocks = chunkBytes === 4096 ? [1, 577, 4099, 1 << 20] : [577, 1 << 20]; // one frame at a time once: slow
        for (const block of blocks) expectSame(await readAll(reader, block), whole.channels);
        await reader.close();
      }
    });
  }

  it('steps back within the look-back without decoding again, and further back by restarting', async () => {
    const whole = await decodeAudio(fixture('tone-stereo.mp3'));
    const reader = await open(fixture('tone-stereo.mp3'), { chunkBytes: 500, lookBack: 3000 });
    const at = (start: number, count: number) => whole.channels.map((c) => c.subarray(start, start + count));
    expectSame(await reader.read(20_000, 1000), at(20_000, 1000));
    expectSame(await reader.read(17_500, 5000), at(17_500, 5000)); // 2500 back: kept
    expect(reader.restarts).toBe(0);
    expectSame(await reader.read(100, 50), at(100, 50)); // behind the look-back: decoded again from the start
    expect(reader.restarts).toBe(1);
    expectSame(await reader.read(44_000, 500), at(44_000, 100)); // clamped at the end
    expect((await reader.read(50_000, 10))[0]!.length).toBe(0);
    await reader.close();
  });

  it('seeks in an MPEG-1 mp3: reads anywhere, in any order, equal the whole-file decode', async () => {
    const file = variant('repeated.mp3', repeatMp3Frames(bytesOf('tone-stereo.mp3'), 12)); // ~450 frames, no Info tag
    const whole = await decodeAudio(file);
    const reader = await open(file, { chunkBytes: 777 });
    const spf = 1152;
    const at = (start: number, count: number) => whole.channels.map((c) => c.subarray(start, start + count));
    // Far ahead, back, ahead again, each onto a different start within the 16-frame seek steps.
    const starts = [300, 100, 400, 77, 250, 251, 90].map((f) => f * spf + ((f * 37) % spf));
    for (const start of starts) expectSame(await reader.read(start, 3000), at(start, 3000));
    expect(reader.seeks).toBe(starts.length - 1); // 251 follows 250 within the look-back
    expect(reader.restarts).toBe(0);
    // Too near the start for a pre-roll: decoded from the start instead.
    expectSame(await reader.read(spf * (MP3_PREROLL_FRAMES + MP3_SEEK_STEP - 2), 10), at(spf * (MP3_PREROLL_FRAMES + MP3_SEEK_STEP - 2), 10));
    expect(reader.restarts).toBe(1);
    await reader.close();
  });

  it('decodes an MPEG-2 mp3 forward only (a seek there came out a rounding off)', async () => {
    const file = variant('repeated-mpeg2.mp3', repeatMp3Frames(bytesOf('tone-mono-noxing.mp3'), 12));
    const whole = await decodeAudio(file);
    const reader = await open(file);
    const start = whole.channels[0]!.length - 5000;
    expectSame(
      await reader.read(start, 1000),
      whole.channels.map((c) => c.subarray(start, start + 1000)),
    );
    expect(reader.seeks).toBe(0);
    await reader.close();
  });

  it('leaves other formats, and small files by default, to the whole-file decode', async () => {
    expect(await openStreamedAudio(fixture('README.md'), always)).toBeUndefined();
    expect(await openStreamedAudio(fixture('tone.ogg'))).toBeUndefined(); // under DEFAULT_STREAM.minBytes
    expect(await openStreamedAudio(path.join(dir, 'missing.mp3'), always)).toBeUndefined();
    expect((await openAudio(fixture('tone.ogg'))).streaming).toBe(false);
    const streamed = await openAudio(fixture('tone.ogg'), {}, always);
    expect(streamed.streaming).toBe(true);
    await streamed.close();
    expect((await openAudio(fixture('tone.ogg'), { isolate: true }, always)).streaming).toBe(false);
    // An MPEG-1 mp3 seeks; an MPEG-2 one (22.05 kHz) decodes forward only, as FLAC and Ogg do.
    expect(await Promise.all(FILES.map((f) => isForwardOnly(fixture(f))))).toEqual(FILES.map((f) => f !== 'tone-stereo.mp3'));
    expect(await isForwardOnly(fixture('README.md'))).toBe(false);
  });

  it('reads a file cut short as the start of the intact decode, and as the whole-file decode where that works', async () => {
    const cuts: [string, number, StreamedReader['lengthFrom']][] = [
      ['tone-stereo.mp3', 4000, 'headers'], // frames counted by the header scan, the LAME tag's end cut off
      ['tone-mono-noxing.mp3', 2001, 'headers'],
      ['tone.flac', 10_300, 'decoding'], // STREAMINFO's total is no longer the truth (its audio is the last ~3 KB)
      ['tone.ogg', 8150, 'decoding'], // the end-of-stream page cut (this encoder put all else on one page)
      ['tone.opus', 4150, 'decoding'],
    ];
    for (const [name, bytes, lengthFrom] of cuts) {
      const intact = await decodeAudio(fixture(name));
      const file = variant(`cut-${name}`, bytesOf(name).subarray(0, bytes));
      const reader = await open(file, { chunkBytes: 1000 });
      expect([name, reader.lengthFrom]).toEqual([name, lengthFrom]);
      const { frames } = reader.info;
      expect(frames).toBeGreaterThan(0);
      expect(frames).toBeLessThan(intact.info.frames);
      const got = await readAll(reader, 999);
      await reader.close();
      // @audio/decode-flac decodes a cut FLAC file to fewer frames than it holds (or none): compare with it only where it agrees.
      const whole = await decodeAudio(file).catch(() => undefined);
      if (whole?.info.frames === frames) expectSame(got, whole.channels);
      else expect([name, whole?.info.frames ?? 0 < frames]).toEqual(['tone.flac', true]);
      expectSame(
        got,
        intact.channels.map((c) => c.subarray(0, frames)),
      );
    }
  });

  it('names the file in one line for a stream that cannot be decoded', async () => {
    // Headers only (Ogg), or a tag and a cut first frame (mp3): no audio, as decodeAudio says.
    const headerOnly = variant('header-only.ogg', bytesOf('tone.ogg').subarray(0, 4000));
    await expect(openAudio(headerOnly, {}, always)).rejects.toThrow(/^[^\n]*header-only\.ogg: no audio decoded/);
    const tagOnly = variant('tag-only.mp3', bytesOf('tone-stereo.mp3').subarray(0, 300));
    await expect(openAudio(tagOnly, {}, always)).rejects.toThrow(/^[^\n]*tag-only\.mp3: no audio decoded/);
    // A damaged FLAC frame: the whole-file decode silently stops there; the stream says so.
    const damaged = bytesOf('tone.flac');
    damaged[damaged.length - 1500]! ^= 0x55; // in a frame (8 KiB of metadata padding come first)
    const bad = variant('damaged.flac', damaged);
    expect((await decodeAudio(bad)).info.frames).toBeLessThan(4000);
    const reader = await open(bad);
    await expect(readAll(reader, 1000)).rejects.toThrow(/^[^\n]*damaged\.flac: corrupt flac stream: it decodes to \d+ frames, its headers say 4000$/);
    await reader.close();
  });
});

describe('readBlocks on compressed files', () => {
  for (const name of ['tone-stereo.mp3', 'tone.flac', 'tone.ogg', 'tone.opus']) {
    it(`${name}: resampled mono blocks equal those of the whole-file decode`, async () => {
      for (const sampleRate of [16000, 22050]) {
        const read = async (stream: { minBytes: number }) => {
          const blocks: Float32Array[] = [];
          for await (const block of readBlocks(fixture(name), { sampleRate, blockSeconds: 0.137, stream, resample: { quality: 'default' } }))
            blocks.push(block.channels[0]!);
          return blocks;
        };
        const streamed = await read(always);
        const whole = await read({ minBytes: Number.POSITIVE_INFINITY });
        expect(streamed.length).toBeGreaterThan(3);
        expectSame(streamed, whole);
        // And the same signal loadAudio gives (decode, mono, resample in one piece).
        const loaded = (await loadAudio(fixture(name), { sampleRate })).samples;
        const joined = Float32Array.from(streamed.flatMap((b) => Array.from(b)));
        expect(joined.length).toBe(loaded.length);
        expect(Math.max(...joined.map((v, i) => Math.abs(v - loaded[i]!)))).toBeLessThan(1e-6);
      }
    });
  }
});
