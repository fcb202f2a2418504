/** `soundvae verify DATASET|RUN`: check every byte of a dataset or a training run against its recorded checksums. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../errors.ts';
import { exists } from '../../fsutil.ts';
import { checkDatasetFiles, MANIFEST_FILE, readManifest } from '../../dataset/store.ts';
import { checkCheckpointFiles } from '../../train/checksums.ts';

interface VerifyArgs {
  target: string;
  json?: boolean;
}

/** What verify found: lines to print and whether all is whole. */
export interface VerifyReport {
  kind: 'dataset' | 'run' | 'checkpoint';
  target: string;
  /** One line per part checked. */
  checked: string[];
  /** "FILE: what is wrong" lines. */
  problems: string[];
}

/** Checks a dataset folder: shard sizes and every item's CRC-32. */
export async function verifyDataset(dir: string): Promise<VerifyReport> {
  const m = await readManifest(dir);
  const check = await checkDatasetFiles(dir, m, { checksums: true });
  const unsummed = check.items - check.checksummed;
  const checked = [
    `${dir}: ${check.items} items in ${m.shards.length} shard${m.shards.length === 1 ? '' : 's'}; ${check.checksummed} compared with their checksums` +
      (unsummed && !check.problems.length ? ` (${unsummed} have none: made by an older soundvae, sizes checked only)` : ''),
  ];
  return { kind: 'dataset', target: dir, checked, problems: check.problems.map((p) => `${p.file}: ${p.problem}`) };
}

/** Checks a run folder (last/, best/, metrics.jsonl) or one checkpoint folder. */
export async function verifyRun(dir: string): Promise<VerifyReport> {
  const single = await exists(path.join(dir, 'config.json'));
  const report: VerifyReport = { kind: single ? 'checkpoint' : 'run', target: dir, checked: [], problems: [] };
  const folders = single ? [dir] : [];
  if (!single) {
    for (const name of ['last', 'best']) {
      const d = path.join(dir, name);
      if (await exists(d)) folders.push(d);
      else if (await exists(`${d}.old`))
        folders.push(`${d}.old`); // a save died between its renames: the loader uses this
      else if (name === 'last' && (await exists(path.join(dir, 'metrics.jsonl')))) report.problems.push(`${d}: missing`);
    }
  }
  if (!folders.length && !report.problems.length)
    throw new UserError(`${dir}: not a dataset, run or checkpoint folder (no ${MANIFEST_FILE}, config.json, last/ or best/)`);
  for (const folder of folders) {
    const c = await checkCheckpointFiles(folder);
    report.problems.push(...c.problems);
    report.checked.push(
      c.hasChecksums
        ? `${folder}: ${c.checked} files, ${c.bytes} bytes compared with their checksums`
        : `${folder}: no checksums recorded (saved by an older soundvae): files present only`,
    );
  }
  const metrics = path.join(dir, 'metrics.jsonl');
  if (!single && (await exists(metrics))) {
    const lines = (await fs.readFile(metrics, 'utf8')).split('\n').filter((l) => l.trim());
    const bad = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    }).length;
    // A line cut short by a kill is dropped when the run resumes; it is reported, not counted as damage.
    report.checked.push(`${metrics}: ${lines.length} lines${bad ? `, ${bad} cut short (dropped when the run resumes)` : ''}`);
  }
  return report;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <target>',
  describe: 'Check every byte of a dataset or a training run (or checkpoint) against its recorded checksums',
  builder: (y) =>
    y
      .positional('target', { type: 'string', demandOption: true, describe: 'Dataset folder, run folder or checkpoint folder' })
      .option('json', { type: 'boolean', describe: 'Machine-readable output' })
      .example('$0 verify datasets/fsdd', 'Shard sizes and the CRC-32 of every item')
      .example('$0 verify runs/digits', 'last/ and best/ file by file, and metrics.jsonl')
      .epilog('Exits 0 when everything is whole, 1 when something is missing or damaged (each problem on one line).'),
  handler: async (args) => {
    const target = args.target;
    if (!(await exists(target))) throw new UserError(`${target}: no such folder`);
    const report = (await exists(path.join(target, MANIFEST_FILE))) ? await verifyDataset(target) : await verifyRun(target);
    if (args.json) console.log(JSON.stringify({ ...report, ok: report.problems.length === 0 }, null, 2));
    else {
      for (const line of report.checked) console.log(line);
      for (const p of report.problems) console.error(`DAMAGED ${p}`);
      console.log(report.problems.length ? `${target}: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}` : `${target}: whole`);
    }
    if (report.problems.length) process.exitCode = 1;
  },
};
