/**
 * Measured quality of a checkpoint on its dataset (`npm run eval`):
 * - validation reconstructions, model only (the decoded spectrogram de-normalised with the item's own range
 *   against the item's magnitude: SC, LSD, level difference) and after Griffin-Lim, beside the oracle
 *   (Griffin-Lim from the true magnitude: the cost of the phase alone);
 * - generation, per sampler: the samples' levels against the training clips', their Fréchet distance to the
 *   validation items on log-mel statistics (and on a classifier's embeddings when one is given), with
 *   validation-against-training as the floor; recognisability by that classifier; diversity and the distance to
 *   the nearest training item (a copy detector); and, per label value, the share classified as that label.
 */
import type { SpectrogramDataset } from '../dataset/store.ts';
import type { Scores } from '../dsp/metrics.ts';
import { meanScores } from '../dsp/metrics.ts';
import type { Decibels, Seconds } from '../units.ts';
import { diversity, nearestItems, rangedBatches, type RangedItem } from './distance.ts';
import type { InvertOptions } from './invert.ts';
import { fitFeatureClassifier, frechetDistance, logMelStats, predictFeatures, recognisability, type Recognisability } from './judge.ts';
import type { ClassifierJudge } from './judge.ts';
import { decodeLatents, encodeItems } from './model.ts';
import { defaultSamplerFor, generateSamples, type GeneratedSound, type Generator } from './operations.ts';
import { levelStats, spreadPick, type LevelStats, type SamplerKind } from './sampler.ts';
import { audioLevels, energyToRmsDb, itemEnergy, itemsToAudio, levelTo, scoreAgainstItem, scoreModelOnly } from './spectra.ts';

export interface EvalOptions {
  /** Validation items to reconstruct (spread over the split); 0 for all. */
  validationItems: number;
  /** Samples drawn per sampler. */
  samples: number;
  temperature: number;
  seed: number;
  /** Items per model/Griffin-Lim batch. */
  batch: number;
  invert: Partial<InvertOptions>;
  /** Samplers to judge (those needing a fitted sampler are skipped without one). */
  samplers: SamplerKind[];
  /** Samples per label value for label-conditioned generation (0: skip). */
  perLabel: number;
  /** Training items loaded as the reference set (levels, the log-mel judge; the Fréchet floor takes `samples` of them). */
  trainReference: number;
  /** Also rebuild reconstructions and oracle with Griffin-Lim (false: model-only scores, much faster). */
  griffinLim: boolean;
}

export const DEFAULT_EVAL: EvalOptions = {
  validationItems: 0,
  samples: 100,
  temperature: 1,
  seed: 0,
  batch: 32,
  invert: {},
  samplers: ['prior', 'gaussian', 'gmm', 'neighbours'],
  perLabel: 20,
  trainReference: 1000,
  griffinLim: true,
};

export interface ModelOnlyScores extends Scores {
  /** Median over items of the decoded spectrogram's energy against the item's, in dB. */
  levelDifference: Decibels;
  /** Mean squared error of the decoded [0, 1] spectrogram against the item's: the tutorial's loss, comparable across models. */
  mse: number;
}

export interface GenerationScores {
  sampler: SamplerKind;
  label?: string;
  samples: number;
  /** RMS (dBFS) of the written audio, and straight out of Griffin-Lim before levelling. */
  rms: LevelStats;
  rawRms: LevelStats;
  peak: LevelStats;
  /** Fréchet distance to the validation items on log-mel statistics, and on the classifier's embeddings. */
  frechetFeature: number;
  frechetClassifier?: number;
  recognisability?: Recognisability;
  diversity: Decibels;
  nearestTrain: { mean: Decibels; min: Decibels };
}

export interface EvalResult {
  validation: {
    items: number;
    model?: ModelOnlyScores;
    reconstruction?: Scores;
    oracle?: Scores;
    /** Median level of the reconstruction against the original (dB): straight from Griffin-Lim, and as written. */
    levelRaw: Decibels;
    levelWritten: Decibels;
    /** Median level of the oracle against the same target: ~0 dB shows the spectrogram-energy estimate holds. */
    levelOracle: Decibels;
    /** With a classifier: the share of reconstructions (after Griffin-Lim) and of originals it labels right. */
    classifiedRight?: { reconstructions: number; originals: number };
    seconds: Seconds;
  };
  /** What real sounds score: validation items against training items (absent when no sampler is judged). */
  real?: {
    trainRms: LevelStats;
    /** Training items in the Fréchet floor: as many as samples per sampler (the distance's bias depends on N). */
    floorItems: number;
    frechetFeature: number;
    frechetClassifier?: number;
    recognisability?: Recognisability;
    diversity: Decibels;
    nearestTrain: { mean: Decibels; min: Decibels };
  };
  generation: GenerationScores[];
  /** What judged recognisability: the classifier given, or a logistic regression on log-mel statistics. */
  judgedBy?: string;
  /** Label-conditioned samples: per label value, the share the classifier assigns to it. */
  labels?: { label: string; asExpected: number }[];
  timing: { secondsPerSample: Seconds; secondsSingle: Seconds };
}

