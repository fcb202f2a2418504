/**
 * Every CLI command, in the order `soundvae --help` lists them. Add new commands here.
 * Commands load lazily: a run of one command imports only that command's modules (not tfjs for `preprocess`),
 * which keeps start-up short; `--help` and unknown names load them all.
 */
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

// The pipeline's order: the demo, what a file is, preprocess, train, generate and listen, then the extras.
const LOADERS: [name: string, load: () => Promise<AnyCommand>][] = [
  ['demo', async () => (await import('./demo.ts')).demoCommand],
  ['info', async () => (await import('./info.ts')).infoCommand],
  ['preprocess', async () => (await import('./preprocess.ts')).preprocessCommand],
  ['train', async () => (await import('./train.ts')).trainCommand],
  ['generate', async () => (await import('./generate.ts')).generateCommand],
  ['reconstruct', async () => (await import('./reconstruct.ts')).reconstructCommand],
  ['interpolate', async () => (await import('./interpolate.ts')).interpolateCommand],
  ['report', async () => (await import('./report.ts')).reportCommand],
  ['invert', async () => (await import('./invert.ts')).invertCommand],
  ['classify', async () => (await import('./classify.ts')).classifyCommand],
];

/** The commands needed to run `argv`: only the named one when the first word names one, else all of them. */
export async function loadCommands(argv: readonly string[]): Promise<AnyCommand[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const named = LOADERS.find(([name]) => name === first);
  return Promise.all((named ? [named] : LOADERS).map(([, load]) => load()));
}
