import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { peak } from '../audio/cleanup.ts';
import { decodeAudio } from '../audio/decode.ts';
import { toMono } from '../audio/mono.ts';
import type * as audioReader from '../audio/reader.ts';
import { repeatMp3Frames } from '../audio/mp3-test-fixture.ts';
import { encodeWav } from '../audio/wav-write.ts';
import { resample, resampledLength } from '../audio/resample.ts';
import { amplitudeToDb } from '../dsp/db.ts';
import { magnitude, stft } from '../dsp/stft.ts';
import { wasmSpectrogramSupports } from '../dsp/spectrogram-wasm.ts';
import { PRESETS, resolveSettings, shapeWarning, spectrogramShape, type PreprocessSettings, type SettingsOverrides } from './presets.ts';
import {
  Cleaner,
  FileProcessor,
  Loader,
  LogSpectrogramExtractor,
  MinMaxNormaliser,
  Padder,
  resampledReader,
  resampleRange,
  Splitter,
  type ClipResult,
} from './stages.ts';

/** Every frame range read from disk by ranged readers, to check what the on-demand path reads. */
const rangedReads: { file: string; start: number; count: number }[] = [];
/** Files opened and closed by ranged readers. */
const opened: string[] = [];
const closed: string[] = [];
vi.mock('../audio/reader.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof audioReader>();
  const openStreamingAudio: typeof actual.openStreamingAudio = async (file, stream) => {
    const reader = await actual.openStreamingAudio(file, stream);
    if (!reader) return reader;
    opened.push(file);
    const read = reader.read.bind(reader);
    return {
      info: reader.info,
      streaming: reader.streaming,
      close: () => (closed.push(file), reader.close()),
      read: (start, count) => (rangedReads.push({ file, start, count }), read(start, count)),
    };
  };
  return { ...actual, openStreamingAudio };
});

function sine(freq: number, sr: number, n: number, amp = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / sr));
}

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-stages-'));
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

describe('presets', () => {
  it('give shapes the model can take, the reference exactly 256 x 64', () => {
    expect(spectrogramShape(PRESETS.reference)).toEqual([256, 64]);
    for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) {
      expect(shapeWarning(spectrogramShape(PRESETS[name])), name).toBeUndefined();
    }
    expect(PRESETS.reference).toMatchObject({ sampleRate: 22050, clip: 16317, nFft: 512, hop: 256, pad: 'right', db: { ref: 1, amin: 1e-5, topDb: 80 } });
    expect(shapeWarning([257, 64])).toMatch(/height 257/);
    expect(spectrogramShape(resolveSettings('reference', { hop: 128 }))).toEqual([256, 128]);
    expect(() => resolveSettings('reference', { hop: 0 })).toThrow(/hop/);
  });
});