const meanMin = (ds: { distance: number }[]) => ({
  mean: ds.reduce((s, d) => s + d.distance, 0) / Math.max(1, ds.length),
  min: Math.min(...ds.map((d) => d.distance)),
});

const median = (xs: number[]) => levelStats(xs).p50;

/** What the reconstruction pass gathers, batch by batch. */
interface ReconstructionTally {
  model: (Scores & { levelDifference: number })[];
  squaredError: number;
  values: number;
  oracle: Scores[];
  recon: Scores[];
  levelRaw: number[];
  levelWritten: number[];
  levelOracle: number[];
  heard: { right: number; original: number; count: number };
}

/** Reconstructs validation items: model-only and after-Griffin-Lim scores, and levels. */
async function judgeReconstructions(
  g: Generator,
  ds: SpectrogramDataset,
  indices: number[],
  o: EvalOptions,
  judge: ClassifierJudge | undefined,
  onProgress: (done: number, total: number) => void,
) {
  const started = performance.now();
  const t: ReconstructionTally = {
    ...{ model: [], squaredError: 0, values: 0, oracle: [], recon: [] },
    ...{ levelRaw: [], levelWritten: [], levelOracle: [], heard: { right: 0, original: 0, count: 0 } },
  };
  const items: RangedItem[] = [];
  for await (const b of rangedBatches(ds, indices, o.batch)) {
    const x = b.items.map((it) => it.x01);
    const decoded = decodeLatents(g.model.vae, encodeItems(g.model.vae, x).mu);
    b.items.forEach((it, i) => {
      t.model.push(scoreModelOnly(decoded[i]!, it.x01, it.range, g.clip));
      for (let j = 0; j < it.x01.length; j++) t.squaredError += (decoded[i]![j]! - it.x01[j]!) ** 2;
      t.values += it.x01.length;
    });
    if (o.griffinLim) scoreHeard(g, ds, b, decoded, o, judge, t);
    items.push(...b.items.map((it) => ({ x01: it.x01.slice(), range: it.range })));
    onProgress(items.length, indices.length);
  }
  const m = meanScores(t.model);
  const { heard } = t;
  return {
    items,
    result: {
      items: indices.length,
      model: m ? { ...m, levelDifference: median(t.model.map((s) => s.levelDifference)), mse: t.squaredError / Math.max(1, t.values) } : undefined,
      reconstruction: meanScores(t.recon),
      oracle: meanScores(t.oracle),
      levelRaw: median(t.levelRaw),
      levelWritten: median(t.levelWritten),
      levelOracle: median(t.levelOracle),
      classifiedRight: heard.count ? { reconstructions: heard.right / heard.count, originals: heard.original / heard.count } : undefined,
      seconds: (performance.now() - started) / 1000,
    },
  };
}

/** A batch's oracle and reconstruction turned into sound: their scores and levels, and what the judge hears. */
function scoreHeard(
  g: Generator,
  ds: SpectrogramDataset,
  b: { indices: number[]; items: RangedItem[] },
  decoded: Float32Array[],
  o: EvalOptions,
  judge: ClassifierJudge | undefined,
  t: ReconstructionTally,
): void {
  const x = b.items.map((it) => it.x01);
  const ranges = b.items.map((it) => it.range);
  const oracleAudio = itemsToAudio(x, ranges, g.clip, o.invert);
  const reconAudio = itemsToAudio(decoded, ranges, g.clip, o.invert);
  if (judge) judgeBatch(g, ds, b.indices, x, reconAudio, judge, t.heard);
  b.items.forEach((it, i) => {
    t.oracle.push(scoreAgainstItem(oracleAudio[i]!, it.x01, it.range, g.clip));
    // The original's level from its spectrogram's energy; reconstructions are written (and scored) levelled to it.
    const target = energyToRmsDb(itemEnergy(it.x01, it.range, g.clip), g.clip);
    const written = levelTo(reconAudio[i]!, target);
    t.recon.push(scoreAgainstItem(written, it.x01, it.range, g.clip));
    t.levelRaw.push(audioLevels(reconAudio[i]!).rms - target);
    t.levelOracle.push(audioLevels(oracleAudio[i]!).rms - target);
    t.levelWritten.push(audioLevels(written).rms - target);
  });
}

