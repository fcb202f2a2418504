import { describe, expect, it } from 'vitest';
import { fromHalfBits, fromHalfBytes, toHalfBits, toHalfBytes } from './float16.ts';

describe('float16', () => {
  it('encodes known values to their IEEE bit patterns', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [1e-9, 0x0000],
    ];
    for (const [v, bits] of cases) expect(toHalfBits(v), `bits of ${v}`).toBe(bits);
  });

  it('rounds to nearest even at a halfway point', () => {
    // 1 + 2^-11 is exactly halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1)
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('round-trips every finite bit pattern exactly', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue; // inf / NaN
      const v = fromHalfBits(bits);
      const back = toHalfBits(v);
      if (back !== bits && !(v === 0 && (back | bits) === 0x8000)) throw new Error(`bits ${bits.toString(16)} -> ${v} -> ${back.toString(16)}`);
    }
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
  });

  it('keeps a relative error under 2^-11 for normal values', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 9) - 4));
    const back = fromHalfBytes(toHalfBytes(values));
    values.forEach((v, i) => {
      if (Math.abs(v) < 2 ** -14) return;
      expect(Math.abs(back[i]! - v) / Math.abs(v), `value ${v}`).toBeLessThanOrEqual(2 ** -11);
    });
  });
});
