/**
 * DSP defaults that other stages show or build on, in a module with type imports only, so that `--help` and
 * option tables can read them without loading the DSP code.
 */
import type { PhaseInit } from './types.ts';

/** Frame and hop used where a caller gives none (Griffin-Lim, report pictures): the `digits` preset's. */
export const DEFAULT_FRAME = { nFft: 512, hop: 128 };

/**
 * Griffin-Lim's iteration settings: 32 iterations with momentum 0.99 (fast Griffin-Lim), random start (librosa's
 * default) seed 0. Plain inversion (`DEFAULT_GRIFFIN_LIM`, `soundvae invert`) uses them as they are; generation
 * (`DEFAULT_INVERT` in generate/defaults.ts) derives its own from them, changing only the start to PGHI.
 */
export const DEFAULT_ITERATION = { iterations: 32, momentum: 0.99, init: 'random' as PhaseInit, seed: 0 };
