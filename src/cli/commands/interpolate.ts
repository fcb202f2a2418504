/** `soundvae interpolate`: walk the latent space from one sound to another. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../../errors.ts';
import { DEFAULT_INTERPOLATE, DEFAULT_INVERT } from '../../generate/defaults.ts';
import type { InterpolationMethod } from '../../generate/operations.ts';
import { checkCount } from './generate.ts';

interface InterpolateArgs {
  checkpoint: string;
  a: string;
  b: string;
  steps: number;
  method: 'linear' | 'spherical' | 'both';
  out: string;
  iters: number;
  report?: boolean;
  backend?: string;
}

const HELP = `Encodes the first clip of A and of B (preprocessed with the checkpoint's settings), then decodes
--steps points on the path between their latent means, A at the first step and B at the last:
  linear     z = (1 - t) a + t b
  spherical  slerp: along the great circle, keeping the vectors' length, which suits a Gaussian prior
             (midpoints of a straight line are shorter than typical samples and sound duller)
Each step is de-normalised with a dB range moving linearly from A's to B's.
Writes METHOD-00.wav ... METHOD-(K-1).wav into --out.`;

export const interpolateCommand: CommandModule<object, InterpolateArgs> = {
  command: 'interpolate <a> <b>',
  describe: 'Morph one sound into another through the latent space (linear and spherical)',
  builder: (y) =>
    y
      .usage(`$0 interpolate --checkpoint DIR A B --steps K --out DIR [options]\n\n${HELP}`)
      .positional('a', { type: 'string', demandOption: true, describe: 'Audio file to start from' })
      .positional('b', { type: 'string', demandOption: true, describe: 'Audio file to end at' })
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('steps', { type: 'number', default: DEFAULT_INTERPOLATE.steps, describe: 'Points on the path, ends included (>= 2)' })
      .option('method', { choices: ['both', 'linear', 'spherical'] as const, default: 'both' as const, describe: 'Path(s) to walk' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output folder' })
      .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations' })
      .option('report', { type: 'boolean', describe: 'Also write a listening report (index.html) into --out' })
      .example(
        '$0 interpolate --checkpoint runs/digits 3_theo_0.wav 8_nicolas_1.wav --steps 9 --out morph --report',
        'A three becoming an eight',
      ) as unknown as Argv<InterpolateArgs>,
  handler: async (args) => {
    checkCount('steps', args.steps, 2, 1000);
    checkCount('iters', args.iters, 0);
    const methods: InterpolationMethod[] = args.method === 'both' ? ['linear', 'spherical'] : [args.method];
    // tfjs loads here, not for --help
    const [{ inputsFromFiles, interpolate }, { writeInterpolations, writeSessionReport }, { closeSession, openSession }] = await Promise.all([
      import('../../generate/operations.ts'),
      import('../../report/report-data.ts'),
      import('../../generate/session.ts'),
    ]);
    const s = await openSession(args.checkpoint, args.backend, { iterations: args.iters });
    try {
      const errors: string[] = [];
      const inputs = await inputsFromFiles(s.g, [args.a, args.b], (m) => errors.push(m));
      if (errors.length) throw new UserError(errors[0]!);
      const started = performance.now();
      const interps = interpolate(s.g, inputs[0]!, inputs[1]!, args.steps, methods);
      const ms = performance.now() - started;
      const strips = await writeInterpolations(args.out, '.', interps, s.g.clip, Boolean(args.report));
      console.log(
        `${methods.join(' and ')}: ${interps.length * args.steps} steps -> ${args.out}  (${(ms / (interps.length * args.steps)).toFixed(0)} ms per step)`,
      );
      if (args.report) {
        const file = await writeSessionReport(args.out, s, {
          title: 'soundvae: interpolation',
          subtitle: `${inputs[0]!.name} → ${inputs[1]!.name} in ${args.steps} steps`,
          interpolations: strips,
        });
        console.log(`report: ${file}`);
      }
    } finally {
      closeSession(s);
    }
  },
};
