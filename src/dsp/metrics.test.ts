import { describe, expect, it } from 'vitest';
import { logSpectralDistance, signalSpectralConvergence, spectralConvergence } from './metrics.ts';

const spec = (...v: number[]) => ({ bins: v.length / 2, frames: 2, data: Float32Array.from(v) });

describe('spectralConvergence', () => {
  it('is 20 log10 of the Frobenius norm ratio', () => {
    // error (0.3, 0.4) has norm 0.5; the reference (3, 4) has norm 5: 20 log10(0.1) = -20
    expect(spectralConvergence(spec(3.3, 4.4), spec(3, 4))).toBeCloseTo(-20, 5);
    expect(spectralConvergence(spec(3, 4), spec(3, 4))).toBe(-Infinity);
    expect(() => spectralConvergence(spec(1, 2), spec(1, 2, 3, 4))).toThrow(/shapes/);
  });

  it('of a signal against itself and a scaled copy', () => {
    const x = new Float32Array(2000).map((_, i) => Math.sin(i * 0.05));
    expect(signalSpectralConvergence(x, x, { nFft: 128, hop: 32 })).toBe(-Infinity);
    // y = 0.9 x: |Y| - |X| = -0.1 |X|, so -20 dB, whatever the STFT
    expect(
      signalSpectralConvergence(
        x.map((v) => 0.9 * v),
        x,
        { nFft: 128, hop: 32 },
      ),
    ).toBeCloseTo(-20, 4);
  });
});

describe('logSpectralDistance', () => {
  it('is the frame mean of the bin RMS of the dB power ratio', () => {
    // frame 0: bins (1 vs 10) and (1 vs 1) -> ratios -20 dB and 0 -> RMS sqrt(200); frame 1: (2 vs 2) -> 0
    // bin-major 2x2: data[bin * 2 + frame]
    const est = { bins: 2, frames: 2, data: Float32Array.of(10, 2, 1, 2) };
    const ref = { bins: 2, frames: 2, data: Float32Array.of(1, 2, 1, 2) };
    expect(logSpectralDistance(est, ref, 0)).toBeCloseTo(Math.sqrt(200) / 2, 5);
    expect(logSpectralDistance(ref, ref)).toBe(0);
    // the floor keeps silence finite: 0 vs 0 is 0 dB, 1e-3 vs 0 is about 10 log10(1e-6 / 1e-10) = 40 dB
    const silent = { bins: 1, frames: 1, data: Float32Array.of(0) };
    expect(logSpectralDistance(silent, silent)).toBe(0);
    expect(logSpectralDistance(silent, { bins: 1, frames: 1, data: Float32Array.of(1e-3) })).toBeCloseTo(40, 2);
  });
});
