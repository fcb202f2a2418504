/**
 * Measured quality of a checkpoint on its dataset (`npm run eval`):
 * - reconstructions of the validation split and their oracle (Griffin-Lim from the true magnitude), as mean
 *   spectral convergence and log-spectral distance against the stored spectrograms (see spectra.ts);
 * - samples from the prior: the distance of each to its nearest training item (a copy detector), beside the same
 *   distance for validation items (real sounds the model never saw: the distance a new sound has), and the
 *   diversity of the samples (mean pairwise distance) beside that of validation items.
 */
import type { SpectrogramDataset } from '../dataset/store.ts';
import type { Scores } from '../report/html.ts';
import { meanScores } from '../report/html.ts';
import type { Vae } from '../model/vae.ts';
import type { Decibels, Seconds } from '../units.ts';
import { diversity, nearestItems, type RangedItem } from './distance.ts';
import { priorRange, type DbRange, type InvertOptions } from './invert.ts';
import { samplePrior } from './latent.ts';
import { decodeLatents, encodeItems } from './model.ts';
import { itemsToAudio, scoreAgainstItem, type ClipSettings } from './spectra.ts';

export interface EvalOptions {
  /** Validation items to reconstruct (the first ones, in dataset order); 0 for all. */
  validationItems: number;
  /** Samples drawn from the prior. */
  samples: number;
  temperature: number;
  seed: number;
  /** Items per model/Griffin-Lim batch. */
  batch: number;
  invert: Partial<InvertOptions>;
}

export const DEFAULT_EVAL: EvalOptions = { validationItems: 0, samples: 32, temperature: 1, seed: 0, batch: 32, invert: {} };

export interface EvalResult {
  validation: { items: number; oracle?: Scores; reconstruction?: Scores; seconds: Seconds };
  prior: {
    samples: number;
    temperature: number;
    /** Mean and smallest distance of a sample to its nearest training item. */
    nearestTrain: { mean: Decibels; min: Decibels };
    /** The same for validation items: what an unseen real sound scores. */
    validationNearestTrain?: { mean: Decibels; min: Decibels };
    diversity: Decibels;
    validationDiversity?: Decibels;
    /** Seconds to decode and invert all samples, and per sample. */
    seconds: Seconds;
    secondsPerSample: Seconds;
    /** Seconds to decode and invert one sample on its own (latency rather than throughput). */
    secondsSingle: Seconds;
  };
}

/** The item's own dB range from the manifest. */
function itemRange(ds: SpectrogramDataset, index: number): DbRange {
  const it = ds.manifest.items[index]!;
  return { min: it.min, max: it.max };
}

/** Reads dataset items as RangedItems in batches. */
async function* rangedBatches(ds: SpectrogramDataset, indices: number[], batch: number): AsyncGenerator<{ items: RangedItem[]; indices: number[] }> {
  const size = ds.shape[0] * ds.shape[1];
  for await (const b of ds.batches(indices, batch, { shuffle: false })) {
    yield {
      indices: b.indices,
      items: b.indices.map((index, i) => ({ x01: b.data.subarray(i * size, (i + 1) * size), range: itemRange(ds, index) })),
    };
  }
}

const meanMin = (ds: { distance: number }[]) => ({
  mean: ds.reduce((s, d) => s + d.distance, 0) / ds.length,
  min: Math.min(...ds.map((d) => d.distance)),
});

/**
 * Runs the whole evaluation. `onProgress` hears (done, total) per batch of validation items.
 * @example const r = await evaluate(ckpt.vae, await openDataset('data/fsdd'), clipSettings(ckpt), { samples: 32 });
 */
export async function evaluate(
  vae: Vae,
  ds: SpectrogramDataset,
  settings: ClipSettings,
  stats: unknown,
  options: Partial<EvalOptions> = {},
  onProgress: (done: number, total: number) => void = () => {},
): Promise<EvalResult> {
  const o = { ...DEFAULT_EVAL, ...options };
  let valIdx = ds.indices('validation');
  if (o.validationItems > 0) valIdx = valIdx.slice(0, o.validationItems);

  // Reconstructions and oracle of the validation items.
  const started = performance.now();
  const oracle: Scores[] = [];
  const recon: Scores[] = [];
  const valItems: RangedItem[] = [];
  for await (const b of rangedBatches(ds, valIdx, o.batch)) {
    const x = b.items.map((it) => it.x01);
    const ranges = b.items.map((it) => it.range);
    const decoded = decodeLatents(vae, encodeItems(vae, x).mu);
    const oracleAudio = itemsToAudio(x, ranges, settings, o.invert);
    const reconAudio = itemsToAudio(decoded, ranges, settings, o.invert);
    b.items.forEach((it, i) => {
      oracle.push(scoreAgainstItem(oracleAudio[i]!, it.x01, it.range, settings));
      recon.push(scoreAgainstItem(reconAudio[i]!, it.x01, it.range, settings));
      valItems.push({ x01: it.x01.slice(), range: it.range });
    });
    onProgress(valItems.length, valIdx.length);
  }
  const validationSeconds = (performance.now() - started) / 1000;

  // Samples from the prior: decode, invert (timed: this is what `generate` does), then compare with training.
  const range = priorRange(stats, ds.dir);
  const z = samplePrior(o.samples, vae.config.latent, o.temperature, o.seed);
  const t0 = performance.now();
  const x = decodeLatents(vae, z);
  itemsToAudio(x, x.map(() => range), settings, o.invert);
  const priorSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  itemsToAudio(decodeLatents(vae, z.slice(0, 1)), [range], settings, o.invert);
  const singleSeconds = (performance.now() - t1) / 1000;
  const samples: RangedItem[] = x.map((x01) => ({ x01, range }));
  const trainIdx = ds.indices('train');
  const nearest = await nearestItems([...samples, ...valItems], rangedBatches(ds, trainIdx, 256));
  const sampleNearest = nearest.slice(0, samples.length);
  const valNearest = nearest.slice(samples.length);
  return {
    validation: { items: valIdx.length, oracle: meanScores(oracle), reconstruction: meanScores(recon), seconds: validationSeconds },
    prior: {
      samples: samples.length,
      temperature: o.temperature,
      nearestTrain: meanMin(sampleNearest),
      validationNearestTrain: valNearest.length ? meanMin(valNearest) : undefined,
      diversity: diversity(samples),
      validationDiversity: valItems.length > 1 ? diversity(valItems.slice(0, Math.max(2, o.samples))) : undefined,
      seconds: priorSeconds,
      secondsPerSample: priorSeconds / Math.max(1, samples.length),
      secondsSingle: singleSeconds,
    },
  };
}
