/**
 * Sounds of a training run for TensorBoard's Audio tab (`soundvae train` passes this as its `listen` hook): a few
 * validation items spread over labels and speakers, heard once as Griffin-Lim of their true magnitude and then
 * after every epoch as the checkpoint's reconstruction, levelled to the original. Hear the model learn.
 */
import path from 'node:path';
import { openDataset } from '../dataset/store.ts';
import { disposeVae, loadCheckpoint } from '../train/checkpoint.ts';
import type { AudioSummary } from '../train/tensorboard.ts';
import { rangedBatches, type RangedItem } from './distance.ts';
import { decodeLatents, encodeItems } from './model.ts';
import { createGenerator } from './operations.ts';
import { staggeredPick } from './sampler.ts';
import { energyToRmsDb, itemEnergy, itemsToAudio, levelTo } from './spectra.ts';

/** Items heard per epoch: enough to hear different voices, few enough to cost well under a second. */
export const LISTEN_ITEMS = 3;

/**
 * A `listen` hook for `train`: reconstructions of `count` items of the dataset in `dataDir` (validation items,
 * or training items when there is no validation split), and their oracle inversions on the first call.
 * @example await train(data, { out: 'runs/digits', listen: epochListener('datasets/fsdd') });
 */
export function epochListener(dataDir: string, count = LISTEN_ITEMS): (checkpointDir: string) => Promise<AudioSummary[]> {
  // The items never change: read once, on the first call (which also hears the originals).
  let heard: { names: string[]; items: RangedItem[] } | undefined;
  return async (checkpointDir) => {
    const ckpt = await loadCheckpoint(checkpointDir);
    try {
      const g = createGenerator(ckpt);
      const first = !heard;
      heard ??= await readItems(dataDir, count);
      const { names, items } = heard;
      const ranges = items.map((it) => it.range);
      const x01s = items.map((it) => it.x01);
      const rebuilt = itemsToAudio(decodeLatents(ckpt.vae, encodeItems(ckpt.vae, x01s).mu), ranges, g.clip, g.invert);
      const sampleRate = g.clip.sampleRate;
      const sounds = rebuilt.map((audio, i) => ({
        tag: `reconstruction/${names[i]}`,
        audio: levelTo(audio, energyToRmsDb(itemEnergy(x01s[i]!, ranges[i]!, g.clip), g.clip)),
        sampleRate,
      }));
      if (!first) return sounds;
      const originals = itemsToAudio(x01s, ranges, g.clip, g.invert);
      return [...originals.map((audio, i) => ({ tag: `original/${names[i]}`, audio, sampleRate })), ...sounds];
    } finally {
      disposeVae(ckpt.vae);
    }
  };
}

/** `count` validation items (training items without a validation split) spread over labels and speakers. */
async function readItems(dataDir: string, count: number): Promise<{ names: string[]; items: RangedItem[] }> {
  const ds = await openDataset(dataDir);
  try {
    const split = ds.indices('validation').length ? ds.indices('validation') : ds.indices('train');
    const picked = staggeredPick(split.length, count).map((k) => split[k]!);
    const items: RangedItem[] = [];
    for await (const b of rangedBatches(ds, picked, count)) items.push(...b.items.map((it) => ({ x01: it.x01.slice(), range: it.range })));
    const names = picked.map((index) => path.basename(ds.manifest.items[index]!.source).replace(/\.[^.]+$/, ''));
    return { names, items };
  } finally {
    await ds.close();
  }
}
