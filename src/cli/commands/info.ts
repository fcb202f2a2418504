/** `soundvae info`: what a file, a dataset or this machine's backends are. */
import type { CommandModule } from 'yargs';
import { probeBackends } from '../../backend/backend.ts';

interface InfoArgs {
  target?: string[];
  json?: boolean;
  backends?: boolean;
}

async function printBackends(json: boolean): Promise<void> {
  const attempts = await probeBackends();
  const active = attempts.find((a) => a.ok)?.name;
  if (json) {
    console.log(JSON.stringify({ active, backends: attempts }, null, 2));
    return;
  }
  for (const a of attempts) {
    const mark = a.name === active ? '*' : a.ok ? '+' : '-';
    console.log(`${mark} ${a.name.padEnd(15)} ${a.detail}`);
  }
  console.log(`\nactive: ${active} (* = used by default, + = also available, - = not available)`);
}

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info [target..]',
  describe: 'Describe audio files, a dataset folder, a checkpoint, or (with --backends) the TensorFlow.js backends',
  builder: (y) =>
    y
      .positional('target', { type: 'string', array: true, describe: 'Audio file(s), dataset or checkpoint folder' })
      .option('json', { type: 'boolean', describe: 'Machine-readable output' })
      .option('backends', { type: 'boolean', describe: 'Which backends load here, which is active and why not the others' })
      .example('$0 info --backends', 'Which TensorFlow.js backend will train here')
      .example('$0 info clip.wav --json', 'Format, codec, rate, channels, bit depth and duration of a file'),
  handler: async (args) => {
    if (args.backends || !args.target?.length) {
      await printBackends(Boolean(args.json));
      return;
    }
    throw new Error('file info is not implemented yet');
  },
};
