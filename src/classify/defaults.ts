/**
 * The classifiers' kinds and defaults, without TensorFlow.js: `soundvae classify ... --help` shows them without
 * loading tfjs. models.ts, train.ts, predict.ts and report.ts re-export them.
 */

export const CLASSIFIER_KINDS = ['cnn', 'crnn', 'latent'] as const;
export type ClassifierKind = (typeof CLASSIFIER_KINDS)[number];

export interface ClassifierConfig {
  kind: ClassifierKind;
  /** Filters of the three conv blocks (cnn, crnn). */
  filters: [number, number, number];
  /** Units of the dense layer (cnn) or of each GRU direction (crnn). */
  hidden: number;
  dropout: number;
  learningRate: number;
  batchSize: number;
}

export const DEFAULT_CLASSIFIER: Omit<ClassifierConfig, 'kind'> = {
  filters: [16, 32, 32],
  hidden: 64,
  dropout: 0.5,
  learningRate: 1e-3,
  batchSize: 32,
};

/** `classify train`: the label learnt, epochs and seed. */
export const DEFAULT_CLASSIFY_TRAIN = { labelField: 'label', epochs: 10, seed: 0 };

export interface PredictOptions {
  /** Classes listed per clip and per file. */
  top: number;
  /** Clips of one file at most (a long recording is cut into consecutive clips). */
  maxClips: number;
}

export const DEFAULT_PREDICT: PredictOptions = { top: 3, maxClips: 1000 };

/** `classify report`: validation items on the embedding maps at most, and a UMAP map beside PCA. */
export const DEFAULT_CLASSIFY_REPORT = { mapItems: 1000, umap: true };
