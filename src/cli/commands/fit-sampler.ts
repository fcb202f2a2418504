/** `soundvae fit-sampler`: fit the latent densities generation samples from, and store them in the checkpoint. */
import type { CommandModule } from 'yargs';
import type { BackendName } from '../../backend/backend.ts';
import { UserError } from '../../errors.ts';
import { DEFAULT_DENSITY } from '../../generate/density.ts';
import { createProgress } from '../../progress.ts';

interface FitSamplerArgs {
  checkpoint: string;
  data?: string;
  components: number;
  mixture: number;
  seed: number;
  backend?: string;
}

const HELP = `Encode every training item to its latent mean and fit, in their principal subspace,
a full-covariance Gaussian, a Gaussian mixture and one Gaussian per label value (ex-post density
estimation, Ghosh et al. 2020), plus a regression from a code to its dB range and the training
clips' loudness. The result goes to sampler.json in the checkpoint folder; generate uses it, and
fits it itself on first use when it is missing. Training fits it for best/ at the end of a run:
run this for older checkpoints, or to fit on another dataset.`;

export const fitSamplerCommand: CommandModule<object, FitSamplerArgs> = {
  command: 'fit-sampler <checkpoint>',
  describe: 'Fit the latent densities that generation samples from (sampler.json in the checkpoint)',
  builder: (y) =>
    y
      .usage(`$0 fit-sampler CHECKPOINT [--data DATASET]\n\n${HELP}`)
      .positional('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('data', { type: 'string', describe: 'Dataset to fit on [the one the checkpoint was trained on]' })
      .option('components', { type: 'number', default: DEFAULT_DENSITY.components, describe: 'Principal directions of the latent codes kept' })
      .option('mixture', { type: 'number', default: DEFAULT_DENSITY.mixture, describe: 'Components of the Gaussian mixture' })
      .option('seed', { type: 'number', default: DEFAULT_DENSITY.seed, describe: "Seed of the mixture's initialisation" })
      .example('$0 fit-sampler runs/digits', 'Fit on the training split of the dataset the run was trained on') as never,
  handler: async (args) => {
    for (const [name, v] of [
      ['components', args.components],
      ['mixture', args.mixture],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new UserError(`--${name} ${v}: expected a positive integer`);
    }
    // tfjs loads here, not for --help
    const [{ initBackend }, { openDataset }, { fitSampler, writeSampler }, { clipSettings }, { disposeVae, loadCheckpoint }] = await Promise.all([
      import('../../backend/backend.ts'),
      import('../../dataset/store.ts'),
      import('../../generate/sampler.ts'),
      import('../../generate/settings.ts'),
      import('../../train/checkpoint.ts'),
    ]);
    await initBackend(args.backend as BackendName | 'auto' | undefined);
    const ckpt = await loadCheckpoint(args.checkpoint);
    try {
      const ds = await openDataset(args.data ?? ckpt.dataset.path);
      try {
        if (ds.shape.join('x') !== ckpt.inputShape.join('x')) {
          throw new UserError(`${ds.dir}: items are ${ds.shape.join('x')} but the checkpoint takes ${ckpt.inputShape.join('x')}`);
        }
        const bar = createProgress({ total: ds.indices('train').length, label: 'encode', unit: 'items' });
        const started = performance.now();
        const sampler = await fitSampler(ckpt.vae, ds, clipSettings(ckpt), ckpt.training.epoch, args, (done) => bar.update(done));
        bar.finish();
        const file = await writeSampler(ckpt.dir, sampler);
        const labels = sampler.labels ? `, ${Object.keys(sampler.labels.values).length} values of '${sampler.labels.field}'` : '';
        console.log(
          `fitted on ${sampler.items} items in ${((performance.now() - started) / 1000).toFixed(1)} s: ${sampler.subspace.basis.length} of ${sampler.subspace.dim} directions, ` +
            `${sampler.gmm.parts.length} mixture component${sampler.gmm.parts.length === 1 ? '' : 's'}${labels}; training clips at ${sampler.trainRms.p50.toFixed(1)} dBFS median -> ${file}`,
        );
      } finally {
        await ds.close();
      }
    } finally {
      disposeVae(ckpt.vae);
    }
  },
};
