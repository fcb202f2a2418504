import { describe, expect, it } from 'vitest';
import { toMono } from './mono.ts';

/** The general mix, written out: channels summed in float32 one after another, then scaled. */
function mixedByHand(channels: Float32Array[]): Float32Array {
  const out = new Float32Array(Math.max(...channels.map((c) => c.length)));
  for (const c of channels) for (let i = 0; i < c.length; i++) out[i]! += c[i]!;
  for (let i = 0; i < out.length; i++) out[i]! *= 1 / channels.length;
  return out;
}

describe('toMono', () => {
  it('mixes stereo bit for bit as the general mix does, subnormals and overflow included', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const left = Float32Array.from({ length: 4096 }, (_, i) => rand() * (i % 97 === 0 ? 1e-40 : 1));
    const right = Float32Array.from({ length: 4096 }, (_, i) => rand() * (i % 89 === 0 ? 1e-40 : 1));
    left.set([1.4e-45, 1.4e-45, 3.4e38, -0.1]);
    right.set([0, 1.4e-45, 3.4e38, 0.1]);
    const got = toMono([left, right]);
    const want = mixedByHand([left, right]);
    expect(got.length).toBe(want.length);
    const differing = [...got.keys()].filter((i) => !Object.is(got[i], want[i]));
    expect(differing, 'indices where the stereo path differs').toEqual([]);
  });

  it('averages three channels, counts a shorter channel as silence, and returns one channel as is', () => {
    const a = Float32Array.from([1, 1, 1]);
    expect(Array.from(toMono([a, Float32Array.from([0, 1, 1]), Float32Array.from([1, 1, 0.5])]))).toEqual(
      Array.from(mixedByHand([a, Float32Array.from([0, 1, 1]), Float32Array.from([1, 1, 0.5])])),
    );
    expect(Array.from(toMono([a, Float32Array.from([1])]))).toEqual([1, 0.5, 0.5]);
    expect(toMono([a])).toBe(a);
    expect(toMono([]).length).toBe(0);
  });
});