/** Do the words survive? The classifier hears the reconstruction's audio as preprocessing would cut it. */
function judgeBatch(
  g: Generator,
  ds: SpectrogramDataset,
  indices: number[],
  x: Float32Array[],
  reconAudio: Float32Array[],
  judge: ClassifierJudge,
  heard: ReconstructionTally['heard'],
): void {
  const truth = indices.map((index) => {
    const it = ds.manifest.items[index]!;
    return judge.field === 'label' ? it.label : (it.labels?.[judge.field] ?? it.label);
  });
  const top = (probs: Float32Array, i: number) => {
    const c = judge.classes.length;
    let best = 0;
    for (let j = 1; j < c; j++) if (probs[i * c + j]! > probs[i * c + best]!) best = j;
    return judge.classes[best];
  };
  const rec = judge.run(reconAudio.map((a) => g.preparer.fromAudio(a).x01)).probs;
  const orig = judge.run(x).probs;
  truth.forEach((t, i) => {
    if (t === undefined) return;
    heard.count++;
    if (top(rec, i) === t) heard.right++;
    if (top(orig, i) === t) heard.original++;
  });
}

/** Features of real items and of generated audio (re-analysed as preprocessing would). */
function features(g: Generator, items: RangedItem[]): Float32Array[] {
  return items.map((it) => logMelStats(it.x01, it.range, g.clip));
}

function reanalyse(g: Generator, sounds: GeneratedSound[]): RangedItem[] {
  return sounds.map((s) => g.preparer.fromAudio(s.audio));
}

/**
 * Runs the whole evaluation. `onProgress` hears (done, total) per batch of validation items.
 * @example const r = await evaluate(createGenerator(ckpt, {}, sampler), await openDataset('data/fsdd'));
 */
