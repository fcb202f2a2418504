/**
 * The training run folder's safety rules (issue 12): one trainer at a time (a pid lock), an existing run is never
 * replaced without an explicit --overwrite, a damaged run is described by what is missing, and the metrics log is
 * made to agree with the checkpoint a run resumes from.
 */
import { promises as fs } from 'node:fs';
import fsSync from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { exists, takeDirLock, writeFileAtomic } from '../fsutil.ts';
import type { TrainingProgress } from './checkpoint.ts';

/** The lock file a trainer holds in its run folder. */
export const RUN_LOCK_FILE = '.train.lock';

/** Names of a run's parts, in one place (train.ts's RUN_FILES uses the same). */
const PARTS = { last: 'last', best: 'best', metrics: 'metrics.jsonl', curves: 'curves.svg', config: 'config.json' } as const;

/**
 * Takes the run folder's lock (creating the folder): a second trainer into the same folder is refused with the
 * pid of the first. A lock left by a dead process is taken over.
 * @returns the function that releases it
 */
export async function lockRun(out: string): Promise<() => void> {
  await fs.mkdir(out, { recursive: true });
  return takeDirLock(out, RUN_LOCK_FILE, 'is training into this run folder');
}

/** What of a run is in `out` (checkpoint folders, interrupted saves, a non-empty metrics log, curves), as names. */
export async function runContents(out: string): Promise<string[]> {
  const found: string[] = [];
  for (const base of [PARTS.last, PARTS.best]) {
    for (const name of [base, `${base}.old`, `${base}.tmp`]) if (await exists(path.join(out, name))) found.push(`${name}/`);
  }
  const metrics = await fs.stat(path.join(out, PARTS.metrics)).catch(() => undefined);
  if (metrics && metrics.size > 0) found.push(PARTS.metrics);
  if (await exists(path.join(out, PARTS.curves))) found.push(PARTS.curves);
  // TensorBoard event files of the run (an --overwrite must not leave the old run's curves beside the new one's)
  const entries = (await exists(out)) ? await fs.readdir(out) : [];
  found.push(...entries.filter((name) => name.startsWith('events.out.tfevents.')).sort());
  return found;
}

/**
 * Before a new run: refuses when `out` already holds (part of) a run, unless `overwrite`, which removes it.
 * @throws UserError naming what is there
 */
export async function prepareNewRun(out: string, overwrite: boolean): Promise<void> {
  const found = await runContents(out);
  if (!found.length) return;
  if (!overwrite) {
    const events = found.filter((name) => name.startsWith('events.out.tfevents.')).length;
    const listed = [
      ...found.filter((name) => !name.startsWith('events.out.tfevents.')),
      ...(events ? [`${events} TensorBoard event file${events > 1 ? 's' : ''}`] : []),
    ];
    throw new UserError(`${out}: already holds a run (${listed.join(', ')}); add --resume to continue it, --overwrite to replace it, or choose another --out`);
  }
  for (const name of found) await fs.rm(path.join(out, name), { recursive: true, force: true });
}

/**
 * Why `out` has no checkpoint to resume, naming what is missing: "last/config.json missing, best/ missing".
 */
export async function describeMissingCheckpoint(out: string): Promise<string> {
  if (!(await exists(out))) return `${out}: no such run folder`;
  const missing: string[] = [];
  for (const name of [PARTS.last, PARTS.best]) {
    const dir = path.join(out, name);
    if (!(await exists(dir))) missing.push(`${name}/ missing`);
    else if (!(await exists(path.join(dir, PARTS.config)))) missing.push(`${name}/${PARTS.config} missing`);
  }
  const found = await runContents(out);
  if (!found.length) return `${out}: no checkpoint to resume (the run stopped before saving one?); start it without --resume`;
  return (
    `${out}: no checkpoint to resume: ${missing.join(', ')} (the run is damaged; soundvae verify ${out} shows more). ` +
    `Nothing was changed; to start this run again from scratch, add --overwrite instead of --resume`
  );
}

/** One parsed line of metrics.jsonl. */
interface MetricsLine {
  type?: string;
  step?: number;
  epoch?: number;
}

