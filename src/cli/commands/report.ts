/** `soundvae report`: the whole listening report of a checkpoint in one folder. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { openDataset, type SpectrogramDataset } from '../../dataset/store.ts';
import { UserError } from '../../errors.ts';
import { DEFAULT_INVERT } from '../../generate/invert.ts';
import { DEFAULT_SAMPLE, generateSamples, inputsFromDataset, interpolate, reconstruct } from '../../generate/operations.ts';
import { copyNotes, DEFAULT_LATENT_MAP, latentMaps, writeInterpolations, writeReconstructions, writeSamples } from '../../generate/report-data.ts';
import { closeSession, openSession, writeSessionReport } from '../../generate/session.ts';
import { checkCount } from './generate.ts';
import { printReconstructions } from './reconstruct.ts';

interface ReportArgs {
  checkpoint: string;
  out: string;
  data?: string;
  count: number;
  samples: number;
  steps: number;
  temperature: number;
  seed: number;
  iters: number;
  mapItems: number;
  umap: boolean;
  backend?: string;
}

const HELP = `Writes OUT/index.html, a page that works offline (open it from the file manager), with
everything beside it:
* reconstructions of --count validation items: original, oracle and reconstruction side by side,
  with spectrograms, spectral convergence and log-spectral distance per item and on average;
* --samples sounds from the prior, each with the distance to its nearest training item;
* interpolations (linear and spherical) between two validation items of different labels;
* a 2-D map of the dataset's latent means (PCA and UMAP) coloured by label;
* the training curves.
The dataset is the one the checkpoint was trained on unless --data names another with the same shape.`;

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: 'Write a listening report of a checkpoint: reconstructions, samples, interpolations, latent map, curves',
  builder: (y) =>
    y
      .usage(`$0 report --checkpoint DIR --out DIR [options]\n\n${HELP}`)
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Report folder' })
      .option('data', { type: 'string', describe: 'Dataset folder (default: the one the checkpoint was trained on)' })
      .option('count', { type: 'number', default: 6, describe: 'Validation items to reconstruct' })
      .option('samples', { type: 'number', default: DEFAULT_SAMPLE.count, describe: 'Sounds from the prior' })
      .option('steps', { type: 'number', default: 7, describe: 'Interpolation steps' })
      .option('temperature', { type: 'number', default: DEFAULT_SAMPLE.temperature, describe: 'Scale of the prior samples' })
      .option('seed', { type: 'number', default: DEFAULT_SAMPLE.seed, describe: 'Seed of the prior samples' })
      .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations' })
      .option('map-items', { type: 'number', default: DEFAULT_LATENT_MAP.maxItems, describe: 'Dataset items on the latent map (spread evenly)' })
      .option('umap', { type: 'boolean', default: true, describe: 'Add a UMAP map beside PCA (--no-umap to skip)' })
      .example('$0 report --checkpoint runs/digits --out report', 'Then open report/index.html') as unknown as Argv<ReportArgs>,
  handler: async (args) => {
    checkCount('count', args.count, 0);
    checkCount('samples', args.samples, 0);
    checkCount('steps', args.steps, 2, 1000);
    checkCount('iters', args.iters, 0);
    checkCount('map-items', args.mapItems, 0);
    const s = await openSession(args.checkpoint, args.backend, { iterations: args.iters });
    try {
      const dataDir = args.data ?? s.ckpt.dataset.path;
      let ds: SpectrogramDataset | undefined;
      if (args.data || existsSync(dataDir)) {
        ds = await openDataset(dataDir);
        if (ds.shape.join('x') !== s.ckpt.inputShape.join('x')) {
          await ds.close();
          throw new UserError(`${dataDir}: items are ${ds.shape.join('x')} but the checkpoint takes ${s.ckpt.inputShape.join('x')}`);
        }
      } else {
        console.error(`soundvae: ${dataDir}: the training dataset is not there; the report has no reconstructions or latent map (give --data)`);
      }
      const warn = (m: string) => console.error(`soundvae: ${m} (skipped)`);
      try {
        const split = ds && ds.indices('validation').length > 0 ? 'validation' : 'train';
        const inputs = ds && args.count > 0 ? await inputsFromDataset(s.g, ds, split, args.count, warn) : [];
        const recs = reconstruct(s.g, inputs);
        printReconstructions(recs);
        const rows = await writeReconstructions(args.out, 'reconstruct', recs, s.g.clip, true);

        const { sounds, range } = args.samples > 0 ? generateSamples(s.g, { count: args.samples, temperature: args.temperature, seed: args.seed }) : { sounds: [], range: { min: 0, max: 0 } };
        const notes = ds && sounds.length ? await copyNotes(ds, sounds, range) : [];
        const generated = await writeSamples(args.out, 'generate', sounds, s.g.clip, true, notes);

        // Interpolate between the first item and the first one with another label (or simply the last).
        const a = inputs[0];
        const b = inputs.find((i) => i.label !== a?.label) ?? inputs.at(-1);
        const interps = a && b && a !== b ? interpolate(s.g, a, b, args.steps, ['linear', 'spherical']) : [];
        const strips = await writeInterpolations(args.out, 'interpolate', interps, s.g.clip, true);

        const maps = ds && args.mapItems > 0 ? await latentMaps(s.ckpt.vae, ds, { maxItems: args.mapItems, umap: args.umap }) : [];
        const file = await writeSessionReport(args.out, s, {
          title: 'soundvae listening report',
          subtitle: `${path.basename(path.dirname(s.ckpt.dir))}/${path.basename(s.ckpt.dir)} after ${s.ckpt.training.epoch} epoch${s.ckpt.training.epoch === 1 ? '' : 's'}`,
          reconstructions: rows,
          generated: { items: generated, note: `Latents from N(0, I) × ${args.temperature}, seed ${args.seed}; de-normalised with the training set's mean per-item range (${range.min.toFixed(1)} to ${range.max.toFixed(1)} dB). The nearest training item (RMS dB distance of the spectrograms) flags copies.` },
          interpolations: strips,
          latentMaps: maps,
        });
        console.log(`report: ${file}`);
      } finally {
        await ds?.close();
      }
    } finally {
      closeSession(s);
    }
  },
};
