/**
 * The dB range a code's spectrogram is de-normalised with, in the page as in `soundvae generate`: the sampler's
 * prediction from where the code lies (sampler.ts `rangeFor`, kept at least 20 dB wide) when the checkpoint has a
 * sampler, else the dataset's mean per-item range (invert.ts `priorRange`). Plain arrays: bundled into the page.
 */
import { project } from '../generate/density.ts';
import type { DbRange } from '../generate/invert.ts';
import type { PageSampler } from './types.ts';

/** Coefficients (last: intercept) applied to subspace coordinates, as sampler.ts fits them. */
function predict(coef: number[], y: ArrayLike<number>): number {
  return coef.reduce((s, c, i) => s + c * (i < coef.length - 1 ? y[i]! : 1), 0);
}

/** The range for `code` (see the file comment). */
export function codeRange(sampler: Pick<PageSampler, 'subspace' | 'range'> | undefined, prior: DbRange, code: ArrayLike<number>): DbRange {
  if (!sampler) return prior;
  const y = project(sampler.subspace, code);
  const max = predict(sampler.range.max, y);
  return { min: Math.min(predict(sampler.range.min, y), max - 20), max };
}
