/** `soundvae export`: a checkpoint for generation only (no optimiser state), small enough to share or commit. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import type { BackendName } from '../../backend/backend.ts';
import { UserError } from '../../errors.ts';
import { exists } from '../../fsutil.ts';

interface ExportArgs {
  checkpoint: string;
  out: string;
  overwrite?: boolean;
  backend?: string;
}

const HELP = `Copy a checkpoint's weights, settings, training record and fitted sampler to --out,
without Adam's moments (two thirds of the weight bytes): what generate, reconstruct,
interpolate and report need, and nothing to resume training with. The sampler is fitted
first when the checkpoint has none (this needs the dataset it was trained on).`;

/** Total bytes of the files under `dir`. */
async function folderBytes(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  let total = 0;
  for (const e of entries) if (e.isFile()) total += (await fs.stat(path.join(e.parentPath, e.name))).size;
  return total;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <checkpoint>',
  describe: 'Copy a checkpoint for generation only (weights + sampler, no optimiser state) to share or commit',
  builder: (y) =>
    y
      .usage(`$0 export CHECKPOINT --out DIR\n\n${HELP}`)
      .positional('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder to write the exported checkpoint to' })
      .option('overwrite', { type: 'boolean', describe: 'Replace a checkpoint already in --out' })
      .example('$0 export runs/digits --out checkpoints/digits', "Ship a run's best checkpoint") as never,
  handler: async (args) => {
    const [
      { initBackend },
      { readSampler, writeSampler, fitSampler, encodeCodes, decodeCodes, SAMPLER_VERSION },
      { clipSettings },
      ckptModule,
      { openDataset },
    ] = await Promise.all([
      import('../../backend/backend.ts'),
      import('../../generate/sampler.ts'),
      import('../../generate/settings.ts'),
      import('../../train/checkpoint.ts'),
      import('../../dataset/store.ts'),
    ]);
    const { disposeVae, exportCheckpoint, loadCheckpoint } = ckptModule;
    if (!args.overwrite && (await exists(path.join(args.out, 'config.json')))) {
      throw new UserError(`${args.out}: a checkpoint is already there (add --overwrite to replace it)`);
    }
    await initBackend(args.backend as BackendName | 'auto' | undefined);
    const ckpt = await loadCheckpoint(args.checkpoint);
    try {
      if (path.resolve(ckpt.dir) === path.resolve(args.out)) throw new UserError(`${args.out}: is the checkpoint being exported; choose another --out`);
      let sampler = await readSampler(ckpt.dir);
      if (!sampler) {
        console.log(`${ckpt.dir}: no sampler.json yet; fitting it on ${ckpt.dataset.path}`);
        const ds = await openDataset(ckpt.dataset.path);
        try {
          sampler = await fitSampler(ckpt.vae, ds, clipSettings(ckpt), ckpt.training.epoch);
        } finally {
          await ds.close();
        }
        await writeSampler(ckpt.dir, sampler);
      } else if (sampler.neighbours && (sampler.neighbours.encoding ?? 'float32') === 'float32') {
        // an older sampler: its neighbour codes shrink to float16 in the copy
        const dim = Buffer.from(sampler.neighbours.codes, 'base64').byteLength / 4 / sampler.items;
        sampler.neighbours.codes = encodeCodes(decodeCodes(sampler.neighbours.codes, dim, 'float32'), 'float16');
        sampler.neighbours.encoding = 'float16';
        sampler.version = SAMPLER_VERSION;
      }
      await exportCheckpoint(ckpt.dir, args.out);
      await writeSampler(args.out, sampler);
      const mb = (await folderBytes(args.out)) / 2 ** 20;
      console.log(`exported ${ckpt.dir} (epoch ${ckpt.training.epoch}) -> ${args.out}: ${mb.toFixed(1)} MB, for generation only (not resumable)`);
    } finally {
      disposeVae(ckpt.vae);
    }
  },
};
