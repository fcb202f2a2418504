/**
 * DSP defaults that other stages show or build on, in a module with no imports, so that `--help` and option
 * tables can read them without loading the DSP code.
 */

/** Frame and hop used where a caller gives none (Griffin-Lim, report pictures): the `digits` preset's. */
export const DEFAULT_FRAME = { nFft: 512, hop: 128 };

/** Griffin-Lim's iteration settings: 32 iterations with momentum 0.99 (fast Griffin-Lim), random start seed 0. */
export const DEFAULT_ITERATION = { iterations: 32, momentum: 0.99, seed: 0 };