export async function evaluate(
  g: Generator,
  ds: SpectrogramDataset,
  options: Partial<EvalOptions> = {},
  judge?: ClassifierJudge,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<EvalResult> {
  const o = { ...DEFAULT_EVAL, ...options };
  const allVal = ds.indices('validation');
  const valIdx = o.validationItems > 0 ? spreadPick(allVal.length, o.validationItems).map((k) => allVal[k]!) : allVal;
  const { items: valItems, result: validation } = await judgeReconstructions(g, ds, valIdx, o, judge, onProgress);
  if (o.samplers.length === 0) return { validation, real: undefined, generation: [], timing: { secondsPerSample: NaN, secondsSingle: NaN } };
  const ref = await referenceSet(g, ds, valItems, o, judge);
  const real = await scoreReal(g, ds, ref, o);
  const generation: GenerationScores[] = [];
  let timing = { secondsPerSample: NaN, secondsSingle: NaN };
  for (const sampler of o.samplers) {
    if ((sampler !== 'prior' && !g.sampler) || (sampler === 'neighbours' && !g.sampler?.neighbours)) continue;
    const scored = await scoreSampler(g, ds, ref, o, sampler);
    generation.push(scored.scores);
    timing = scored.timing;
  }
  const labels = scoreLabels(g, ref, o, judge);
  const judgedBy = judge ? `classifier ${judge.dir}` : ref.byFeatures ? 'a logistic regression on log-mel statistics of training items' : undefined;
  return { validation, real, generation, labels, judgedBy, timing };
}

/** What sounds are compared with: validation items, a spread of training items, and how they are judged. */
interface ReferenceSet {
  trainIdx: number[];
  trainItems: RangedItem[];
  trainFeatures: Float32Array[];
  valItems: RangedItem[];
  valFeatures: Float32Array[];
  /** The trained classifier's view of the validation items (undefined without one). */
  valJudged: ReturnType<ClassifierJudge['run']> | undefined;
  /** Without a trained classifier, a logistic regression on log-mel statistics of the training items judges. */
  byFeatures: ReturnType<typeof fitFeatureClassifier> | undefined;
  classify(items: RangedItem[]): ReturnType<ClassifierJudge['run']> | undefined;
  recognise(items: RangedItem[], feats: Float32Array[], expected?: string): ReturnType<typeof recognisability> | undefined;
}

/** Validation items against a spread of `trainReference` training items, with the judge that recognises sounds. */
async function referenceSet(g: Generator, ds: SpectrogramDataset, valItems: RangedItem[], o: EvalOptions, judge?: ClassifierJudge): Promise<ReferenceSet> {
  const trainIdx = ds.indices('train');
  const refIdx = spreadPick(trainIdx.length, o.trainReference).map((k) => trainIdx[k]!);
  const trainItems: RangedItem[] = [];
  for await (const b of rangedBatches(ds, refIdx, 256)) trainItems.push(...b.items.map((it) => ({ x01: it.x01.slice(), range: it.range })));
  const valFeatures = features(g, valItems);
  const trainFeatures = features(g, trainItems);
  const refLabels = refIdx.map((i) => ds.manifest.items[i]!.label);
  const byFeatures =
    !judge && new Set(refLabels.filter((l) => l !== undefined)).size >= 2
      ? fitFeatureClassifier(
          trainFeatures.filter((_, i) => refLabels[i] !== undefined),
          refLabels.filter((l): l is string => l !== undefined),
        )
      : undefined;
  const classify = (items: RangedItem[]) => judge?.run(items.map((it) => it.x01));
  const recognise = (items: RangedItem[], feats: Float32Array[], expected?: string) =>
    judge
      ? recognisability(judge.run(items.map((it) => it.x01)).probs, judge.classes, expected)
      : byFeatures
        ? recognisability(predictFeatures(byFeatures, feats), byFeatures.classes, expected)
        : undefined;
  return { trainIdx, trainItems, trainFeatures, valItems, valFeatures, valJudged: classify(valItems), byFeatures, classify, recognise };
}

/** The real sounds' own scores: the floor every generated set is compared with. */
async function scoreReal(g: Generator, ds: SpectrogramDataset, ref: ReferenceSet, o: EvalOptions): Promise<EvalResult['real']> {
  const { trainItems, valItems } = ref;
  const trainRms = g.sampler?.trainRms ?? levelStats(trainItems.map((it) => energyToRmsDb(itemEnergy(it.x01, it.range, g.clip), g.clip)));
  // The floor compares as many training items as there are samples: a Fréchet distance estimated from fewer
  // items is larger (its bias grows as 1/N), so only equal sizes compare fairly.
  const floorPick = spreadPick(trainItems.length, o.samples);
  const floorItems = floorPick.map((k) => trainItems[k]!);
  const floorJudged = ref.classify(floorItems);
  const nearestVal = await nearestItems(valItems, rangedBatches(ds, ref.trainIdx, 256));
  return {
    trainRms,
    floorItems: floorItems.length,
    frechetFeature: frechetDistance(
      floorPick.map((k) => ref.trainFeatures[k]!),
      ref.valFeatures,
    ),
    frechetClassifier: ref.valJudged && floorJudged ? frechetDistance(floorJudged.embeddings, ref.valJudged.embeddings) : undefined,
    recognisability: ref.recognise(valItems, ref.valFeatures),
    diversity: diversity(valItems.slice(0, Math.max(2, Math.min(o.samples, 100)))),
    nearestTrain: meanMin(nearestVal),
  };
}

/** One sampler's sounds scored against the reference set, and how long making them took. */
async function scoreSampler(
  g: Generator,
  ds: SpectrogramDataset,
  ref: ReferenceSet,
  o: EvalOptions,
  sampler: EvalOptions['samplers'][number],
): Promise<{ scores: GenerationScores; timing: EvalResult['timing'] }> {
  const { sounds, seconds } = generateSamples(g, { count: o.samples, temperature: o.temperature, seed: o.seed, sampler });
  const t1 = performance.now();
  generateSamples(g, { count: 1, temperature: o.temperature, seed: o.seed, sampler });
  const timing = { secondsPerSample: seconds / sounds.length, secondsSingle: (performance.now() - t1) / 1000 };
  const heard = reanalyse(g, sounds);
  const heardFeatures = features(g, heard);
  const judged = ref.classify(heard);
  const nearest = await nearestItems(
    sounds.map((s) => ({ x01: s.x01, range: s.range })),
    rangedBatches(ds, ref.trainIdx, 256),
  );
  const scores: GenerationScores = {
    sampler,
    samples: sounds.length,
    rms: levelStats(sounds.map((s) => audioLevels(s.audio).rms)),
    rawRms: levelStats(sounds.map((s) => s.rawRms)),
    peak: levelStats(sounds.map((s) => audioLevels(s.audio).peak)),
    frechetFeature: frechetDistance(heardFeatures, ref.valFeatures),
    frechetClassifier: judged && ref.valJudged ? frechetDistance(judged.embeddings, ref.valJudged.embeddings) : undefined,
    recognisability: ref.recognise(heard, heardFeatures),
    diversity: diversity(sounds.map((s) => ({ x01: s.x01, range: s.range }))),
    nearestTrain: meanMin(nearest),
  };
  return { scores, timing };
}

/** Label-conditioned generation, judged by the classifier when it predicts the sampler's label field. */
function scoreLabels(g: Generator, ref: ReferenceSet, o: EvalOptions, judge?: ClassifierJudge): EvalResult['labels'] {
  const values = Object.keys(g.sampler?.labels?.values ?? {}).sort();
  const known = judge?.classes ?? ref.byFeatures?.classes ?? [];
  if (!(o.perLabel > 0 && values.length && values.every((v) => known.includes(v)))) return undefined;
  return values.map((label) => {
    const { sounds } = generateSamples(g, { count: o.perLabel, temperature: o.temperature, seed: o.seed, sampler: defaultSamplerFor(g), label });
    const heard = reanalyse(g, sounds);
    return { label, asExpected: ref.recognise(heard, features(g, heard), label)!.asExpected! };
  });
}
