/**
 * The explorer's data, made once when `soundvae explore` starts: the checkpoint's decoder files, and from the
 * dataset the latent means of up to `mapItems` items (spread evenly), their principal components (the map's axes
 * and the sliders: a point of the PCA map maps back to a code exactly) and UMAP, labels and colours, and the
 * parts of sampler.json the page samples from. Everything the page then does with a code happens in the browser.
 */
import path from 'node:path';
import { initBackend, type BackendName } from '../backend/backend.ts';
import { type DatasetItem, openDataset, type SpectrogramDataset } from '../dataset/store.ts';
import { describeError, UserError } from '../errors.ts';
import { fitSubspace, project } from '../generate/density.ts';
import { DEFAULT_INVERT, priorRange } from '../generate/invert.ts';
import { encodeDatasetItems } from '../generate/model.ts';
import { readSampler, type LatentSampler } from '../generate/sampler.ts';
import { ClipPreparer, clipSettings } from '../generate/settings.ts';
import { framesPerStep, latentSize } from '../model/vae.ts';
import { createProgress, type ProgressStream } from '../progress.ts';
import { categoryColor, umap2 } from '../report/embed.ts';
import { CHECKPOINT_FILES, disposeVae, loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { DEFAULT_EXPLORE } from './defaults.ts';
import type { ExploreData, PageSampler } from './types.ts';

export interface ExploreOptions {
  checkpoint: string;
  /** Dataset folder; default the one the checkpoint was trained on. */
  data?: string;
  /** Dataset items on the map at most (spread evenly over it). */
  mapItems: number;
  /** Also compute a UMAP map. */
  umap: boolean;
  /** Principal directions with a slider. */
  components: number;
  /** tfjs backend for encoding the dataset (the page picks its own). */
  backend?: string;
  /** Where the encoding progress goes; false: nowhere. */
  progress?: ProgressStream | false;
}

export { DEFAULT_EXPLORE } from './defaults.ts';

/** What the server serves: the page's data, the decoder's files, and the mapped items' spectrograms. */
export interface ExploreSession {
  data: ExploreData;
  /** The checkpoint's decoder folder (model.json + its weight files). */
  decoderDir: string;
  /** The normalised spectrogram of mapped item `k` (bins x frames, bin-major). */
  readItem(k: number): Promise<Float32Array>;
  /** Mapped item `k`'s own audio, re-read from its source file as preprocessing cut it; undefined when unreadable. */
  readItemAudio(k: number): Promise<Float32Array | undefined>;
  close(): Promise<void>;
}

/** base64 of the codes' float32 values, items after one another. */
export function packCodes(codes: Float32Array[]): string {
  const dim = codes[0]?.length ?? 0;
  const flat = new Float32Array(codes.length * dim);
  codes.forEach((c, i) => flat.set(c, i * dim));
  return Buffer.from(flat.buffer).toString('base64');
}

/** The sampler's parts the page uses (no neighbour codes: they stay on disk). */
export function pageSampler(s: LatentSampler): PageSampler {
  return { subspace: s.subspace, gaussian: s.gaussian, gmm: s.gmm, labels: s.labels, range: s.range, levelDb: s.trainRms.p50 };
}

/** Checks the dataset against the checkpoint: one-line errors naming the folder. */
async function openMatchingDataset(ckpt: LoadedCheckpoint, data: string | undefined): Promise<SpectrogramDataset> {
  const dir = data ?? ckpt.dataset.path;
  const ds = await openDataset(dir).catch((err) => {
    throw new UserError(`${dir}: ${describeError(err)}${data ? '' : ' (the dataset this checkpoint was trained on; name another with --data)'}`);
  });
  const want = ckpt.dataset.preprocessing;
  const have = ds.manifest.settings;
  const problem =
    ds.shape.join('x') !== ckpt.inputShape.join('x')
      ? `items are ${ds.shape.join('x')} but the checkpoint takes ${ckpt.inputShape.join('x')}`
      : have.sampleRate !== want.sampleRate || have.nFft !== want.nFft || have.hop !== want.hop
        ? `made at ${have.sampleRate} Hz with STFT ${have.nFft}/${have.hop}, the checkpoint at ${want.sampleRate} Hz with ${want.nFft}/${want.hop}`
        : ds.indices('all').length === 0
          ? 'has no items'
          : undefined;
  if (problem) {
    await ds.close();
    throw new UserError(`${ds.dir}: ${problem}: this dataset does not match the checkpoint`);
  }
  return ds;
}

/**
 * Loads the checkpoint, encodes the dataset's items and derives the page's data (see the file comment).
 * @throws UserError for a folder that is not a checkpoint, or a dataset that does not match it.
 */
export async function prepareExplore(options: ExploreOptions): Promise<ExploreSession> {
  const o = { ...DEFAULT_EXPLORE, ...options };
  await initBackend(o.backend as BackendName | 'auto' | undefined);
  const ckpt = await loadCheckpoint(o.checkpoint);
  let ds: SpectrogramDataset | undefined;
  let modelLoaded = true;
  try {
    ds = await openMatchingDataset(ckpt, o.data);
    const sampler = await readSampler(ckpt.dir);
    const all = ds.indices('all');
    const n = Math.max(1, Math.min(o.mapItems, all.length));
    const picked = Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
    const mus = await encodePicked(ckpt, ds, picked, o);
    disposeVae(ckpt.vae); // the page decodes; the server only needed the encoder once
    modelLoaded = false;
    const data: ExploreData = {
      ...modelData(ckpt, o.checkpoint),
      sampler: sampler ? pageSampler(sampler) : undefined,
      ...itemData(picked.map((i) => ds!.manifest.items[i]!)),
      codes: packCodes(mus),
      pca: pcaMap(mus, o.components),
      umap: o.umap && n >= 3 ? umap2(mus).points : undefined,
      datasetItems: all.length,
    };
    return serveItems(data, ckpt, ds, picked);
  } catch (err) {
    if (modelLoaded) disposeVae(ckpt.vae);
    await ds?.close();
    throw err;
  }
}

type Checkpoint = LoadedCheckpoint;

/** The latent means of the picked items, encoded `o.batch` at a time. */
async function encodePicked(ckpt: Checkpoint, ds: SpectrogramDataset, picked: number[], o: typeof DEFAULT_EXPLORE & ExploreOptions): Promise<Float32Array[]> {
  const bar = o.progress === false ? undefined : createProgress({ total: picked.length, label: 'encode items', unit: 'items', stream: o.progress });
  const mus = await encodeDatasetItems(ckpt.vae, ds, picked, o.batch, (done) => bar?.update(done));
  bar?.finish();
  return mus;
}

/** What the page needs of the model: its latent layout, clip and inversion settings, the range of a prior sample. */
function modelData(ckpt: Checkpoint, checkpoint: string) {
  const latent = latentSize(ckpt.config, ckpt.inputShape);
  const time = ckpt.config.bottleneck === 'time';
  const steps = time ? ckpt.inputShape[1] / framesPerStep(ckpt.config) : 1;
  return {
    title: path.basename(path.resolve(checkpoint)),
    latentSize: latent,
    bottleneck: time ? ('time' as const) : ('dense' as const),
    steps,
    perStep: latent / steps,
    clip: clipSettings(ckpt),
    invert: { ...DEFAULT_INVERT },
    prior: priorRange(ckpt.dataset.normalization, ckpt.dir),
  };
}

/** The mapped items' names, labels and ranges, with a colour per label. */
function itemData(items: DatasetItem[]): Pick<ExploreData, 'items' | 'labels' | 'colors'> {
  const itemLabels = items.map((it) => it.label ?? '');
  const labels = [...new Set(itemLabels)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return {
    items: items.map((it, i) => ({
      name: `${path.basename(it.source)}${it.offset > 0 ? ` @${it.offset.toFixed(2)} s` : ''}`,
      label: itemLabels[i]!,
      split: it.split,
      range: { min: it.min, max: it.max },
    })),
    labels,
    colors: labels.map((_, i) => categoryColor(i)),
  };
}

/** The PCA map of the codes: the subspace, each code's coordinates, their spreads and the variance each explains. */
function pcaMap(mus: Float32Array[], components: number): ExploreData['pca'] {
  const n = mus.length;
  const subspace = fitSubspace(mus, Math.max(2, components));
  const coords = mus.map((m) => Array.from(project(subspace, m)));
  const k = subspace.basis.length;
  const variance = Array.from({ length: k }, (_, j) => coords.reduce((sum, c) => sum + c[j]! ** 2, 0) / Math.max(1, n - 1));
  const total = mus.reduce((sum, m) => sum + m.reduce((t, v, i) => t + (v - subspace.center[i]!) ** 2, 0), 0) / Math.max(1, n - 1);
  return {
    center: subspace.center,
    basis: subspace.basis,
    coords,
    sd: variance.map((v) => Math.sqrt(v) || 1),
    explained: variance.map((v) => (total > 0 ? v / total : 0)),
  };
}

/** The session: the page's data, and each mapped item's stored spectrogram and original audio on request. */
function serveItems(data: ExploreData, ckpt: Checkpoint, dataset: SpectrogramDataset, picked: number[]): ExploreSession {
  const preparer = new ClipPreparer(ckpt.dataset.preprocessing);
  const check = (k: number) => {
    if (!Number.isInteger(k) || k < 0 || k >= picked.length) throw new RangeError(`no mapped item ${k}`);
    return picked[k]!;
  };
  return {
    data,
    decoderDir: path.join(ckpt.dir, CHECKPOINT_FILES.decoder),
    readItem: async (k) => dataset.read([check(k)]),
    readItemAudio: async (k) => {
      const item = dataset.manifest.items[check(k)]!;
      try {
        return (await preparer.clipAt(item.source, item.offset)).audio;
      } catch {
        return undefined; // the source moved or was deleted: the page plays the stored spectrogram instead
      }
    },
    close: () => dataset.close(),
  };
}
