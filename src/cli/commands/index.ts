/** Every CLI command, in the order `soundvae --help` lists them. Add new commands here. */
import type { CommandModule } from 'yargs';
import { classifyCommand } from './classify.ts';
import { generateCommand } from './generate.ts';
import { infoCommand } from './info.ts';
import { interpolateCommand } from './interpolate.ts';
import { invertCommand } from './invert.ts';
import { preprocessCommand } from './preprocess.ts';
import { reconstructCommand } from './reconstruct.ts';
import { reportCommand } from './report.ts';
import { trainCommand } from './train.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [infoCommand, preprocessCommand, invertCommand, trainCommand, classifyCommand];
commands.push(generateCommand, reconstructCommand, interpolateCommand, reportCommand);
