/**
 * A trained soundvae classifier (CNN or CRNN, `soundvae classify train`) as a judge of generated sounds: class
 * probabilities and penultimate-layer embeddings of normalised spectrograms, for judge.ts's recognisability and
 * Fréchet distance.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import type { ClassifierJudge } from '../generate/judge.ts';

export type { ClassifierJudge };
import { EMBEDDING_LAYER, loadClassifier } from './train.ts';

/** Loads a classifier folder as a judge; it must take spectrograms of `shape` (not the latent probe). */
export async function loadClassifierJudge(dir: string, shape: [number, number]): Promise<ClassifierJudge> {
  const { model, info } = await loadClassifier(dir);
  const layer = EMBEDDING_LAYER[info.config.kind];
  if (!layer) {
    model.dispose();
    throw new UserError(`${dir}: a latent probe cannot judge generated sounds independently; train a cnn or crnn classifier`);
  }
  if (info.inputShape.join('x') !== shape.join('x')) {
    model.dispose();
    throw new UserError(`${dir}: the classifier takes ${info.inputShape.join('x')} spectrograms, the checkpoint makes ${shape.join('x')}`);
  }
  const twoHeads = tf.model({ inputs: model.inputs, outputs: [model.getLayer(layer).output as tf.SymbolicTensor, model.outputs[0]!] });
  const [h, w] = shape;
  return {
    dir,
    classes: info.classes,
    field: info.labelField,
    run(items) {
      const c = info.classes.length;
      const probs = new Float32Array(items.length * c);
      const embeddings: Float32Array[] = [];
      for (let start = 0; start < items.length; start += 32) {
        const chunk = items.slice(start, start + 32);
        const flat = new Float32Array(chunk.length * h * w);
        chunk.forEach((x, i) => flat.set(x, i * h * w));
        const [hidden, p] = tf.tidy(() => twoHeads.predict(tf.tensor4d(flat, [chunk.length, h, w, 1])) as tf.Tensor[]) as [tf.Tensor, tf.Tensor];
        probs.set(p.dataSync() as Float32Array, start * c);
        const dim = hidden.size / chunk.length;
        const e = hidden.dataSync() as Float32Array;
        for (let i = 0; i < chunk.length; i++) embeddings.push(e.slice(i * dim, (i + 1) * dim));
        tf.dispose([hidden, p]);
      }
      return { probs, embeddings };
    },
    dispose: () => model.dispose(),
  };
}
