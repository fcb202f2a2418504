/**
 * The `soundvae` command line. Each command lives in its own file under ./commands and exports a
 * yargs CommandModule; this file only wires them together and turns errors into one-line messages.
 */
import yargs from 'yargs';
import { describeError, UserError } from '../errors.ts';
import { loadCommands } from './commands/index.ts';
import { checkCommonOptions } from './options.ts';

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  let cli = yargs(argv)
    .scriptName('soundvae')
    .usage('$0 <command> [options]\n\nLearn to generate sound: a convolutional VAE on log-magnitude spectrograms.')
    .option('debug', { type: 'boolean', describe: 'Print stack traces of unexpected errors', global: true })
    .option('backend', {
      type: 'string',
      describe: 'TensorFlow.js backend: auto, tensorflow-gpu, tensorflow, wasm, cpu (also SOUNDVAE_BACKEND)',
      global: true,
    })
    .middleware((parsed) => checkCommonOptions(parsed, argv), true)
    .demandCommand(1, 'Name a command: soundvae <command> --help shows its options.')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      console.error(`${msg}\n\nRun with --help for usage.`);
      process.exit(1);
    });
  for (const command of await loadCommands(argv)) cli = cli.command(command);
  try {
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof UserError || !debug) {
      console.error(`soundvae: ${describeError(err)}`);
      if (!(err instanceof UserError)) console.error('(an unexpected error: run again with --debug for details)');
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  }
}
