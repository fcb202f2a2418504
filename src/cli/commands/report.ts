/** `soundvae report`: the whole listening report of a checkpoint in one folder. */
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_LISTENING_REPORT } from '../../generate/defaults.ts';
import { makeSingleFile } from '../../report/single-file.ts';
import { checkCount } from './generate.ts';
import { printReconstructions } from './reconstruct.ts';

interface ReportArgs {
  checkpoint: string;
  out: string;
  data?: string;
  count: number;
  samples: number;
  perLabel: number;
  steps: number;
  temperature: number;
  seed: number;
  iters: number;
  mapItems: number;
  umap: boolean;
  singleFile?: boolean;
  backend?: string;
}

const HELP = `Writes OUT/index.html, a page that works offline (open it from the file manager); its sounds
and pictures are files in folders beside it (move the whole folder), or inside it with --single-file:
* reconstructions of --count validation items: original, oracle and reconstruction side by side,
  with spectrograms, spectral convergence and log-spectral distance per item and on average;
* --samples new sounds from the checkpoint's default sampler (the prior when it has no sampler.json),
  each with its level and its nearest training item to listen to beside it;
* when the training items have labels, a row of --per-label samples for each label value;
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
      .option('count', { type: 'number', default: DEFAULT_LISTENING_REPORT.count, describe: 'Validation items to reconstruct' })
      .option('samples', { type: 'number', default: DEFAULT_LISTENING_REPORT.samples, describe: 'New sounds from the default sampler' })
      .option('per-label', { type: 'number', default: DEFAULT_LISTENING_REPORT.perLabel, describe: 'Samples per label value (0: no label rows)' })
      .option('steps', { type: 'number', default: DEFAULT_LISTENING_REPORT.steps, describe: 'Interpolation steps' })
      .option('temperature', { type: 'number', default: DEFAULT_LISTENING_REPORT.temperature, describe: "Scale of the sampler's spread" })
      .option('seed', { type: 'number', default: DEFAULT_LISTENING_REPORT.seed, describe: 'Seed of the samples' })
      .option('iters', { type: 'number', default: DEFAULT_LISTENING_REPORT.iterations, describe: 'Griffin-Lim iterations' })
      .option('map-items', { type: 'number', default: DEFAULT_LISTENING_REPORT.mapItems, describe: 'Dataset items on the latent map (spread evenly)' })
      .option('umap', { type: 'boolean', default: true, describe: 'Add a UMAP map beside PCA (--no-umap to skip)' })
      .option('single-file', { type: 'boolean', describe: 'Put every sound and picture inside index.html (data: URIs, a third larger), so it works alone' })
      .example('$0 report --checkpoint runs/digits --out report', 'Then open report/index.html') as unknown as Argv<ReportArgs>,
  handler: async (args) => {
    checkCount('count', args.count, 0);
    checkCount('samples', args.samples, 0);
    checkCount('per-label', args.perLabel, 0);
    checkCount('steps', args.steps, 2, 1000);
    checkCount('iters', args.iters, 0);
    checkCount('map-items', args.mapItems, 0);
    const { writeListeningReport } = await import('../../report/listening-report.ts'); // tfjs loads here, not for --help
    const { file, reconstructions } = await writeListeningReport({
      checkpoint: args.checkpoint,
      out: args.out,
      data: args.data,
      count: args.count,
      samples: args.samples,
      perLabel: args.perLabel,
      steps: args.steps,
      temperature: args.temperature,
      seed: args.seed,
      iterations: args.iters,
      mapItems: args.mapItems,
      umap: args.umap,
      backend: args.backend,
    });
    printReconstructions(reconstructions);
    if (args.singleFile) {
      const { files, size } = await makeSingleFile(file);
      console.log(`report: ${file} (one file, ${(size / 2 ** 20).toFixed(1)} MiB, ${files} sounds and pictures inside)`);
    } else console.log(`report: ${file} (and the folders beside it)`);
  },
};
