import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../audio/wav-write.ts';
import { resample } from '../audio/resample.ts';
import { amplitudeToDb } from '../dsp/db.ts';
import { magnitude, stft } from '../dsp/stft.ts';
import { PRESETS, resolveSettings, shapeWarning, spectrogramShape } from './presets.ts';
import { Loader, LogSpectrogramExtractor, MinMaxNormaliser, Padder, ResampledReader, resampleRange, Splitter } from './stages.ts';

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
    const got = new LogSpectrogramExtractor(s).extract(x);
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
  for (const [from, to] of [[8000, 22050], [44100, 22050], [22050, 22050]] as const) {
    it(`ResampledReader gives the whole-file result in blocks, ${from} -> ${to}`, () => {
      const whole = resample(x, from, to);
      const reader = new ResampledReader(x, from, to, 'default', 3000);
      expect(reader.length).toBe(whole.length);
      let maxErr = 0;
      // Overlapping reads, as 50 % overlapping clips make them.
      for (let a = 0; a < reader.length; a += 1500) {
        const part = reader.read(a, a + 3000);
        expect(part.length).toBe(Math.min(3000, whole.length - a));
        for (let i = 0; i < part.length; i++) maxErr = Math.max(maxErr, Math.abs(part[i]! - whole[a + i]!));
      }
      expect(maxErr).toBeLessThan(1e-5);
      const mid = resampleRange(x, from, to, 'default', 7777, 9999);
      for (let i = 0; i < mid.length; i++) expect(Math.abs(mid[i]! - whole[7777 + i]!)).toBeLessThan(1e-5);
    });
  }
});
