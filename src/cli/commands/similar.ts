/** `soundvae similar`: the dataset items nearest to a sound in the VAE's latent space. */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { describeError, fileError, UserError } from '../../errors.ts';
import { checkCount } from './generate.ts';

interface SimilarArgs {
  inputs: string[];
  checkpoint: string;
  data?: string;
  top: number;
  out?: string;
  json?: boolean;
  backend?: string;
}

const HELP = `Encodes the first clip of each FILE (preprocessed with the checkpoint's settings) to
its latent mean and lists the --top dataset items whose latent means are nearest (Euclidean
distance), closest first, with their source file, offset and label. The dataset is the one the
checkpoint was trained on unless --data names another of the same shape; every item of it is
encoded once per run (a progress bar shows it). --out DIR also writes a playlist page:
DIR/index.html with the query and each match playable (matches whose source file cannot be
read are listed without a player).`;

export const similarCommand: CommandModule<object, SimilarArgs> = {
  command: 'similar <inputs..>',
  describe: 'List the dataset items that sound most like a file (nearest in the latent space)',
  builder: (y) =>
    y
      .usage(`$0 similar FILE... --checkpoint RUN [--data DATASET] [--top 10] [--out DIR]\n\n${HELP}`)
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Audio files to search for' })
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('data', { type: 'string', describe: 'Dataset to search (default: the one the checkpoint was trained on)' })
      .option('top', { type: 'number', default: 10, describe: 'Matches per file' })
      .option('out', { type: 'string', describe: 'Also write a playlist page (index.html and WAVs) into this folder' })
      .option('json', { type: 'boolean', describe: 'Print the matches as JSON' })
      .example('$0 similar --checkpoint runs/digits my-seven.wav --top 5', 'Which takes sound most like mine?') as unknown as Argv<SimilarArgs>,
  handler: async (args) => {
    checkCount('top', args.top, 1, 10_000);
    // tfjs loads here, not for --help
    const [{ closeSession, openSession }, { openDataset }, { encodeItems }, { embedDataset, nearestTo }, { createProgress }, { writePlaylist }] =
      await Promise.all([
        import('../../generate/session.ts'),
        import('../../dataset/store.ts'),
        import('../../generate/model.ts'),
        import('../../generate/similar.ts'),
        import('../../progress.ts'),
        import('../../report/playlist.ts'),
      ]);
    const s = await openSession(args.checkpoint, args.backend, {});
    try {
      const dataDir = args.data ?? s.ckpt.dataset.path;
      const ds = await openDataset(dataDir).catch((err) => {
        throw new UserError(`${dataDir}: ${describeError(err)}${args.data ? '' : ' (the dataset this checkpoint was trained on; name another with --data)'}`);
      });
      try {
        if (ds.shape.join('x') !== s.ckpt.inputShape.join('x')) {
          throw new UserError(`${ds.dir}: items are ${ds.shape.join('x')} but the checkpoint takes ${s.ckpt.inputShape.join('x')}`);
        }
        const embed = (items: Float32Array[]) => encodeItems(s.ckpt.vae, items).mu;
        const bar = args.json ? undefined : createProgress({ total: ds.indices('all').length, label: 'encode dataset', unit: 'items' });
        const vectors = await embedDataset(ds, embed, 64, (done) => bar?.update(done));
        bar?.finish();
        const results: { file: string; matches: ReturnType<typeof nearestTo>; clip?: Awaited<ReturnType<typeof s.g.preparer.clips>>[number] }[] = [];
        let failed = 0;
        for (const file of args.inputs) {
          try {
            const [clip] = await s.g.preparer.clips(file, 1);
            results.push({ file, matches: nearestTo(embed([clip!.x01])[0]!, vectors, ds, args.top), clip });
          } catch (err) {
            failed++;
            console.error(`soundvae: ${describeError(fileError(file, err))} (skipped)`);
          }
        }
        if (!results.length) throw new UserError('no input could be read');
        if (args.json) {
          console.log(
            JSON.stringify(
              results.map(({ file, matches }) => ({ file, matches })),
              null,
              1,
            ),
          );
        } else {
          for (const r of results) {
            console.log(`${r.file}:`);
            r.matches.forEach((m, i) => {
              const label = m.label === undefined ? '' : `  label ${m.label}`;
              console.log(`  ${String(i + 1).padStart(2)}. ${path.basename(m.source)} @ ${m.offset.toFixed(2)} s${label}  distance ${m.distance.toFixed(2)}`);
            });
          }
        }
        if (args.out) {
          const page = await writePlaylist(args.out, s.g, results, (m) => s.g.preparer.clipAt(m.source, m.offset));
          if (!args.json) console.log(`playlist: ${page}`);
        }
        if (failed) process.exitCode = 1;
      } finally {
        await ds.close();
      }
    } finally {
      closeSession(s);
    }
  },
};
