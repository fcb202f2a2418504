import { describe, expect, it } from 'vitest';
import { amplitudeToDb, dbToAmplitude } from './db.ts';

const close = (values: number[]) => values.map((v) => expect.closeTo(v, 4));

describe('amplitudeToDb', () => {
  it('uses 20 log10 with ref 1, amin 1e-5 and an 80 dB floor below the peak (librosa defaults)', () => {
    // 1 -> 0 dB; 0.1 -> -20; 1e-3 -> -60; 0 -> floor -100, then clipped to peak - 80 = -80; sign ignored
    expect(Array.from(amplitudeToDb(Float32Array.of(1, 0.1, 1e-3, 0, -0.1)))).toEqual(close([0, -20, -60, -80, -20]));
  });

  it('honours ref, ref "max", amin and topDb null', () => {
    expect(Array.from(amplitudeToDb([2, 0.2], { ref: 2 }))).toEqual(close([0, -20]));
    expect(Array.from(amplitudeToDb([4, 0.4], { ref: 'max' }))).toEqual(close([0, -20]));
    expect(Array.from(amplitudeToDb([1, 0], { topDb: null }))).toEqual(close([0, -100]));
    expect(Array.from(amplitudeToDb([1, 0], { topDb: null, amin: 1e-3 }))).toEqual(close([0, -60]));
    expect(Array.from(amplitudeToDb([0.01, 1e-9], { topDb: 30 }))).toEqual(close([-40, -70]));
  });

  it('keeps the shape of a spectrogram and rejects bad settings', () => {
    const S = amplitudeToDb({ bins: 1, frames: 2, data: Float32Array.of(1, 10) });
    expect(S.bins).toBe(1);
    expect(Array.from(S.data)).toEqual(close([0, 20]));
    expect(() => amplitudeToDb([1], { amin: 0 })).toThrow(/amin/);
  });
});

describe('dbToAmplitude', () => {
  it('inverts amplitudeToDb above the floor', () => {
    const a = Float32Array.of(0.5, 0.01, 3);
    expect(Array.from(dbToAmplitude(amplitudeToDb(a, { ref: 2 }), 2))).toEqual(Array.from(a).map((v) => expect.closeTo(v, 5)));
    expect(Array.from(dbToAmplitude([0, -20, 6]))).toEqual(close([1, 0.1, 1.99526]));
  });
});