/**
 * Makes metrics.jsonl agree with the checkpoint training resumes from: lines past it (a killed run logged more) are
 * dropped, lines cut short by a kill are dropped, and epoch lines the checkpoint has but the log lost (a kill
 * between saving and logging) are put back from the checkpoint's own record of its epochs.
 * @returns how many lines were dropped and how many restored
 */
export async function reconcileMetricsLog(file: string, progress: TrainingProgress): Promise<{ dropped: number; restored: number }> {
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    // no log yet: it is rebuilt from the checkpoint
  }
  let dropped = 0;
  const kept: { line: string; rec: MetricsLine }[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let rec: MetricsLine;
    try {
      rec = JSON.parse(line) as MetricsLine;
    } catch {
      dropped++; // a line cut short by kill -9
      continue;
    }
    const after = rec.type === 'epoch' ? (rec.epoch ?? Infinity) > progress.epoch : (rec.step ?? Infinity) > progress.step;
    if (after) dropped++;
    else kept.push({ line, rec });
  }
  const logged = new Set(kept.filter((k) => k.rec.type === 'epoch').map((k) => k.rec.epoch));
  let restored = 0;
  for (const m of progress.metrics) {
    if (logged.has(m.epoch)) continue;
    kept.push({ line: JSON.stringify({ type: 'epoch', ...m, restored: true }), rec: { type: 'epoch', step: m.step, epoch: m.epoch } });
    restored++;
  }
  // In step order, an epoch's line after the step lines of its last step (as training writes them).
  const order = (r: MetricsLine) => (r.step ?? 0) * 2 + (r.type === 'epoch' ? 1 : 0);
  kept.sort((a, b) => order(a.rec) - order(b.rec));
  if (dropped || restored || !text) await writeFileAtomic(file, kept.map((k) => `${k.line}\n`).join(''));
  return { dropped, restored };
}

/**
 * What a trainer quitting at once (a second Ctrl-C) leaves: whether a checkpoint saved earlier is in `out`.
 * @example keptCheckpointNote('runs/a') // "no checkpoint was saved yet" before the first save
 */
export function keptCheckpointNote(out: string): string {
  const saved = [PARTS.last, `${PARTS.last}.old`].some((name) => fsSync.existsSync(path.join(out, name, PARTS.config)));
  return saved ? 'the last saved checkpoint is kept' : 'no checkpoint was saved yet';
}

/** How often the launcher watch looks at the parent process. */
export const LAUNCHER_POLL_MS = 1000;

/** The parent pid and command name of process `pid` from /proc (Linux); undefined where unavailable or gone. */
function procParent(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(fsSync.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return m ? { comm: m[1]!, ppid: Number(m[2]) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `onGone` once when the process that started this one exits, for trainers started through `npx soundvae` or
 * `npm run` (npm does not pass a SIGTERM on to its child, and a trainer would otherwise run on alone). npm starts
 * bins through `sh -c`, so when the parent is a shell, the shell's own parent (npm) is watched too: a process that
 * exits hands its children to another parent at once, which is what is polled. Active only under npm (its
 * npm_command / npm_lifecycle_event variables) or with SOUNDVAE_WATCH_PARENT=1; `nohup soundvae train ... &` from a
 * shell that then closes keeps running.
 * @returns the function that stops watching
 */
export function watchLauncher(onGone: () => void, env: NodeJS.ProcessEnv = process.env, intervalMs = LAUNCHER_POLL_MS): () => void {
  const underNpm = Boolean(env.npm_command || env.npm_lifecycle_event);
  if (env.SOUNDVAE_WATCH_PARENT === '0' || (!underNpm && env.SOUNDVAE_WATCH_PARENT !== '1')) return () => {};
  const parent = process.ppid;
  const info = procParent(parent);
  const shell = info && /^(sh|bash|dash|zsh|ash)$/.test(info.comm) ? info.ppid : undefined;
  const timer = setInterval(() => {
    const gone = process.ppid !== parent || (shell !== undefined && procParent(parent)?.ppid !== shell);
    if (!gone) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
