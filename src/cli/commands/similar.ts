/** `soundvae similar`: the dataset items nearest to a sound in a VAE's latent space or a classifier's embedding. */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { PreparedClip } from '../../generate/settings.ts';
import type { Embed } from '../../generate/similar.ts';
import { describeError, fileError, UserError } from '../../errors.ts';
import type { Hertz } from '../../units.ts';
import { checkCount } from './generate.ts';

interface SimilarArgs {
  inputs: string[];
  checkpoint?: string;
  classifier?: string;
  data?: string;
  top: number;
  out?: string;
  json?: boolean;
  backend?: string;
}

const HELP = `Prepares the first clip of each FILE with the model's preprocessing settings, maps it
into a learnt space and lists the --top dataset items nearest to it there (Euclidean
distance), closest first, with their source file, offset and label. The space is a VAE's
latent means (--checkpoint RUN: sounds alike in every way the model keeps) or a trained
classifier's last hidden layer (--classifier DIR: alike in what tells its classes apart, for
example the same digit in other voices). The dataset is the one the model was trained on
unless --data names another of the same shape; every item of it is mapped once per run (a
progress bar shows it). --out DIR also writes a playlist page: DIR/index.html with the query
and each match playable (matches whose source file cannot be read are listed without a player).`;

/** A learnt space to search in, whichever model made it. */
interface SearchSpace {
  embed: Embed;
  clips(file: string): Promise<PreparedClip[]>;
  clipAt(file: string, offset: number): Promise<PreparedClip>;
  sampleRate: Hertz;
  shape: [number, number];
  /** The dataset the model was trained on, and what to call the model in errors. */
  data: string;
  what: string;
  close(): void;
}

async function vaeSpace(checkpoint: string, backend: string | undefined): Promise<SearchSpace> {
  const [{ closeSession, openSession }, { encodeItems }] = await Promise.all([import('../../generate/session.ts'), import('../../generate/model.ts')]);
  const s = await openSession(checkpoint, backend, {});
  return {
    embed: (items) => encodeItems(s.ckpt.vae, items).mu,
    clips: (file) => s.g.preparer.clips(file, 1),
    clipAt: (file, offset) => s.g.preparer.clipAt(file, offset),
    sampleRate: s.g.clip.sampleRate,
    shape: s.ckpt.inputShape,
    data: s.ckpt.dataset.path,
    what: 'checkpoint',
    close: () => closeSession(s),
  };
}

async function classifierSpace(dir: string, backend: string | undefined): Promise<SearchSpace> {
  const [{ initBackend }, { readClassifierInfo }, { loadClassifierJudge }, { ClipPreparer }] = await Promise.all([
    import('../../backend/backend.ts'),
    import('../../classify/train.ts'),
    import('../../classify/judge.ts'),
    import('../../generate/settings.ts'),
  ]);
  await initBackend(backend as Parameters<typeof initBackend>[0]);
  const info = await readClassifierInfo(dir);
  const judge = await loadClassifierJudge(dir, info.inputShape);
  const preparer = new ClipPreparer(info.settings);
  return {
    embed: (items) => judge.run(items).embeddings,
    clips: (file) => preparer.clips(file, 1),
    clipAt: (file, offset) => preparer.clipAt(file, offset),
    sampleRate: preparer.settings.sampleRate,
    shape: info.inputShape,
    data: info.data,
    what: 'classifier',
    close: () => judge.dispose(),
  };
}

export const similarCommand: CommandModule<object, SimilarArgs> = {
  command: 'similar <inputs..>',
  describe: 'List the dataset items that sound most like a file (nearest in a latent or embedding space)',
  builder: (y) =>
    y
      .usage(`$0 similar FILE... (--checkpoint RUN | --classifier DIR) [--data DATASET] [--top 10] [--out DIR]\n\n${HELP}`)
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Audio files to search for' })
      .option('checkpoint', { type: 'string', describe: 'Search the latent space of this VAE checkpoint or run folder (a run folder means its best/)' })
      .option('classifier', { type: 'string', describe: 'Search the embedding space of this cnn/crnn classifier folder (soundvae classify train)' })
      .conflicts('checkpoint', 'classifier')
      .check((a) => {
        if (!a.checkpoint && !a.classifier) throw new Error('name the space to search in: --checkpoint RUN or --classifier DIR');
        return true;
      })
      .option('data', { type: 'string', describe: 'Dataset to search (default: the one the model was trained on)' })
      .option('top', { type: 'number', default: 10, describe: 'Matches per file' })
      .option('out', { type: 'string', describe: 'Also write a playlist page (index.html and WAVs) into this folder' })
      .option('json', { type: 'boolean', describe: 'Print the matches as JSON' })
      .example('$0 similar --checkpoint runs/digits my-seven.wav --top 5', 'Which takes sound most like mine?')
      .example('$0 similar --classifier classifiers/digits my-seven.wav', 'Which takes are the same word, in any voice?') as unknown as Argv<SimilarArgs>,
  handler: async (args) => {
    checkCount('top', args.top, 1, 10_000);
    // tfjs loads here, not for --help
    const [{ openDataset }, { embedDataset, nearestTo }, { createProgress }, { writePlaylist }] = await Promise.all([
      import('../../dataset/store.ts'),
      import('../../generate/similar.ts'),
      import('../../progress.ts'),
      import('../../report/playlist.ts'),
    ]);
    const space = args.classifier ? await classifierSpace(args.classifier, args.backend) : await vaeSpace(args.checkpoint!, args.backend);
    try {
      const dataDir = args.data ?? space.data;
      const ds = await openDataset(dataDir).catch((err) => {
        throw new UserError(
          `${dataDir}: ${describeError(err)}${args.data ? '' : ` (the dataset this ${space.what} was trained on; name another with --data)`}`,
        );
      });
      try {
        if (ds.shape.join('x') !== space.shape.join('x')) {
          throw new UserError(`${ds.dir}: items are ${ds.shape.join('x')} but the ${space.what} takes ${space.shape.join('x')}`);
        }
        const bar = args.json ? undefined : createProgress({ total: ds.indices('all').length, label: 'embed dataset', unit: 'items' });
        const vectors = await embedDataset(ds, space.embed, 64, (done) => bar?.update(done));
        bar?.finish();
        const results: { file: string; matches: ReturnType<typeof nearestTo>; clip?: PreparedClip }[] = [];
        let failed = 0;
        for (const file of args.inputs) {
          try {
            const [clip] = await space.clips(file);
            results.push({ file, matches: nearestTo(space.embed([clip!.x01])[0]!, vectors, ds, args.top), clip });
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
          const page = await writePlaylist(args.out, space.sampleRate, results, (m) => space.clipAt(m.source, m.offset));
          if (!args.json) console.log(`playlist: ${page}`);
        }
        if (failed) process.exitCode = 1;
      } finally {
        await ds.close();
      }
    } finally {
      space.close();
    }
  },
};
