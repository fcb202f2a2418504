/** `soundvae info`: what a file, a dataset or this machine's backends are. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { hasAudioExtension, readAudioInfo } from '../../audio/decode.ts';
import type { AudioFileInfo } from '../../audio/types.ts';
import { describeDataset, formatDatasetSummary, isDatasetDir } from '../../dataset/describe.ts';
import { describeError, UserError } from '../../errors.ts';
import { describeCheckpoint, describeRun, formatCheckpointSummary, formatRunSummary, isCheckpointDir, isRunDir } from '../../train/describe-run.ts';

interface InfoArgs {
  target?: string[];
  json?: boolean;
  backends?: boolean;
}

async function printBackends(json: boolean): Promise<void> {
  const { probeBackends } = await import('../../backend/backend.ts'); // tfjs loads only for --backends
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

/** One file's line: what it holds, or why it could not be read. */
export type FileInfoResult = ({ ok: true } & AudioFileInfo) | { ok: false; file: string; error: string };

/** Formats an AudioFileInfo as one readable line. */
export function formatAudioInfo(info: AudioFileInfo): string {
  const codec = info.codec === info.container ? info.container : `${info.container}/${info.codec}`;
  const depth = info.bitDepth ? `, ${info.bitDepth}-bit` : '';
  return `${info.file}: ${codec}, ${info.sampleRate} Hz, ${info.channels} ch${depth}, ${info.duration.toFixed(3)} s (${info.frames} frames)`;
}

/** Folders stand for the audio files inside them (recursively, sorted, by extension; hidden files skipped). */
async function expandTargets(targets: string[]): Promise<{ files: string[]; skipped: number }> {
  const files: string[] = [];
  let skipped = 0;
  for (const target of targets) {
    const stat = await fs.stat(target).catch(() => undefined);
    if (!stat?.isDirectory()) {
      files.push(target);
      continue;
    }
    const entries = await fs.readdir(target, { recursive: true, withFileTypes: true });
    const inside = entries
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
    const audio = inside.filter(hasAudioExtension);
    skipped += inside.length - audio.length;
    files.push(...audio);
  }
  return { files, skipped };
}

/** Describes each file; failures become `{ ok: false, error }` with a one-line "FILE: cause". */
export async function describeFiles(files: string[]): Promise<FileInfoResult[]> {
  const results: FileInfoResult[] = [];
  for (const file of files) {
    try {
      // Isolated: a file that hangs a third-party decoder is cut off instead of freezing the listing.
      results.push({ ok: true, ...(await readAudioInfo(file, { isolate: true })) });
    } catch (err) {
      const message = describeError(err);
      results.push({ ok: false, file, error: message.startsWith(file) ? message : `${file}: ${message}` });
    }
  }
  return results;
}

async function printFiles(targets: string[], json: boolean): Promise<void> {
  const { files, skipped } = await expandTargets(targets);
  if (files.length === 0) throw new UserError(`no audio files in ${targets.join(', ')}${skipped ? ` (${skipped} other files)` : ''}`);
  const results = await describeFiles(files);
  if (json) console.log(JSON.stringify(results, null, 2));
  else {
    for (const r of results) {
      if (r.ok) {
        console.log(formatAudioInfo(r));
        if (r.warning) console.error(`${r.file}: warning: ${r.warning}`);
      } else console.error(r.error);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  if (!json && (results.length > 1 || skipped)) {
    const other = skipped ? ` (${skipped} file${skipped === 1 ? '' : 's'} without an audio extension skipped)` : '';
    console.log(`${results.length - failed} of ${results.length} files read${failed ? `, ${failed} failed` : ''}${other}`);
  }
  if (failed) process.exitCode = 1;
}

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info [target..]',
  describe: 'Describe audio files, a dataset, a training run or a checkpoint, or (--backends) the tfjs backends',
  builder: (y) =>
    y
      .positional('target', {
        type: 'string',
        array: true,
        describe: 'Audio file(s), a dataset folder, a training run or one of its checkpoints (best/, last/)',
      })
      .option('json', { type: 'boolean', describe: 'Machine-readable output' })
      .option('backends', { type: 'boolean', describe: 'Which backends load here, which is active and why not the others' })
      .example('$0 info --backends', 'Which TensorFlow.js backend will train here')
      .example('$0 info clip.wav --json', 'Format, codec, rate, channels, bit depth and duration of a file')
      .example('$0 info runs/digits', 'Architecture, dataset, epochs, best loss and backend of a training run'),
  handler: async (args) => {
    if (args.backends || !args.target?.length) {
      await printBackends(Boolean(args.json));
      return;
    }
    if (args.target.length === 1 && isRunDir(args.target[0]!)) {
      const run = await describeRun(args.target[0]!); // a training run: what was trained, how far, how well
      console.log(args.json ? JSON.stringify(run, null, 2) : formatRunSummary(run));
      return;
    }
    if (args.target.length === 1 && isCheckpointDir(args.target[0]!)) {
      const ckpt = await describeCheckpoint(args.target[0]!);
      console.log(args.json ? JSON.stringify(ckpt, null, 2) : formatCheckpointSummary(ckpt));
      return;
    }
    if (args.target.length === 1 && isDatasetDir(args.target[0]!)) {
      const summary = await describeDataset(args.target[0]!); // a dataset folder is summarised, not listed
      console.log(args.json ? JSON.stringify(summary, null, 2) : formatDatasetSummary(summary));
      if (summary.problems.length) process.exitCode = 1; // a damaged dataset
      return;
    }
    await printFiles(args.target, Boolean(args.json));
  },
};
