/**
 * Sound classifiers on the same spectrograms the VAE learns from, three ways:
 *
 *   cnn:    (Conv2D 3x3 -> ReLU -> MaxPool 2x2 -> BatchNorm) x 3 -> flatten -> dense 64 -> BatchNorm -> ReLU -> dropout 0.5
 *           -> softmax
 *   crnn:   the same conv front end -> frames as a sequence -> bidirectional GRU -> dense -> softmax
 *   latent: a linear probe (softmax regression) on a trained VAE's latent means
 *
 * Inputs are [height = bins, width = frames, 1] in [0, 1], as stored by the dataset.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import type { ClassifierConfig } from './defaults.ts';

export { CLASSIFIER_KINDS, DEFAULT_CLASSIFIER, type ClassifierConfig, type ClassifierKind } from './defaults.ts';

function convBlock(x: tf.SymbolicTensor, filters: number, k: number, seed: number): tf.SymbolicTensor {
  x = tf.layers
    .conv2d({
      filters,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + k }) as never,
      name: `conv_${k}`,
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool_${k}` }).apply(x) as tf.SymbolicTensor;
  // Momentum 0.9, not Keras's 0.99: small datasets give few steps, and the moving statistics must settle in them.
  return tf.layers.batchNormalization({ momentum: 0.9, name: `bn_${k}` }).apply(x) as tf.SymbolicTensor;
}

function softmaxHead(x: tf.SymbolicTensor, classes: number, seed: number): tf.SymbolicTensor {
  return tf.layers
    .dense({
      units: classes,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 99 }) as never,
      name: 'class_probabilities',
    })
    .apply(x) as tf.SymbolicTensor;
}

/** The small CNN: three conv/pool/batch-norm blocks, dense, dropout, softmax. Input [H, W, 1]. */
export function buildCnn(config: ClassifierConfig, inputShape: [number, number], classes: number, seed = 0): tf.LayersModel {
  checkPoolable(inputShape);
  const input = tf.input({ shape: [inputShape[0], inputShape[1], 1], name: 'spectrogram' });
  let x = input;
  config.filters.forEach((f, i) => (x = convBlock(x, f, i + 1, seed)));
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: config.hidden, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 50 }) as never, name: 'dense' })
    .apply(x) as tf.SymbolicTensor;
  // Batch norm before the ReLU: the flattened map is wide (8192 values for 256 x 64), so Adam's first steps shift
  // every unit's input a lot; without it all 64 units died on FSDD (lr 1e-3: output uniform, 10% accuracy).
  x = tf.layers.batchNormalization({ momentum: 0.9, name: 'dense_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'embedding' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: config.dropout, seed: seed + 51, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: softmaxHead(x, classes, seed), name: 'cnn' });
}

/**
 * The convolutional-recurrent variant: the CNN's front end, then each time step (column) of the feature map,
 * flattened over frequency and channels, is one step of a bidirectional GRU whose last states are classified.
 */
export function buildCrnn(config: ClassifierConfig, inputShape: [number, number], classes: number, seed = 0): tf.LayersModel {
  checkPoolable(inputShape);
  const input = tf.input({ shape: [inputShape[0], inputShape[1], 1], name: 'spectrogram' });
  let x = input;
  config.filters.forEach((f, i) => (x = convBlock(x, f, i + 1, seed)));
  const [h, w, c] = x.shape.slice(1) as number[];
  // [H, W, C] -> [W, H, C] -> [W, H*C]: time becomes the sequence axis.
  x = tf.layers.permute({ dims: [2, 1, 3], name: 'time_first' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [w!, h! * c!], name: 'frames' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .bidirectional({
      layer: tf.layers.gru({ units: config.hidden, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 60 }) as never }) as never,
      mergeMode: 'concat',
      name: 'bigru',
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: config.dropout, seed: seed + 61, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: softmaxHead(x, classes, seed), name: 'crnn' });
}

/** A linear probe: softmax regression on latent means of size `latent`. */
export function buildLatentProbe(latent: number, classes: number, seed = 0): tf.LayersModel {
  const input = tf.input({ shape: [latent], name: 'latent_mean' });
  return tf.model({ inputs: input, outputs: softmaxHead(input, classes, seed), name: 'latent_probe' });
}

function checkPoolable([h, w]: [number, number]): void {
  if (h < 8 || w < 8) throw new UserError(`spectrograms of ${h}x${w} are too small for three 2x2 poolings (need at least 8x8)`);
}
