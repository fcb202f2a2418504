import { describe, expect, it } from 'vitest';
import {
  clipOffsets,
  loudnessLufs,
  normalizeLoudness,
  normalizePeak,
  peak,
  removeEdgeClicks,
  removeSilences,
  rms,
  splitIntoClips,
  trimSilence,
} from './cleanup.ts';

const sr = 8000;
const tone = (seconds: number, amp = 0.5, freq = 440, rate = sr) =>
  Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));
const silence = (seconds: number) => new Float32Array(Math.round(seconds * sr));
const concat = (...parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('trimSilence', () => {
  it('cuts leading and trailing silence, keeping a margin', () => {
    const x = concat(silence(0.5), tone(0.5), silence(0.3));
    const { samples, start, end } = trimSilence(x, sr, { margin: 0.01 });
    // Content spans 0.5..1.0 s; frames are 25 ms every 10 ms, so edges land within a frame.
    expect(start / sr).toBeGreaterThan(0.46);
    expect(start / sr).toBeLessThanOrEqual(0.5);
    expect(end / sr).toBeGreaterThanOrEqual(1.0);
    expect(end / sr).toBeLessThan(1.05);
    expect(samples.length).toBe(end - start);
  });

  it('treats quiet hiss as silence relative to the peak, but not in absolute dBFS', () => {
    const hiss = Float32Array.from({ length: sr }, (_, i) => 0.001 * Math.sin(i * 2.1));
    const x = concat(hiss, tone(0.5), hiss);
    expect(trimSilence(x, sr, { thresholdDb: -40 }).samples.length).toBeLessThan(0.6 * sr);
    expect(trimSilence(x, sr, { thresholdDb: -70, relativeTo: 'fullScale' }).samples.length).toBe(x.length);
  });

  it('returns nothing for all-silent input', () => {
    expect(trimSilence(silence(1), sr).samples.length).toBe(0);
  });
});

describe('removeSilences', () => {
  it('shortens long pauses to `keep` and leaves short ones alone', () => {
    const x = concat(tone(0.3), silence(2), tone(0.3), silence(0.5), tone(0.3));
    const y = removeSilences(x, sr, { minSilence: 1, keep: 0.25 });
    const expected = 0.3 + 0.25 + 0.3 + 0.5 + 0.3;
    // Frame edges blur each boundary by up to one frame (25 ms) plus the crossfade.
    expect(Math.abs(y.length / sr - expected)).toBeLessThan(0.06);
    expect(removeSilences(x, sr, { minSilence: 3 })).toBe(x);
  });
});

describe('removeEdgeClicks', () => {
  const click = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 2 ? -0.9 : 0.9) * Math.exp(-i / 10));

  it('mutes a click at the start and at the end, keeping the length', () => {
    const x = concat(click(40), silence(0.3), tone(0.5, 0.1), silence(0.3), click(40).reverse());
    const y = removeEdgeClicks(x, sr);
    expect(y.length).toBe(x.length);
    expect(peak(y.subarray(0, 40))).toBe(0);
    expect(peak(y.subarray(y.length - 40))).toBe(0);
    // The recording itself is untouched.
    expect(Array.from(y.subarray(3000, 5000))).toEqual(Array.from(x.subarray(3000, 5000)));
  });

  it('leaves a sound that simply starts loud alone', () => {
    const x = concat(tone(0.5, 0.8), silence(0.2));
    expect(removeEdgeClicks(x, sr)).toBe(x);
  });
});

describe('normalisation', () => {
  it('normalizePeak puts the peak at the target', () => {
    expect(peak(normalizePeak(tone(0.1, 0.2), -6))).toBeCloseTo(10 ** (-6 / 20), 5);
    const zero = silence(0.1);
    expect(normalizePeak(zero)).toBe(zero);
  });

  it('normalizeLoudness reaches an RMS target, limited by the peak ceiling', () => {
    const y = normalizeLoudness(tone(1, 0.01), sr, { target: -20, maxPeakDb: 0 });
    expect(20 * Math.log10(rms(y))).toBeCloseTo(-20, 1);
    // A sine at -3 dBFS RMS would need a peak of 1.0 > 10^(-1/20): the ceiling wins.
    const limited = normalizeLoudness(tone(1, 0.01), sr, { target: -3, maxPeakDb: -1 });
    expect(peak(limited)).toBeCloseTo(10 ** (-1 / 20), 4);
  });

  it('measures a full-scale 997 Hz sine at -3.01 LUFS (BS.1770 reference)', () => {
    const x = tone(3, 1, 997, 48000);
    expect(loudnessLufs(x, 48000)).toBeCloseTo(-3.01, 1);
    expect(loudnessLufs(tone(3, 0.1, 997, 48000), 48000)).toBeCloseTo(-23.01, 1);
    const y = normalizeLoudness(tone(3, 0.05, 997, 48000), 48000, { method: 'lufs', target: -23 });
    expect(loudnessLufs(y, 48000)).toBeCloseTo(-23, 1);
  });
});

describe('splitIntoClips', () => {
  const x = Float32Array.from({ length: 10 }, (_, i) => i + 1);

  it('pads or drops the last short clip', () => {
    const padded = splitIntoClips(x, 4);
    expect(padded.map((c) => c.offset)).toEqual([0, 4, 8]);
    expect(Array.from(padded[2]!.samples)).toEqual([9, 10, 0, 0]);
    expect(splitIntoClips(x, 4, { keepShort: 'drop' }).map((c) => c.offset)).toEqual([0, 4]);
  });

  it('overlaps clips and pads a file shorter than one clip', () => {
    expect(clipOffsets(10, 4, { overlap: 0.5 })).toEqual([0, 2, 4, 6]);
    expect(clipOffsets(11, 4, { overlap: 0.5 })).toEqual([0, 2, 4, 6, 8]);
    const short = splitIntoClips(x.subarray(0, 3), 4);
    expect(short).toHaveLength(1);
    expect(Array.from(short[0]!.samples)).toEqual([1, 2, 3, 0]);
    expect(splitIntoClips(x.subarray(0, 3), 4, { keepShort: 'drop' })).toHaveLength(0);
    expect(() => splitIntoClips(x, 4, { overlap: 1 })).toThrow(/overlap/);
  });
});