describe('stages', () => {
  const s = resolveSettings('reference');

  it('Padder pads right (reference) or evenly', () => {
    const x = Float32Array.of(1, 2, 3);
    expect(Array.from(new Padder({ clip: 6, pad: 'right' }).pad(x))).toEqual([1, 2, 3, 0, 0, 0]);
    expect(Array.from(new Padder({ clip: 6, pad: 'center' }).pad(x))).toEqual([0, 1, 2, 3, 0, 0]);
  });

  it('Splitter takes the first clip or all clips with overlap', () => {
    expect(new Splitter({ clip: 10, split: 'first', overlap: 0, keepShort: 'pad' }).spans(25)).toEqual([{ offset: 0, length: 10 }]);
    expect(new Splitter({ clip: 10, split: 'first', overlap: 0, keepShort: 'drop' }).spans(5)).toEqual([]);
    expect(new Splitter({ clip: 10, split: 'clips', overlap: 0.5, keepShort: 'drop' }).spans(25).map((c) => c.offset)).toEqual([0, 5, 10, 15]);
  });

  it('LogSpectrogramExtractor matches STFT -> magnitude -> dB without the Nyquist bin', () => {
    const x = sine(1000, 22050, s.clip, 0.3);
    x[100] = 1; // a click, so the content is not a pure tone
    // The float64 TypeScript path: the WebAssembly kernel (float32 FFT) is held to it in the next test.
    const got = new LogSpectrogramExtractor(s, { kernel: 'js' }).extract(x);
    const full = amplitudeToDb(magnitude(stft(x, { nFft: 512, hop: 256 })), s.db);
    expect(full.bins).toBe(257);
    expect(got.length).toBe(256 * 64);
    let maxErr = 0;
    for (let k = 0; k < 256; k++) for (let t = 0; t < 64; t++) maxErr = Math.max(maxErr, Math.abs(got[k * 64 + t]! - full.data[k * 64 + t]!));
    expect(maxErr).toBeLessThan(1e-3);
    // The tone's bin is the loudest in a middle frame.
    let best = 0;
    for (let k = 0; k < 256; k++) if (got[k * 64 + 30]! > got[best * 64 + 30]!) best = k;
    expect(best).toBe(Math.round((1000 * 512) / 22050));
  });

  it('LogSpectrogramExtractor runs the WebAssembly kernel where it can, the TypeScript path on request', () => {
    const x = sine(1000, 22050, s.clip, 0.3);
    x[100] = 1;
    const wasm = new LogSpectrogramExtractor(s),
      ts = new LogSpectrogramExtractor(s, { kernel: 'js' });
    expect(ts.kernel).toBe('js');
    if (wasmSpectrogramSupports(s.nFft, s.db)) expect(wasm.kernel).toBe('wasm');
    const a = wasm.extract(x),
      b = ts.extract(x);
    const peak = Math.max(...b);
    // float32 FFT rounding: an absolute error near eps times the peak, so well under 1e-3 dB within 60 dB of the
    // peak, and about 1e-3 dB at the top_db floor 80 dB below it
    let near = 0,
      far = 0;
    for (let i = 0; i < a.length; i++) {
      const err = Math.abs(a[i]! - b[i]!);
      if (peak - b[i]! < 60) near = Math.max(near, err);
      else far = Math.max(far, err);
    }
    expect(near).toBeLessThan(1e-3);
    expect(far).toBeLessThan(1e-2);
    expect(Math.min(...a)).toBeCloseTo(Math.min(...b), 3); // the same top_db floor
  });

  it('MinMaxNormaliser maps to [0, 1] and back', () => {
    const x = Float32Array.of(-80, -40, 0, -20);
    const { data, min, max } = new MinMaxNormaliser().normalise(x.slice());
    expect([min, max]).toEqual([-80, 0]);
    expect(Array.from(data)).toEqual([0, 0.5, 1, 0.75]);
    expect(Array.from(MinMaxNormaliser.denormalise(data, min, max))).toEqual(Array.from(x));
    expect(Array.from(new MinMaxNormaliser().normalise(Float32Array.of(3, 3)).data)).toEqual([0, 0]);
  });

  it('Loader reads only what the first clip needs, with the same samples as resampling the whole file', async () => {
    const x = sine(440, 8000, 12000);
    const file = path.join(dir, 'tone.wav');
    await fsp.writeFile(file, encodeWav(x, 8000, { encoding: 'float32' }));
    const loader = new Loader(s);
    const cut = await loader.load(file, s.clip);
    const whole = resample(x, 8000, 22050);
    expect(cut.samples.length).toBe(s.clip);
    expect(cut.duration).toBe(1.5);
    let maxErr = 0;
    for (let i = 0; i < s.clip; i++) maxErr = Math.max(maxErr, Math.abs(cut.samples[i]! - whole[i]!));
    expect(maxErr).toBeLessThan(1e-5); // summation order only
    expect((await loader.load(file)).samples.length).toBe(whole.length);
  });
});

