/** Every CLI command, in the order `soundvae --help` lists them. Add new commands here. */
import type { CommandModule } from 'yargs';
import { classifyCommand } from './classify.ts';
import { generateCommand } from './generate.ts';
import { demoCommand } from './demo.ts';
import { infoCommand } from './info.ts';
import { interpolateCommand } from './interpolate.ts';
import { invertCommand } from './invert.ts';
import { preprocessCommand } from './preprocess.ts';
import { reconstructCommand } from './reconstruct.ts';
import { reportCommand } from './report.ts';
import { trainCommand } from './train.ts';

// The pipeline's order: what a file is, preprocess, train, generate and listen, then the extras.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  demoCommand,
  infoCommand,
  preprocessCommand,
  trainCommand,
  generateCommand,
  reconstructCommand,
  interpolateCommand,
  reportCommand,
  invertCommand,
  classifyCommand,
];
