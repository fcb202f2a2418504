/**
 * Turns generation results into the report's plain data: writes each clip (WAV + spectrogram PNG) into the report
 * folder and returns the sections with relative paths. Also the training curves and the latent map of a dataset.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeWav } from '../audio/index.ts';
import type { SpectrogramDataset } from '../dataset/store.ts';
import { writeFileAtomic } from '../fsutil.ts';
import type { Vae } from '../model/vae.ts';
import { writeClip, type ClipAssetOptions } from './assets.ts';
import { pca2, scatterSvg, umap2 } from './embed.ts';
import {
  writeReport,
  type AudioClip,
  type GeneratedItem,
  type ImageRef,
  type InterpolationStrip,
  type LatentMap,
  type ReconstructionRow,
  type ReportData,
} from './html.ts';
import { sessionFacts, type Session } from '../generate/session.ts';
import type { EpochMetrics } from '../train/checkpoint.ts';
import { renderCurvesSvg } from '../train/curves.ts';
import { DEFAULT_LATENT_MAP } from '../generate/defaults.ts';
import { nearestItems, rangedBatches } from '../generate/distance.ts';
import { encodeDatasetItems } from '../generate/model.ts';
import type { GeneratedSound, Generator, Interpolation, Reconstruction } from '../generate/operations.ts';
import { audioLevels } from '../generate/spectra.ts';
import type { FileReconstruction } from '../generate/whole-file.ts';
import type { ClipSettings } from '../generate/spectra.ts';

/** Picture settings from the checkpoint's own STFT, so the images show what the model saw. */
export function assetOptions(clip: ClipSettings): Partial<ClipAssetOptions> & { sampleRate: number } {
  return { sampleRate: clip.sampleRate, nFft: clip.stft.nFft, hop: clip.stft.hop };
}

/**
 * Writes one output clip: `<dir>/<base>.wav`, plus its spectrogram PNG when `withImage` (for a report).
 * @returns the clip as the report refers to it (paths relative to `dir`).
 */
export async function writeOutput(dir: string, base: string, audio: Float32Array, clip: ClipSettings, withImage: boolean): Promise<AudioClip> {
  if (withImage) return writeClip(dir, base, audio, assetOptions(clip));
  await writeWav(path.join(dir, `${base}.wav`), audio, clip.sampleRate);
  return { src: `${base}.wav` };
}

/**
 * Writes original, oracle and reconstruction of each item (a clip, or a whole file) under `sub/` and returns the
 * report rows.
 */
export async function writeReconstructions(
  dir: string,
  sub: string,
  recs: (Reconstruction | FileReconstruction)[],
  clip: ClipSettings,
  withImage: boolean,
): Promise<ReconstructionRow[]> {
  const rows: ReconstructionRow[] = [];
  for (const r of recs) {
    const base = path.posix.join(sub, r.name);
    rows.push({
      name: r.name,
      label: r.label,
      original: await writeOutput(dir, `${base}-original`, 'original' in r ? r.original : r.clip.audio, clip, withImage),
      oracle: { ...(await writeOutput(dir, `${base}-oracle`, r.oracle.audio, clip, withImage)), scores: r.oracle.scores },
      reconstruction: { ...(await writeOutput(dir, `${base}-reconstruction`, r.reconstruction.audio, clip, withImage)), scores: r.reconstruction.scores },
    });
  }
  return rows;
}

/** Writes generated samples under `sub/`; `notes` and `nearest` clips (by index) go with each in the report. */
export async function writeSamples(
  dir: string,
  sub: string,
  sounds: GeneratedSound[],
  clip: ClipSettings,
  withImage: boolean,
  notes: string[] = [],
  nearest: (AudioClip | undefined)[] = [],
): Promise<GeneratedItem[]> {
  const items: GeneratedItem[] = [];
  for (const [i, s] of sounds.entries()) {
    items.push({ name: s.name, clip: await writeOutput(dir, path.posix.join(sub, s.name), s.audio, clip, withImage), note: notes[i], nearest: nearest[i] });
  }
  return items;
}

/**
 * The copy check of generated samples with something to hear: for each, a note naming its nearest training item
 * and that item's own audio (re-read from its source through the checkpoint's stages), written as
 * `sub/<name>-nearest.wav`. Items whose source is gone get the note only.
 */
export async function nearestWithAudio(
  g: Generator,
  ds: SpectrogramDataset,
  dir: string,
  sub: string,
  sounds: GeneratedSound[],
): Promise<{ notes: string[]; clips: (AudioClip | undefined)[] }> {
  const nearest = await nearestTraining(ds, sounds);
  const clips: (AudioClip | undefined)[] = [];
  for (const [i, n] of nearest.entries()) {
    const item = n.index >= 0 ? ds.manifest.items[n.index] : undefined;
    let clip: AudioClip | undefined;
    if (item) {
      try {
        const prepared = await g.preparer.clipAt(item.source, item.offset);
        clip = await writeOutput(dir, path.posix.join(sub, `${sounds[i]!.name}-nearest`), prepared.audio, g.clip, false);
        const { rms, peak } = audioLevels(prepared.audio);
        clip.levels = { rms, peak };
      } catch {
        // the source file is gone or unreadable: the note still names it
      }
    }
    clips.push(clip);
  }
  return { notes: nearest.map((n) => noteFor(ds, n)), clips };
}

