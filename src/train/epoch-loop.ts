/**
 * One epoch of training, whatever is trained: a step per batch with a progress bar, running means of the figures
 * each step gives (weighted by its batch's items), a stop between steps when `signal` aborts, and a clear error
 * when a figure stops being finite. The VAE (train.ts) and the classifiers (classify/train.ts) run their epochs
 * through it; what each validates, saves and logs around an epoch stays theirs.
 */
import { UserError } from '../errors.ts';
import { createProgress, type ProgressFields, type ProgressOptions } from '../progress.ts';

/** Named figures of a step: a loss and its parts, an accuracy. */
export type Figures<F> = Record<keyof F, number>;

/** Figures summed over the items seen so far, each weighted by its batch's item count. */
export interface Totals<F extends Figures<F>> {
  sum: F;
  items: number;
}

export interface EpochOptions<B, F extends Figures<F>> {
  batches: AsyncIterable<B>;
  /** One optimisation step on a batch: its figures and how many items it held. */
  step(batch: B): Promise<{ figures: F; count: number }>;
  /** Where an interrupted epoch stopped (`batches` then starts after it). */
  start: Totals<F>;
  /** The progress bar, counting items; false: none. */
  progress: ProgressOptions | false;
  /** The bar's fields from the running means. */
  fields(mean: F): ProgressFields;
  signal?: AbortSignal;
  /** After each step, with its figures and the totals so far: logs, saves inside the epoch. */
  afterStep?(figures: F, totals: Totals<F>): Promise<void>;
  /** The error a step whose figures are not all finite stops the run with. */
  nonFinite(figures: F): string;
}

/** The totals of an epoch, and whether `signal` stopped it before its last batch. */
export interface EpochResult<F extends Figures<F>> extends Totals<F> {
  interrupted: boolean;
}

/** The figures' means over the totals' items (NaN with no items). */
export function meanOf<F extends Figures<F>>(t: Totals<F>): F {
  return Object.fromEntries(Object.entries<number>(t.sum).map(([k, v]) => [k, t.items > 0 ? v / t.items : Number.NaN])) as F;
}

/** `t` with a step's figures over `count` items added (each figure weighted by `count`). */
export function addFigures<F extends Figures<F>>(t: Totals<F>, figures: F, count: number): Totals<F> {
  const sum = Object.fromEntries(Object.entries<number>(t.sum).map(([k, v]) => [k, v + figures[k as keyof F] * count]));
  return { sum: sum as F, items: t.items + count };
}

/**
 * Runs one epoch's steps.
 * @throws UserError `nonFinite`'s message when a step's figures are not all finite
 * @example
 * const { sum, items } = await runEpoch({ batches, step, start: { sum: { loss: 0 }, items: 0 }, progress: { total: n, label: 'epoch 1/5', unit: 'samples' }, fields: (m) => ({ loss: m.loss }), nonFinite: (f) => `the loss became ${f.loss}` });
 */
export async function runEpoch<B, F extends Figures<F>>(o: EpochOptions<B, F>): Promise<EpochResult<F>> {
  const bar = o.progress === false ? undefined : createProgress(o.progress);
  let totals = o.start;
  try {
    for await (const batch of o.batches) {
      if (o.signal?.aborted) return { ...totals, interrupted: true };
      const { figures, count } = await o.step(batch);
      if (!Object.values<number>(figures).every(Number.isFinite)) throw new UserError(o.nonFinite(figures));
      totals = addFigures(totals, figures, count);
      bar?.tick(count, o.fields(meanOf(totals)));
      await o.afterStep?.(figures, totals);
    }
    return { ...totals, interrupted: o.signal?.aborted ?? false };
  } finally {
    bar?.clear(); // the epoch's summary line (or the error) replaces the bar
  }
}
