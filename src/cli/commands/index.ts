/** Every CLI command, in the order `soundvae --help` lists them. Add new commands here. */
import type { CommandModule } from 'yargs';
import { classifyCommand } from './classify.ts';
import { infoCommand } from './info.ts';
import { invertCommand } from './invert.ts';
import { trainCommand } from './train.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [infoCommand, invertCommand, trainCommand, classifyCommand];
