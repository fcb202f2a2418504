/**
 * Every CLI command, in the order `soundvae --help` lists them. Add new commands here.
 * Commands load lazily: a run of one command imports only that command's modules (not tfjs for `preprocess`),
 * and `soundvae --help` (or a word that names no command) imports none: it lists each command's usage and summary
 * from COMMANDS, which index.test.ts keeps equal to the modules' own `command` and `describe`.
 */
import type { CommandModule } from 'yargs';

// biome-ignore lint/suspicious/noExplicitAny: commands differ in their argument types; yargs only needs the module
type AnyCommand = CommandModule<any, any>;

interface CommandEntry {
  name: string;
  /** The module's `command` (usage) and `describe`, for the top-level help. */
  command: string;
  describe: string;
  load: () => Promise<AnyCommand>;
}

// The pipeline's order: the demo, what a file is, preprocess, train, generate and listen, then the extras.
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    command: 'demo',
    describe: 'Make sounds, preprocess, train a small VAE and write a listening report, end to end',
    load: async () => (await import('./demo.ts')).demoCommand,
  },
  {
    name: 'info',
    command: 'info [target..]',
    describe: 'Describe audio files, a dataset, a training run or a checkpoint, or (--backends) the tfjs backends',
    load: async () => (await import('./info.ts')).infoCommand,
  },
  {
    name: 'preprocess',
    command: 'preprocess <inputs..>',
    describe: 'Turn audio files, folders or globs into a streaming dataset of [0,1] log-magnitude spectrograms',
    load: async () => (await import('./preprocess.ts')).preprocessCommand,
  },
  {
    name: 'train',
    command: 'train',
    describe: 'Train the VAE on a preprocessed dataset (checkpoints, metrics log, curves; Ctrl-C saves; --resume)',
    load: async () => (await import('./train.ts')).trainCommand,
  },
  {
    name: 'generate',
    command: 'generate',
    describe: 'Generate new sounds from a trained checkpoint (latent samples -> decoder -> Griffin-Lim -> WAV)',
    load: async () => (await import('./generate.ts')).generateCommand,
  },
  {
    name: 'fit-sampler',
    command: 'fit-sampler <checkpoint>',
    describe: 'Fit the latent densities that generation samples from (sampler.json in the checkpoint)',
    load: async () => (await import('./fit-sampler.ts')).fitSamplerCommand,
  },
  {
    name: 'export',
    command: 'export <checkpoint>',
    describe: 'Copy a checkpoint for generation only (weights + sampler, no optimiser state) to share or commit',
    load: async () => (await import('./export.ts')).exportCommand,
  },
  {
    name: 'reconstruct',
    command: 'reconstruct [inputs..]',
    describe: 'Original, oracle (phase loss only) and VAE reconstruction of clips, with SC and LSD',
    load: async () => (await import('./reconstruct.ts')).reconstructCommand,
  },
  {
    name: 'interpolate',
    command: 'interpolate <a> <b>',
    describe: 'Morph one sound into another through the latent space (linear and spherical)',
    load: async () => (await import('./interpolate.ts')).interpolateCommand,
  },
  {
    name: 'similar',
    command: 'similar <inputs..>',
    describe: 'List the dataset items that sound most like a file (nearest in a latent or embedding space)',
    load: async () => (await import('./similar.ts')).similarCommand,
  },
  {
    name: 'report',
    command: 'report',
    describe: 'Write a listening report of a checkpoint: reconstructions, samples, interpolations, latent map, curves',
    load: async () => (await import('./report.ts')).reportCommand,
  },
  {
    name: 'explore',
    command: 'explore',
    describe: 'Play the latent space in the browser: click a map of the dataset, hear the decoded point at once',
    load: async () => (await import('./explore.ts')).exploreCommand,
  },
  {
    name: 'invert',
    command: 'invert <inputs..>',
    describe: 'Keep only the STFT magnitude of audio files and rebuild them with Griffin-Lim; prints spectral convergence',
    load: async () => (await import('./invert.ts')).invertCommand,
  },
  {
    name: 'classify',
    command: 'classify <command>',
    describe: 'Classify sounds from their spectrograms (genre, digit, speaker...)',
    load: async () => (await import('./classify.ts')).classifyCommand,
  },
  {
    name: 'verify',
    command: 'verify <target>',
    describe: 'Check every byte of a dataset or a training run (or checkpoint) against its recorded checksums',
    load: async () => (await import('./verify.ts')).verifyCommand,
  },
];

/**
 * The commands needed to run `argv`: the named one when the first word names one, else every command's usage and
 * summary only (enough for the top-level help, suggestions and the "name a command" error), loading no module.
 */
export async function loadCommands(argv: readonly string[]): Promise<AnyCommand[]> {
  const first = commandWord(argv);
  const named = COMMANDS.find(({ name }) => name === first);
  if (named) return [await named.load()];
  return COMMANDS.map(({ name, command, describe }) => ({
    command,
    describe,
    handler: () => {
      throw new Error(`internal: the ${name} command ran without its module`);
    },
  }));
}

/** Global options that take a value (the word after them is not the command). */
const GLOBAL_VALUE_OPTIONS = new Set(['--backend']);

/** The first word of `argv` that is neither an option nor a global option's value. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}
