import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyFilterbank, dctOrtho, hzToMel, melFilterbank, melToHz, mfcc, powerToDb } from './mel.ts';
import { stft } from './stft.ts';
import type { Spectrogram } from './types.ts';

// Expected values written by librosa itself (scripts/librosa_reference.py; provenance inside the file).
const fixture = JSON.parse(readFileSync(new URL('./mel.fixture.json', import.meta.url), 'utf8'));

/** The reference script's signal: two tones and a chirp, float32. */
function signal(sr: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const t = i / sr;
    return 0.5 * Math.sin(2 * Math.PI * 440 * t) + 0.3 * Math.sin(2 * Math.PI * (200 + 700 * t) * t) + 0.05 * Math.sin(2 * Math.PI * 3100 * t);
  });
}

/** Largest |a - b| over the arrays, relative to the largest |b| (1e-4 is the bar). */
function relativeError(actual: ArrayLike<number>, expected: number[]): number {
  expect(actual.length, 'length').toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return worst / scale;
}

function maxAbsDiff(actual: ArrayLike<number>, expected: number[]): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

describe('mel scale', () => {
  it('converts hertz to mels as librosa does, on both scales', () => {
    const { hz, slaney, htk } = fixture.hzToMel;
    expect(
      relativeError(
        hz.map((f: number) => hzToMel(f)),
        slaney,
      ),
    ).toBeLessThan(1e-8);
    expect(
      relativeError(
        hz.map((f: number) => hzToMel(f, 'htk')),
        htk,
      ),
    ).toBeLessThan(1e-8);
  });

  it('inverts its own conversion', () => {
    for (const f of [0, 300, 999, 1000, 4321, 20000]) {
      expect(melToHz(hzToMel(f))).toBeCloseTo(f, 6);
      expect(melToHz(hzToMel(f, 'htk'), 'htk')).toBeCloseTo(f, 6);
    }
  });
});

describe('melFilterbank', () => {
  for (const c of fixture.filterbanks) {
    it(`matches librosa.filters.mel(sr=${c.sr}, n_fft=${c.n_fft}, n_mels=${c.n_mels}, htk=${c.htk}, norm=${c.norm})`, () => {
      const w = melFilterbank({ sampleRate: c.sr, nFft: c.n_fft, nMels: c.n_mels, fmin: c.fmin, fmax: c.fmax, scale: c.htk ? 'htk' : 'slaney', norm: c.norm });
      expect(w.length).toBe(c.n_mels * (c.n_fft / 2 + 1));
      expect(relativeError(w, c.weights), 'worst weight error relative to the largest weight').toBeLessThan(1e-6);
    });
  }

  it('refuses bands that cannot exist', () => {
    expect(() => melFilterbank({ sampleRate: 8000, nFft: 256, fmin: 5000 })).toThrow(/fmin < fmax/);
    expect(() => melFilterbank({ sampleRate: 8000, nFft: 256, nMels: 0 })).toThrow(/nMels/);
  });
});

describe('mel spectrogram and MFCC against librosa', () => {
  const s = fixture.spectrogram;
  const X = stft(signal(s.sr, s.n), { nFft: s.n_fft, hop: s.hop });
  const power: Spectrogram = { bins: X.bins, frames: X.frames, data: X.re.map((re, i) => re * re + X.im[i]! * X.im[i]!) };
  const melDb: Spectrogram = (() => {
    const mel = applyFilterbank(power, melFilterbank({ sampleRate: s.sr, nFft: s.n_fft, nMels: s.n_mels }));
    return { ...mel, data: powerToDb(mel.data) };
  })();

  it('gives the same dB mel spectrogram within 0.01 dB', () => {
    expect(melDb.frames).toBe(s.frames);
    expect(maxAbsDiff(melDb.data, s.mel_db), 'worst dB difference').toBeLessThan(0.01);
  });

  it('gives the same MFCCs within 1e-4 relative', () => {
    const c = mfcc(melDb, s.n_mfcc);
    expect(c.bins).toBe(s.n_mfcc);
    expect(relativeError(c.data, s.mfcc)).toBeLessThan(1e-4);
  });
});

describe('dctOrtho', () => {
  it('is orthonormal: energy is kept when all coefficients are kept', () => {
    const x: Spectrogram = { bins: 8, frames: 1, data: Float32Array.from([3, -1, 4, 1, -5, 9, 2, -6]) };
    const y = dctOrtho(x, 8);
    const energy = (a: Float32Array) => a.reduce((sum, v) => sum + v * v, 0);
    expect(energy(y.data)).toBeCloseTo(energy(x.data), 4);
  });

  it('refuses more coefficients than bands', () => {
    expect(() => dctOrtho({ bins: 4, frames: 1, data: new Float32Array(4) }, 5)).toThrow(/1\.\.4/);
  });
});

describe('powerToDb', () => {
  it('floors at 80 dB below the peak, as librosa', () => {
    expect(Array.from(powerToDb(Float32Array.of(1, 0.01, 0)))).toEqual([0, -20, -80]);
  });
});
