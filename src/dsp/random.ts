/** A small seedable PRNG, so random phases are reproducible across runs and machines. */

/**
 * Mulberry32: a fast 32-bit generator, good enough for random phases (not for cryptography).
 * @param seed any integer; the same seed gives the same sequence.
 * @returns a function giving uniform numbers in [0, 1).
 * @example const rand = mulberry32(7); rand(); // 0.2070...
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
