/**
 * The VAE's training-mode forward pass written out with tfjs ops on the model's own variables: the blocks of
 * `vaeArchitecture` (vae.ts), the one definition the layers models are built from too, so the two run the same
 * layers in the same order (engine.test.ts checks they train alike), but with each "Conv -> ReLU -> BatchNorm"
 * block's bias, ReLU and BatchNorm fused into one kernel (src/backend/kernels/bias-relu-bn.ts) whose gradient
 * avoids tfjs's slow Tile/Sum/Mean passes. It also hands back each BatchNorm's batch statistics so the engine can
 * update the moving averages once per step however the batch was split.
 */
import * as tf from '@tensorflow/tfjs';
import { biasReluBn } from '../backend/kernels/bias-relu-bn.ts';
import { vaeArchitecture, vaeLoss, vaeVariables, type ConvBlock, type Vae } from './vae.ts';

/** Batch statistics of one BatchNorm layer, named like its layer ("encoder_bn_1"). */
export interface BnStats {
  layer: string;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

export interface TrainForward {
  loss: tf.Scalar;
  /** [loss, reconstruction, kl] */
  parts: tf.Tensor1D;
  bnStats: BnStats[];
}

/** BatchNorm epsilon of a layer as configured in the layers model (tfjs default 1e-3). */
function bnEpsilon(vae: Vae, layer: string): number {
  const model = layer.startsWith('encoder') ? vae.encoder : vae.decoder;
  return (model.getLayer(layer).getConfig().epsilon as number | undefined) ?? 1e-3;
}

/**
 * Training-mode forward pass and loss of one batch x [N, H, W, 1] with reparameterisation noise eps [N, latent].
 * Call inside tf.variableGrads / tf.tidy.
 */
export function trainForward(vae: Vae, x: tf.Tensor4D, eps: tf.Tensor2D, klWeight = vae.config.klWeight ?? 1): TrainForward {
  const vars = new Map(vaeVariables(vae).map((v) => [v.originalName, v.read()]));
  const w = (name: string) => vars.get(name)!;
  const { config } = vae;
  const n = x.shape[0];
  const arch = vaeArchitecture(config, vae.inputShape);
  const bnStats: BnStats[] = [];
  const block = (z: tf.Tensor, b: ConvBlock) => {
    const out = biasReluBn(z, w(`${b.conv}/bias`), w(`${b.bn}/gamma`), w(`${b.bn}/beta`), bnEpsilon(vae, b.bn!));
    bnStats.push({ layer: b.bn!, mean: out.mean, variance: out.variance });
    return out.y as tf.Tensor4D;
  };

  // Encoder: (Conv2D same -> ReLU -> BatchNorm) per block, flatten, dense mu and log-variance.
  let h: tf.Tensor4D = x;
  for (const b of arch.encoder) h = block(tf.conv2d(h, w(`${b.conv}/kernel`) as tf.Tensor4D, b.stride, 'same'), b);
  const time = config.bottleneck === 'time';
  const project = (name: string) =>
    time
      ? (tf.reshape(tf.add(tf.conv2d(h, w(`${name}/kernel`) as tf.Tensor4D, 1, 'valid'), w(`${name}/bias`)), [n, -1]) as tf.Tensor2D)
      : (tf.add(tf.matMul(tf.reshape(h, [n, -1]) as tf.Tensor2D, w(`${name}/kernel`) as tf.Tensor2D), w(`${name}/bias`)) as tf.Tensor2D);
  const mu = project('mu');
  const logvar = project('log_variance');

  // Reparameterisation.
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;

  // Decoder: dense -> reshape -> (Conv2DTranspose -> ReLU -> BatchNorm) mirroring the encoder -> 1 channel -> sigmoid.
  const { grid } = arch;
  let d = (
    time
      ? tf.add(
          tf.conv2dTranspose(tf.reshape(z, [n, 1, grid[1], config.latent]) as tf.Tensor4D, w('decoder_dense/kernel') as tf.Tensor4D, [n, ...grid], 1, 'valid'),
          w('decoder_dense/bias'),
        )
      : tf.reshape(tf.add(tf.matMul(z, w('decoder_dense/kernel') as tf.Tensor2D), w('decoder_dense/bias')), [n, ...grid])
  ) as tf.Tensor4D;
  for (const b of arch.decoder) {
    const [, ih, iw] = d.shape;
    const out: [number, number, number, number] = [n, ih * b.stride[0], iw * b.stride[1], b.filters];
    d = block(tf.conv2dTranspose(d, w(`${b.conv}/kernel`) as tf.Tensor4D, out, b.stride, 'same'), b);
  }
  const last = arch.output;
  const [height, width] = vae.inputShape;
  const logits = tf.add(tf.conv2dTranspose(d, w(`${last.conv}/kernel`) as tf.Tensor4D, [n, height, width, 1], last.stride, 'same'), w(`${last.conv}/bias`));
  const recon = tf.sigmoid(logits);

  const l = vaeLoss(x, recon, mu, logvar, config.reconstructionWeight, config.reconstructionLoss, klWeight, config.lossEmphasis, config.spectralWeight);
  return { loss: l.loss, parts: tf.stack([l.loss, l.reconstruction, l.kl]) as tf.Tensor1D, bnStats };
}
