/**
 * Classifying any audio file with a trained classifier: the file goes through the dataset pipeline's stages with
 * the classifier's stored preprocessing settings (via generate's ClipPreparer), cut into clips when it is longer
 * than one, and each clip gets class probabilities; the file's summary is their mean.
 */
import * as tf from '@tensorflow/tfjs';
import type { PreprocessSettings } from '../dataset/presets.ts';
import { describeError, UserError } from '../errors.ts';
import { ClipPreparer } from '../generate/settings.ts';
import type { Vae } from '../model/vae.ts';
import type { Seconds } from '../units.ts';
import { DEFAULT_PREDICT, type PredictOptions } from './defaults.ts';
import { topK } from './metrics.ts';
import { classifierInput, loadClassifier, loadVaeFor, type ClassifierInfo } from './train.ts';

export { DEFAULT_PREDICT, type PredictOptions } from './defaults.ts';

/** A class and its probability. */
export interface ClassScore {
  label: string;
  probability: number;
}

export interface ClipPrediction {
  offset: Seconds;
  top: ClassScore[];
}

/** One file's result: its clips and the mean over them, or why it could not be read. */
export type FilePrediction = { file: string; clips: ClipPrediction[]; summary: ClassScore[]; error?: undefined } | { file: string; error: string };

/**
 * The preprocessing settings for prediction: the classifier's own, but every clip of a file rather than only the
 * first, so a long file is heard whole. (`readClassifierInfo` checked them: they are a whole `RecordedSettings`.)
 */
export function predictionSettings(info: ClassifierInfo): PreprocessSettings {
  return { ...info.settings, split: 'clips' };
}

/** The `k` most probable classes of a probability row. */
export function topClasses(probs: ArrayLike<number>, classes: readonly string[], k: number): ClassScore[] {
  return topK(probs, Math.min(k, classes.length)).map((i) => ({ label: classes[i]!, probability: probs[i]! }));
}

/** Column means of a row-major [rows, cols] matrix. */
export function meanRows(data: Float32Array, rows: number, cols: number): Float32Array {
  const mean = new Float32Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c]! += data[r * cols + c]! / rows;
  return mean;
}

/**
 * Classifies audio files. A file that cannot be read or holds no sound gets an `error` and the others go on.
 * @example
 * const results = await predictFiles('classifiers/digits', ['hello.wav']);
 * console.log(results[0].summary); // [{ label: '7', probability: 0.91 }, ...]
 */
export async function predictFiles(dir: string, files: string[], options: Partial<PredictOptions> = {}): Promise<FilePrediction[]> {
  const o = { ...DEFAULT_PREDICT, ...options };
  const { model, info } = await loadClassifier(dir);
  const vae = info.config.kind === 'latent' ? await loadVaeFor(info) : undefined;
  try {
    const preparer = new ClipPreparer(predictionSettings(info));
    const results: FilePrediction[] = [];
    for (const file of files) {
      let clips;
      try {
        clips = await preparer.clips(file, o.maxClips);
      } catch (err) {
        results.push({ file, error: err instanceof UserError ? err.message : `${file}: ${describeError(err)}` });
        continue;
      }
      const probs = await classifyClips(
        model,
        info,
        clips.map((c) => c.x01),
        vae,
      );
      const k = info.classes.length;
      results.push({
        file,
        clips: clips.map((c, i) => ({ offset: c.offset, top: topClasses(probs.subarray(i * k, (i + 1) * k), info.classes, o.top) })),
        summary: topClasses(meanRows(probs, clips.length, k), info.classes, o.top),
      });
    }
    return results;
  } finally {
    model.dispose();
    if (vae) [vae.encoder, vae.decoder].forEach((m) => m.dispose());
  }
}

/** Class probabilities [n, classes] of normalised spectrograms (bins x frames each). */
async function classifyClips(model: tf.LayersModel, info: ClassifierInfo, spectrograms: Float32Array[], vae?: Vae): Promise<Float32Array> {
  const [h, w] = info.inputShape;
  const classes = info.classes.length;
  const out = new Float32Array(spectrograms.length * classes);
  const batch = info.config.batchSize;
  for (let start = 0; start < spectrograms.length; start += batch) {
    const chunk = spectrograms.slice(start, start + batch);
    const data = new Float32Array(chunk.length * h * w);
    chunk.forEach((s, i) => {
      // The preparer makes exactly the dataset's shape from the same settings; a mismatch is a bug, not the user's.
      if (s.length !== h * w) throw new Error(`clip spectrogram has ${s.length} values, the classifier wants ${h}x${w}`);
      data.set(s, i * h * w);
    });
    const probs = tf.tidy(() => model.predict(classifierInput(data, chunk.length, info.inputShape, vae)) as tf.Tensor);
    out.set(await probs.data(), start * classes);
    probs.dispose();
  }
  return out;
}

/** Lines for the terminal: per clip (when a file has several) and the file's summary. */
export function formatPredictions(results: FilePrediction[]): string {
  const scores = (top: ClassScore[]) => top.map((s) => `${s.label} ${(100 * s.probability).toFixed(1)}%`).join('  ');
  const lines: string[] = [];
  for (const r of results) {
    if (r.error !== undefined) {
      lines.push(`${r.file}: skipped: ${r.error.startsWith(r.file) ? r.error.slice(r.file.length).replace(/^:\s*/, '') : r.error}`);
      continue;
    }
    lines.push(r.file);
    if (r.clips.length > 1) for (const c of r.clips) lines.push(`  ${c.offset.toFixed(2).padStart(8)} s  ${scores(c.top)}`);
    lines.push(`  ${r.clips.length > 1 ? `mean of ${r.clips.length} clips` : '1 clip'}: ${scores(r.summary)}`);
  }
  return lines.join('\n');
}
