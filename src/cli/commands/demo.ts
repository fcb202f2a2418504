/** `soundvae demo`: the whole pipeline in one command, on built-in sounds or your own folder. */
import type { CommandModule } from 'yargs';
import { DEMO_DEFAULTS, runDemo } from '../demo-run.ts';

interface DemoArgs {
  data?: string;
  out: string;
  count: number;
  epochs: number;
  backend?: string;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Make sounds, preprocess, train a small VAE and write a listening report, end to end',
  builder: (y) =>
    y
      .usage(
        '$0 demo [--data FOLDER] [--out DIR]\n\n' +
          'Without --data, makes a few hundred labelled procedural sounds (Karplus-Strong plucks, bells, drum\n' +
          'hits, sung vowels, chirps), then runs preprocess, train and report on them, printing each command.\n' +
          'With --data, does the same on your own folder of audio (labels from sub-folder names).',
      )
      .option('data', { type: 'string', describe: 'Your own folder of audio files instead of the built-in sounds' })
      .option('out', { type: 'string', default: DEMO_DEFAULTS.out, describe: 'Where sounds/, dataset/, run/ and report/ go' })
      .option('count', { type: 'number', default: DEMO_DEFAULTS.count, describe: 'Built-in sounds to make' })
      .option('epochs', { type: 'number', default: DEMO_DEFAULTS.epochs, describe: 'Training epochs' })
      .example('$0 demo', 'The built-in demo (a few minutes on two CPU cores)')
      .example('$0 demo --data ~/recordings --out samples/mine', 'The same on your own sounds'),
  handler: async (args) => {
    await runDemo({
      out: args.out,
      data: args.data,
      count: args.count,
      epochs: args.epochs,
      backend: args.backend,
      preprocessArgs: [...DEMO_DEFAULTS.preprocessArgs],
      trainArgs: [...DEMO_DEFAULTS.trainArgs],
    });
  },
};
