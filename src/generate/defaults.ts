/**
 * The generation commands' defaults and choices, without TensorFlow.js: `generate --help`, `reconstruct --help` and
 * `report --help` show them without loading tfjs (nor the DSP code). The modules that use them (invert.ts,
 * sampler.ts, operations.ts, whole-file.ts, report-data.ts, listening-report.ts) re-export them, so either place can
 * be imported.
 */
import { DEFAULT_ITERATION } from '../dsp/defaults.ts';
import type { PhaseInit } from '../dsp/index.ts';
import type { Seconds } from '../units.ts';

/** Griffin-Lim settings for turning spectrograms into audio. */
export interface InvertOptions {
  iterations: number;
  momentum: number;
  init: PhaseInit;
  seed: number;
}

/**
 * 32 momentum iterations from PGHI: PGHI alone is about as good as 20-30 random-start iterations, and the
 * momentum iterations then refine it; measured in bench-dsp and `soundvae invert`.
 */
export const DEFAULT_INVERT: InvertOptions = {
  ...DEFAULT_ITERATION,
  // Generation starts from PGHI's phase, not dsp's random one (librosa's default, kept for `invert`): better SC in as many iterations
  init: 'pghi',
};

/** Where latent codes come from (`generate --sampler`; see sampler.ts). */
export const SAMPLER_KINDS = ['prior', 'gaussian', 'gmm', 'neighbours'] as const;
export type SamplerKind = (typeof SAMPLER_KINDS)[number];
/** Chosen by the measurements in the README (recognisability, classes covered, Fréchet distance on FSDD). */
export const DEFAULT_SAMPLER: SamplerKind = 'neighbours';

export interface SampleOptions {
  count: number;
  temperature: number;
  seed: number;
  /** Where codes come from (sampler.ts); 'prior' is the tutorial's N(0, I). */
  sampler: SamplerKind;
  /** Draw from this label value's density only. */
  label?: string;
  /** Level each sample to the training clips' median RMS (needs a fitted sampler). */
  level: boolean;
  /**
   * Length of each sound; absent = one clip. Longer sounds chain drawn clip codes along time and decode them as
   * one spectrogram (models with a latent per time step only).
   */
  seconds?: Seconds;
}

export const DEFAULT_SAMPLE: SampleOptions = { count: 8, temperature: 1, seed: 0, sampler: DEFAULT_SAMPLER, level: true };

/** Whole-file reconstruction (whole-file.ts): clips encoded and decoded at a time, longest blend in seconds. */
export const DEFAULT_FILE_RECONSTRUCT = { batch: 32, fade: 0.05 };

/** The latent map of a dataset (report-data.ts): items at most, encoding batch, UMAP beside PCA. */
export const DEFAULT_LATENT_MAP = { maxItems: 1500, batch: 64, umap: true };

/** `interpolate`: points on the path, ends included. */
export const DEFAULT_INTERPOLATE = { steps: 7 };

/** `reconstruct --data`: items taken, and from which split. */
export const DEFAULT_RECONSTRUCT_ITEMS = { count: 8, split: 'validation' as 'validation' | 'train' | 'all' };

export interface ListeningReportOptions {
  checkpoint: string;
  out: string;
  /** Dataset folder; default the one the checkpoint was trained on (skipped with a notice when it is gone). */
  data?: string;
  /** Validation items to reconstruct. */
  count: number;
  /** Sounds from the default sampler. */
  samples: number;
  /** Sounds per label value, a row each (when the checkpoint's sampler has labels). */
  perLabel: number;
  /** At most this many label values get a row. */
  maxLabels: number;
  /** Interpolation steps. */
  steps: number;
  temperature: number;
  seed: number;
  iterations: number;
  /** Dataset items on the latent map. */
  mapItems: number;
  umap: boolean;
  backend?: string;
  /** Notices (missing dataset, unreadable sources). */
  warn: (message: string) => void;
}

export const DEFAULT_LISTENING_REPORT: Omit<ListeningReportOptions, 'checkpoint' | 'out'> = {
  count: 6,
  samples: DEFAULT_SAMPLE.count,
  perLabel: 4,
  maxLabels: 12,
  steps: DEFAULT_INTERPOLATE.steps,
  temperature: DEFAULT_SAMPLE.temperature,
  seed: DEFAULT_SAMPLE.seed,
  iterations: DEFAULT_INVERT.iterations,
  mapItems: DEFAULT_LATENT_MAP.maxItems,
  umap: true,
  warn: (m) => console.error(`soundvae: ${m}`),
};
