import { describe, expect, it } from 'vitest';
import { resample, resampledLength } from './resample.ts';

const sine = (freq: number, rate: number, seconds: number, amp = 0.5) =>
  Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));

/** Amplitude and phase of `freq` in `x` (least-squares fit of a sinusoid over the middle, away from edge effects). */
function toneAmplitude(x: Float32Array, freq: number, rate: number): number {
  const lo = Math.floor(x.length * 0.2);
  const hi = Math.floor(x.length * 0.8);
  let re = 0;
  let im = 0;
  for (let i = lo; i < hi; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * freq * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (hi - lo);
}

function rms(x: Float32Array): number {
  const lo = Math.floor(x.length * 0.2);
  const hi = Math.floor(x.length * 0.8);
  let s = 0;
  for (let i = lo; i < hi; i++) s += x[i]! ** 2;
  return Math.sqrt(s / (hi - lo));
}

describe('resample', () => {
  it('returns the input when rates match', () => {
    const x = sine(440, 8000, 0.1);
    expect(resample(x, 8000, 8000)).toBe(x);
  });

  it('gives ceil(n * to / from) samples', () => {
    expect(resample(new Float32Array(5920), 8000, 22050).length).toBe(16317);
    expect(resampledLength(5920, 8000, 22050)).toBe(16317);
    expect(resample(new Float32Array(1001), 44100, 22050).length).toBe(501);
  });

  for (const [from, to] of [
    [8000, 22050],
    [44100, 22050],
    [48000, 16000],
    [22050, 44100],
    [44100, 44101], // huge reduced numerator: the direct (table-free) path
  ] as const) {
    it(`keeps a tone below Nyquist: ${from} -> ${to}`, () => {
      const freq = 1000;
      const y = resample(sine(freq, from, 0.2), from, to);
      const amp = toneAmplitude(y, freq, to);
      expect(Math.abs(amp - 0.5)).toBeLessThan(0.5 * 0.002); // within 0.02 dB
      // Nothing else: the residual after removing the fitted tone is tiny.
      const ideal = sine(freq, to, y.length / to);
      const residual = y.map((v, i) => v - ideal[i]!);
      expect(rms(residual)).toBeLessThan(1e-3);
    });
  }

  // The Kaiser designs; 'torchaudio' copies torchaudio's short Hann filter, which lets aliasing through by design.
  for (const quality of ['best', 'default', 'fast'] as const) {
    it(`attenuates content above the new Nyquist by > 60 dB (${quality})`, () => {
      // 44.1k -> 22.05k: a tone at 13 kHz has no place below 11.025 kHz and must vanish, not alias to 9.05 kHz.
      const y = resample(sine(13000, 44100, 0.2), 44100, 22050, { quality });
      const level = 20 * Math.log10(rms(y) / (0.5 / Math.SQRT2));
      expect(level).toBeLessThan(-60);
    });
  }

  it('rejects non-integer rates', () => {
    expect(() => resample(new Float32Array(4), 8000.5, 22050)).toThrow(/positive integers/);
  });
});
