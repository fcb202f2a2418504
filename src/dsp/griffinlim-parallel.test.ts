import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GriffinLim } from './griffinlim.ts';
import { ParallelGriffinLim } from './griffinlim-parallel.ts';
import { magnitude, stft } from './stft.ts';

describe('ParallelGriffinLim', () => {
  let engine: ParallelGriffinLim;
  beforeAll(async () => {
    engine = await ParallelGriffinLim.create({}, 2);
  });
  afterAll(() => engine.close());

  it('gives the single-thread result, across shapes and inits', () => {
    expect(engine.threads).toBe(2); // a worker really started
    const serial = new GriffinLim();
    for (const [length, o, init] of [
      [3000, { nFft: 256, hop: 64 }, 'random'],
      [2100, { nFft: 128, hop: 32, winLength: 100 }, 'pghi'],
      [3000, { nFft: 256, hop: 64 }, 'zero'],
      [100, { nFft: 64, hop: 16 }, 'random'], // 7 frames: an odd count
    ] as const) {
      const x = new Float32Array(length).map((_, i) => Math.sin(0.002 * i * i) + 0.1 * Math.sin(i));
      const S = magnitude(stft(x, o));
      const a = serial.run(S, { ...o, init, iterations: 7, length, kernel: 'js' });
      const b = engine.run(S, { ...o, init, iterations: 7, length, kernel: 'js' });
      expect(b.audio.length).toBe(length);
      expect(b.spectralConvergence).toBeCloseTo(a.spectralConvergence, 6);
      let diff = 0;
      for (let i = 0; i < length; i++) diff = Math.max(diff, Math.abs(a.audio[i]! - b.audio[i]!));
      expect(diff).toBeLessThan(1e-6);
    }
  });

  it('keeps working across many clip lengths (its buffer cache is bounded)', () => {
    const serial = new GriffinLim();
    const o = { nFft: 128, hop: 32 };
    for (let length = 600; length < 1200; length += 50) {
      const x = new Float32Array(length).map((_, i) => Math.sin(0.01 * i * (1 + i / length)));
      const S = magnitude(stft(x, o));
      const a = serial.run(S, { ...o, iterations: 3, length, kernel: 'js' });
      const b = engine.run(S, { ...o, iterations: 3, length, kernel: 'js' });
      expect(b.spectralConvergence).toBeCloseTo(a.spectralConvergence, 6);
    }
  });

  it('hands settings the WebAssembly kernel supports to it (same result as the serial engine)', () => {
    const o = { nFft: 256, hop: 64 };
    const x = new Float32Array(3000).map((_, i) => Math.sin(0.002 * i * i));
    const S = magnitude(stft(x, o));
    const a = new GriffinLim().run(S, { ...o, iterations: 5, kernel: 'wasm' });
    const b = engine.run(S, { ...o, iterations: 5 });
    expect(Array.from(b.audio)).toEqual(Array.from(a.audio));
  });
});