describe('resampling by parts', () => {
  const x = Float32Array.from({ length: 20000 }, (_, i) => Math.sin(i * 0.01) * Math.cos(i * 0.0007) + 0.1 * Math.sin(i * 1.3));
  for (const [from, to] of [
    [8000, 22050],
    [44100, 22050],
    [22050, 22050],
  ] as const) {
    it(`resampledReader gives the whole-file result in blocks, ${from} -> ${to}`, async () => {
      const whole = resample(x, from, to);
      const reader = resampledReader(x, from, to, 'default', 3000);
      expect(reader.length).toBe(whole.length);
      let maxErr = 0;
      // Overlapping reads, as 50 % overlapping clips make them.
      for (let a = 0; a < reader.length; a += 1500) {
        const part = await reader.read(a, a + 3000);
        expect(part.length).toBe(Math.min(3000, whole.length - a));
        for (let i = 0; i < part.length; i++) maxErr = Math.max(maxErr, Math.abs(part[i]! - whole[a + i]!));
      }
      expect(maxErr).toBeLessThan(1e-5);
      const mid = resampleRange(x, from, to, 'default', 7777, 9999);
      for (let i = 0; i < mid.length; i++) expect(Math.abs(mid[i]! - whole[7777 + i]!)).toBeLessThan(1e-5);
    });
  }
});

/** Clips as the whole-file path makes them, written out independently of FileProcessor. */
async function wholeFileClips(file: string, s: PreprocessSettings): Promise<Omit<ClipResult, 'duration'>[]> {
  const { info, channels } = await decodeAudio(file);
  const { samples: cleaned, start } = new Cleaner(s.cleanup, info.sampleRate).clean(toMono(channels));
  const x = resample(cleaned, info.sampleRate, s.sampleRate, { quality: s.resampleQuality });
  const extractor = new LogSpectrogramExtractor(s);
  const clips = new Splitter(s).spans(x.length).map((span) => ({ span, samples: x.subarray(span.offset, span.offset + span.length) }));
  return clips
    .filter(({ span, samples }) => span.length >= s.minDuration * s.sampleRate && peak(samples) > 0)
    .map(({ span, samples }) => {
      const { data, min, max } = new MinMaxNormaliser().normalise(extractor.extract(new Padder(s).pad(samples)));
      return { offset: start / info.sampleRate + span.offset / s.sampleRate, min, max, data };
    });
}

async function collect(clips: AsyncIterable<ClipResult>): Promise<ClipResult[]> {
  const out: ClipResult[] = [];
  for await (const c of clips) out.push(c);
  return out;
}

function expectSameClips(got: Omit<ClipResult, 'duration'>[], want: Omit<ClipResult, 'duration'>[]): void {
  expect(got.map((c) => c.offset)).toEqual(want.map((c) => c.offset));
  let maxErr = 0;
  got.forEach((c, i) => c.data.forEach((v, j) => (maxErr = Math.max(maxErr, Math.abs(v - want[i]!.data[j]!)))));
  expect(maxErr).toBeLessThan(1e-6);
}

