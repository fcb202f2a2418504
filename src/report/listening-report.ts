/**
 * The whole listening report of a checkpoint, as one function (the `report` command and the demo call it):
 * reconstructions of validation items, prior samples with a copy check, interpolations between two items of
 * different labels, the latent map of the dataset and the training curves.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openDataset, readManifest, type SpectrogramDataset } from '../dataset/store.ts';
import { UserError } from '../errors.ts';
import { DEFAULT_LISTENING_REPORT, type ListeningReportOptions } from '../generate/defaults.ts';
import {
  defaultSamplerFor,
  generateSamples,
  inputsFromDataset,
  interpolate,
  reconstruct,
  type Generator,
  type Reconstruction,
} from '../generate/operations.ts';
import { latentMaps, nearestWithAudio, writeInterpolations, writeReconstructions, writeSamples, writeSessionReport } from './report-data.ts';
import { closeSession, openSession } from '../generate/session.ts';

export { DEFAULT_LISTENING_REPORT, type ListeningReportOptions } from '../generate/defaults.ts';

/** Opens the dataset for a report, checking it fits the checkpoint; undefined (with a notice) when absent. */
async function openReportDataset(dir: string, explicit: boolean, shape: [number, number], warn: (m: string) => void): Promise<SpectrogramDataset | undefined> {
  if (!explicit && !existsSync(dir)) {
    warn(`${dir}: the training dataset is not there; the report has no reconstructions or latent map (give --data)`);
    return undefined;
  }
  const ds = await openDataset(dir);
  if (ds.shape.join('x') !== shape.join('x')) {
    await ds.close();
    throw new UserError(`${dir}: items are ${ds.shape.join('x')} but the checkpoint takes ${shape.join('x')}`);
  }
  return ds;
}

/** A row of label-conditioned samples per label value (the first `maxLabels`, sorted), when there are labels. */
async function labelRows(g: Generator, ds: SpectrogramDataset | undefined, o: ListeningReportOptions) {
  const labels = g.sampler?.labels;
  if (!labels || o.perLabel < 1) return undefined;
  const values = Object.keys(labels.values)
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .slice(0, o.maxLabels);
  const rows = [];
  for (const label of values) {
    const { sounds } = generateSamples(g, { count: o.perLabel, temperature: o.temperature, seed: o.seed, sampler: defaultSamplerFor(g), label });
    sounds.forEach((x) => (x.name = `${label}-${x.name}`));
    const sub = `by-label`;
    const near = ds ? await nearestWithAudio(g, ds, o.out, sub, sounds) : { notes: [], clips: [] };
    rows.push({ label, items: await writeSamples(o.out, sub, sounds, g.clip, true, near.notes, near.clips) });
  }
  return {
    field: labels.field,
    rows,
    note: `${o.perLabel} samples per value of '${labels.field}', drawn among that value's training codes (generate --label ${labels.field}=VALUE).`,
  };
}

/**
 * Writes `out/index.html` with everything beside it.
 * @returns the report's path and the reconstructions (to print their scores).
 * @example const { file } = await writeListeningReport({ checkpoint: 'runs/digits', out: 'report' });
 */
export async function writeListeningReport(
  options: Partial<ListeningReportOptions> & Pick<ListeningReportOptions, 'checkpoint' | 'out'>,
): Promise<{ file: string; reconstructions: Reconstruction[] }> {
  const o = { ...DEFAULT_LISTENING_REPORT, ...options };
  if (o.data !== undefined) await readManifest(o.data); // a wrong --data fails now, not after minutes of fitting
  const s = await openSession(o.checkpoint, o.backend, { iterations: o.iterations });
  try {
    const ds = await openReportDataset(o.data ?? s.ckpt.dataset.path, o.data !== undefined, s.ckpt.inputShape, o.warn);
    try {
      const split = ds && ds.indices('validation').length > 0 ? 'validation' : 'train';
      const inputs = ds && o.count > 0 ? await inputsFromDataset(s.g, ds, split, o.count, (m) => o.warn(`${m} (skipped)`)) : [];
      const recs = reconstruct(s.g, inputs);
      const rows = await writeReconstructions(o.out, 'reconstruct', recs, s.g.clip, true);

      const sampler = defaultSamplerFor(s.g);
      const { sounds, range } =
        o.samples > 0
          ? generateSamples(s.g, { count: o.samples, temperature: o.temperature, seed: o.seed, sampler })
          : { sounds: [], range: { min: 0, max: 0 } };
      const near = ds && sounds.length ? await nearestWithAudio(s.g, ds, o.out, 'generate', sounds) : { notes: [], clips: [] };
      const generated = await writeSamples(o.out, 'generate', sounds, s.g.clip, true, near.notes, near.clips);
      const byLabel = await labelRows(s.g, ds, o);

      // Interpolate between the first item and the first with another label (or simply the last).
      const a = inputs[0];
      const b = inputs.find((i) => i.label !== a?.label) ?? inputs.at(-1);
      const interps = a && b && a !== b ? interpolate(s.g, a, b, o.steps, ['linear', 'spherical']) : [];
      const strips = await writeInterpolations(o.out, 'interpolate', interps, s.g.clip, true);

      const maps = ds && o.mapItems > 0 ? await latentMaps(s.ckpt.vae, ds, { maxItems: o.mapItems, umap: o.umap }) : [];
      const epochs = s.ckpt.training.epoch;
      const file = await writeSessionReport(o.out, s, {
        title: 'soundvae listening report',
        subtitle: `${path.basename(path.dirname(s.ckpt.dir))}/${path.basename(s.ckpt.dir)} after ${epochs} epoch${epochs === 1 ? '' : 's'}`,
        reconstructions: rows,
        generated: {
          items: generated,
          note:
            (sampler === 'prior'
              ? `Latents from N(0, I) × ${o.temperature}, seed ${o.seed}; de-normalised with the training set's mean per-item range (${range.min.toFixed(1)} to ${range.max.toFixed(1)} dB).`
              : `Latents from the ${sampler} sampler fitted to the training codes, temperature ${o.temperature}, seed ${o.seed}; each de-normalised with the dB range its code predicts and levelled to the training clips' median loudness.`) +
            ' The nearest training item (RMS dB distance of the spectrograms) flags copies; hear it under each sample.',
        },
        generatedByLabel: byLabel,
        interpolations: strips,
        latentMaps: maps,
      });
      return { file, reconstructions: recs };
    } finally {
      await ds?.close();
    }
  } finally {
    closeSession(s);
  }
}