function noteFor(ds: SpectrogramDataset, n: { index: number; distance: number }): string {
  return n.index >= 0 ? `nearest training item: ${path.basename(ds.manifest.items[n.index]!.source)} (${n.distance.toFixed(1)} dB RMS apart)` : '';
}

/** Each sample's nearest training item (each side de-normalised with its own range). */
async function nearestTraining(ds: SpectrogramDataset, sounds: GeneratedSound[]) {
  return nearestItems(
    sounds.map((s) => ({ x01: s.x01, range: s.range })),
    rangedBatches(ds, ds.indices('train'), 256),
  );
}

/** Writes each interpolation step as `sub/<method>-<k>.wav` and returns the report strips. */
export async function writeInterpolations(
  dir: string,
  sub: string,
  interps: Interpolation[],
  clip: ClipSettings,
  withImage: boolean,
): Promise<InterpolationStrip[]> {
  const strips: InterpolationStrip[] = [];
  for (const it of interps) {
    const steps: AudioClip[] = [];
    for (const [k, s] of it.steps.entries()) {
      steps.push(await writeOutput(dir, path.posix.join(sub, `${it.method}-${String(k).padStart(2, '0')}`), s.audio, clip, withImage));
    }
    strips.push({ from: it.from, to: it.to, method: it.method, steps });
  }
  return strips;
}

/**
 * Puts the training curves into the report folder as `curves.svg`: the run's own file beside the checkpoint
 * (RUN/curves.svg for RUN/best), else drawn from the metrics the checkpoint keeps. Undefined when there are none.
 */
export async function writeCurves(dir: string, checkpointDir: string, metrics: EpochMetrics[]): Promise<ImageRef | undefined> {
  const target = path.join(dir, 'curves.svg');
  for (const candidate of [path.join(path.dirname(checkpointDir), 'curves.svg'), path.join(checkpointDir, 'curves.svg')]) {
    try {
      await writeFileAtomic(target, await fs.readFile(candidate));
      return { src: 'curves.svg', alt: 'training curves: loss, reconstruction and KL per epoch' };
    } catch {
      // not there: try the next place
    }
  }
  if (metrics.length === 0) return undefined;
  await writeFileAtomic(target, renderCurvesSvg(metrics));
  return { src: 'curves.svg', alt: 'training curves: loss, reconstruction and KL per epoch' };
}

export { DEFAULT_LATENT_MAP } from '../generate/defaults.ts';

/**
 * Encodes up to `maxItems` items of a dataset (spread evenly over it) and maps their latent means to 2-D with PCA
 * and UMAP, coloured by label.
 */
export async function latentMaps(vae: Vae, ds: SpectrogramDataset, options: Partial<typeof DEFAULT_LATENT_MAP> = {}): Promise<LatentMap[]> {
  const o = { ...DEFAULT_LATENT_MAP, ...options };
  const all = ds.indices('all');
  const n = Math.min(o.maxItems, all.length);
  const picked = Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  const mus = await encodeDatasetItems(vae, ds, picked, o.batch);
  const items = picked.map((i) => ds.manifest.items[i]!);
  const labels = items.map((it) => it.label ?? '');
  const names = items.map((it) => `${path.basename(it.source)}${it.offset > 0 ? ` @${it.offset.toFixed(2)} s` : ''} (${it.split})`);
  const note = `${n} of ${all.length} items`;
  const maps: LatentMap[] = [{ title: 'PCA of the latent means', svg: scatterSvg(pca2(mus), labels, names), note }];
  if (o.umap && n >= 3) maps.push({ title: 'UMAP of the latent means', svg: scatterSvg(umap2(mus), labels, names), note });
  return maps;
}

/**
 * "nearest training item: NAME (d dB RMS apart)" for each generated sample: a copy detector. A sample much closer
 * to one training item than validation items usually are has been memorised rather than made up.
 */
export async function copyNotes(ds: SpectrogramDataset, sounds: GeneratedSound[]): Promise<string[]> {
  return (await nearestTraining(ds, sounds)).map((n) => noteFor(ds, n));
}

/** Adds the curves and facts, writes `index.html` into `out`, and returns its path. */
export async function writeSessionReport(out: string, s: Session, data: Omit<ReportData, 'facts' | 'curves' | 'createdAt'>): Promise<string> {
  const curves = await writeCurves(out, s.ckpt.dir, s.ckpt.training.metrics);
  return writeReport(out, { ...data, facts: sessionFacts(s), curves, createdAt: `${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC` });
}