describe('FileProcessor reading on demand', () => {
  // Over a megabyte, so frames are read from disk rather than from the header's first read.
  const fileRate = 44100;
  const frames = 7 * fileRate;
  // Stereo with different channels (so mono mixing shows), a little silence up front (so trimming shows).
  const silence = 12_000;
  const left = Float32Array.from({ length: frames }, (_, i) => (i < silence ? 0 : 0.4 * Math.sin(i * 0.031) + 0.2 * Math.sin(i * 1.7)));
  const right = Float32Array.from({ length: frames }, (_, i) => (i < silence ? 0 : 0.3 * Math.sin(i * 0.013 + 1) * Math.cos(i * 0.002)));
  const small: SettingsOverrides = { clip: 4032, nFft: 256, hop: 64, split: 'clips', overlap: 0.5, keepShort: 'pad', minDuration: 0 };
  const noCleanup = { clicks: false, trimDb: null, maxSilence: null, normalise: 'none' } as const;
  /** Output samples per block: several blocks per file, clips straddling their edges. */
  const block = 5000;
  let file: string;
  beforeAll(async () => {
    file = path.join(dir, 'stereo-long.wav');
    await fsp.writeFile(file, encodeWav([left, right], fileRate));
  });

  for (const sampleRate of [22050, 44100, 16000]) {
    it(`gives the whole-file path's clips, block by block, ${fileRate} -> ${sampleRate} Hz`, async () => {
      const s = resolveSettings('music', { ...small, sampleRate, cleanup: noCleanup });
      const processor = new FileProcessor(s, block);
      const decode = vi.spyOn(processor.loader, 'decode');
      rangedReads.length = 0;
      const got = await collect(processor.process(file));
      expect(decode).not.toHaveBeenCalled();
      // Never more than a block (and the filter's reach) read at once.
      expect(Math.max(...rangedReads.map((r) => r.count))).toBeLessThan((block * fileRate) / sampleRate + 200);
      const want = await wholeFileClips(file, s);
      expect(got.length).toBeGreaterThan(10);
      expectSameClips(got, want);
    });
  }

  it('splits a file into shares that each read only their own range and join into the whole', async () => {
    const s = resolveSettings('music', { ...small, cleanup: noCleanup });
    const parts = 3;
    const spans = new Splitter(s).spans(resampledLength(frames, fileRate, s.sampleRate));
    const toInput = (n: number) => (n * fileRate) / s.sampleRate;
    const reach = 100; // input samples of filter context on each side, and then some
    const shares: ClipResult[][] = [];
    for (let part = 0; part < parts; part++) {
      rangedReads.length = 0;
      shares.push(await collect(new FileProcessor(s, block).process(file, undefined, { part, parts })));
      const own = spans.slice(Math.floor((part * spans.length) / parts), Math.floor(((part + 1) * spans.length) / parts));
      const last = own.at(-1)!;
      for (const r of rangedReads) {
        expect(r.start).toBeGreaterThanOrEqual(toInput(own[0]!.offset) - reach);
        expect(r.start + r.count).toBeLessThanOrEqual(toInput(last.offset + last.length) + reach);
      }
    }
    expect(shares.every((share) => share.length > 3)).toBe(true);
    expectSameClips(shares.flat(), await wholeFileClips(file, s));
  });

  it('streams with clean-up on, offsets counting what trimming cut', async () => {
    const s = resolveSettings('music', { ...small, cleanup: { ...noCleanup, trimDb: -40, normalise: 'peak' } });
    const processor = new FileProcessor(s, block, {}, 4000);
    const decode = vi.spyOn(processor.loader, 'decode');
    rangedReads.length = 0;
    const got = await collect(processor.process(file));
    expect(decode).not.toHaveBeenCalled();
    expect(Math.max(...rangedReads.map((r) => r.count))).toBeLessThan((block * fileRate) / s.sampleRate + 200);
    const want = await wholeFileClips(file, s);
    expect(want[0]!.offset).toBeGreaterThan(0.2); // the silence was trimmed
    expectSameClips(got, want);
  });

  /** A tape with clicks at both ends, silent lead-in and lead-out and long internal silences. */
  async function writeTape(name: string): Promise<string> {
    const parts: [number, number, number][] = [
      [0.3, 0, 0],
      [1.1, 0.5, 0.031],
      [1.4, 0, 0],
      [0.9, 0.2, 0.05],
      [0.35, 0, 0],
      [0.8, 0.4, 0.013],
      [1.2, 0, 0],
      [0.7, 0.6, 0.02],
      [0.4, 0, 0],
    ];
    const n = parts.reduce((a, [sec]) => a + Math.round(sec * fileRate), 0);
    const x = new Float32Array(n);
    let at = 0;
    for (const [sec, amp, w] of parts) {
      for (let i = 0; i < Math.round(sec * fileRate); i++) x[at + i] = amp * Math.sin(i * w) + 1e-4 * Math.sin(i * 2.9);
      at += Math.round(sec * fileRate);
    }
    for (let i = 0; i < 8; i++) (x[2 + i] = 0.9 * (i % 2 ? -1 : 1)), (x[n - 12 + i] = 0.8 * (i % 2 ? -1 : 1));
    const tapeFile = path.join(dir, name);
    await fsp.writeFile(tapeFile, encodeWav([x, x.map((v) => 0.5 * v)], fileRate));
    return tapeFile;
  }

  const fullCleanup = { clicks: true, trimDb: -45, maxSilence: 1, silenceDb: -45, level: -20 } as const;
  for (const normalise of ['rms', 'lufs', 'peak'] as const) {
    it(`cleans a tape as it reads it (clicks, trim, long silences, ${normalise}) into the whole-file path's clips`, async () => {
      const tapeFile = await writeTape(`tape-${normalise}.wav`);
      const s = resolveSettings('music', { ...small, cleanup: { ...fullCleanup, normalise, level: normalise === 'peak' ? -1 : -20 } });
      const processor = new FileProcessor(s, block, {}, 3000);
      const decode = vi.spyOn(processor.loader, 'decode');
      rangedReads.length = 0;
      const got = await collect(processor.process(tapeFile));
      expect(decode).not.toHaveBeenCalled();
      // Planning reads 3000 frames at a time; cutting, a block and the filter's reach, or one piece between cuts.
      expect(Math.max(...rangedReads.map((r) => r.count))).toBeLessThan((block * fileRate) / s.sampleRate + 200);
      const want = await wholeFileClips(tapeFile, s);
      // The silences were shortened: the cleaned tape is shorter than the input less its trimmed ends.
      const { info } = await decodeAudio(tapeFile);
      expect(want.at(-1)!.offset).toBeLessThan(info.duration - 2);
      expect(got.length).toBeGreaterThan(10);
      expectSameClips(got, want);
    });
  }

  it('cleans shares of a tape from one plan, each reading its own range, joining into the whole', async () => {
    const tapeFile = await writeTape('tape-shares.wav');
    const s = resolveSettings('music', { ...small, cleanup: { ...fullCleanup, normalise: 'rms' } });
    const processor = new FileProcessor(s, block, {}, 3000);
    const shares: ClipResult[][] = [];
    const parts = 3;
    for (let part = 0; part < parts; part++) {
      rangedReads.length = 0;
      shares.push(await collect(processor.process(tapeFile, undefined, { part, parts })));
      // Only the first share plans (reading the whole file); the others reuse its plan and read from later on.
      if (part > 0) expect(Math.min(...rangedReads.map((r) => r.start))).toBeGreaterThan(fileRate);
    }
    expect(shares.every((share) => share.length > 3)).toBe(true);
    expectSameClips(shares.flat(), await wholeFileClips(tapeFile, s));
  });

  it('names a bad or truncated file in one line', async () => {
    const s = resolveSettings('music', { ...small, cleanup: noCleanup });
    const cut = path.join(dir, 'cut.wav');
    await fsp.writeFile(cut, encodeWav(left, fileRate).subarray(0, 30));
    await expect(collect(new FileProcessor(s).process(cut))).rejects.toThrow(/^.*cut\.wav: truncated/);
    const headerOnly = path.join(dir, 'header-only.wav');
    await fsp.writeFile(headerOnly, encodeWav(left, fileRate).subarray(0, 44));
    await expect(collect(new FileProcessor(s).process(headerOnly))).rejects.toThrow(/header-only\.wav: truncated/);
  });
});

describe("preprocessing's log", () => {
  it('notes a WAV whose header declares more than the file holds', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-stages-cut-'));
    try {
      const file = path.join(dir, 'cut.wav');
      await fsp.writeFile(file, encodeWav(new Float32Array(8000).fill(0.25), 8000).subarray(0, 1044)); // 500 of 8000 frames
      const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await new Loader({ sampleRate: 8000, resampleQuality: 'default' }).decode(file);
        expect(write).toHaveBeenCalledWith(`note: ${file}: truncated: header declares 1.000 s, file holds 0.063 s\n`);
      } finally {
        write.mockRestore();
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('FileProcessor on compressed files', () => {
  /** Synthetic tones made once with ffmpeg (test/fixtures/README.md). */
  const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../test/fixtures');
  const small: SettingsOverrides = { clip: 2048, nFft: 256, hop: 64, split: 'clips', overlap: 0.5, keepShort: 'pad', minDuration: 0 };
  const noCleanup = { clicks: false, trimDb: null, maxSilence: null, normalise: 'none' } as const;

  for (const name of ['tone-stereo.mp3', 'tone.flac', 'tone.ogg', 'tone.opus']) {
    it(`streams ${name} block by block into the whole-file path's clips`, async () => {
      const file = path.join(fixtures, name);
      const s = resolveSettings('music', { ...small, sampleRate: 16000, cleanup: noCleanup });
      const processor = new FileProcessor(s, 3000, { minBytes: 0 });
      const decode = vi.spyOn(processor.loader, 'decode');
      rangedReads.length = 0;
      const got = await collect(processor.process(file));
      expect(decode).not.toHaveBeenCalled();
      expect(rangedReads.length).toBeGreaterThan(1);
      const want = await wholeFileClips(file, s);
      expect(got.length).toBeGreaterThan(3);
      expectSameClips(got, want);
    });
  }

  it('cleans shares of a long mp3 from one plan and one open reader, each share seeking to its own range', async () => {
    const tone = new Uint8Array(await fsp.readFile(path.join(fixtures, 'tone-stereo.mp3')));
    const file = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-stages-mp3-')), 'long.mp3');
    try {
      await fsp.writeFile(file, repeatMp3Frames(tone, 16)); // 16 s
      const cleanup = { clicks: true, trimDb: -30, maxSilence: 0.2, silenceDb: -30, normalise: 'rms', level: -20 } as const;
      const s = resolveSettings('music', { ...small, sampleRate: 16000, cleanup });
      const processor = new FileProcessor(s, 3000, { minBytes: 0 }, 2000);
      opened.length = 0;
      closed.length = 0;
      const parts = 4;
      const shares: ClipResult[][] = [];
      for (const part of [0, 2, 1, 3]) shares[part] = await collect(processor.process(file, undefined, { part, parts }));
      expect(opened).toEqual([file]); // one header scan, one plan, for every share
      expect(closed).toEqual([]); // kept for later shares until another file replaces it
      expect(shares.every((share) => share.length > 3)).toBe(true);
      expectSameClips(shares.flat(), await wholeFileClips(file, s));
      const other = path.join(fixtures, 'tone-stereo.mp3');
      await collect(processor.process(other));
      expect(closed).toEqual([file, other]); // replaced: closed; an unshared file: closed when done
    } finally {
      await fsp.rm(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('streams mp3 with clean-up on into the whole-file path, offsets counting the trim', async () => {
    const file = path.join(fixtures, 'tone-stereo.mp3');
    const cleanup = { clicks: true, trimDb: -30, maxSilence: 0.2, silenceDb: -30, normalise: 'lufs', level: -23 } as const;
    const s = resolveSettings('music', { ...small, sampleRate: 16000, cleanup });
    const processor = new FileProcessor(s, 3000, { minBytes: 0 }, 2000);
    const decode = vi.spyOn(processor.loader, 'decode');
    const got = await collect(processor.process(file));
    expect(decode).not.toHaveBeenCalled();
    const want = await wholeFileClips(file, s);
    expect(got.length).toBeGreaterThan(3);
    expectSameClips(got, want);
  });
});
