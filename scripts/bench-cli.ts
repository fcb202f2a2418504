/**
 * CLI start-up benchmark: `npm run bench -- cli [--runs N] [--source]`.
 *
 * Rebuilds dist/ (`npm run build`) so the compiled CLI is what runs, then times whole processes (spawn to exit, wall
 * clock) of `soundvae --help`, `soundvae info FILE` (a 1 s WAV written to a temp folder), a few commands' `--help`
 * (none of which should load tfjs) and `info --backends` (which loads tfjs). Prints min / median / max per command,
 * with the load average.
 * `--source` also times the same commands run from the TypeScript sources through tsx (SOUNDVAE_FROM_SOURCE=1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav } from '../src/audio/wav-write.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/soundvae.js');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SETTINGS = { runs: Number(arg('--runs') ?? 7), source: process.argv.includes('--source') };
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const build = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/build.ts')], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
console.log(build.stdout.trim());

const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-bench-cli-'));
const wav = path.join(dir, 'tone.wav');
writeFileSync(
  wav,
  encodeWav(
    Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin(i * 0.1)),
    16000,
  ),
);

const CASES: [label: string, args: string[]][] = [
  ['--help', ['--help']],
  ['info FILE', ['info', wav]],
  ['preprocess --help', ['preprocess', '--help']],
  ['train --help', ['train', '--help']],
  ['generate --help', ['generate', '--help']],
  ['info --backends', ['info', '--backends']],
];

function time(args: string[], env: NodeJS.ProcessEnv, script = [bin]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...script, ...args], { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`soundvae ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return ms;
}

function row(label: string, env: NodeJS.ProcessEnv): string {
  time(CASES.find(([l]) => l === label)![1], env); // warm the file cache
  const ms = Array.from({ length: SETTINGS.runs }, () => time(CASES.find(([l]) => l === label)![1], env)).sort((a, b) => a - b);
  const s = (v: number) => (v / 1000).toFixed(2).padStart(5);
  return `  ${label.padEnd(18)} ${s(ms[0]!)}  ${s(ms[Math.floor(ms.length / 2)]!)}  ${s(ms[ms.length - 1]!)}`;
}

const floor = Math.min(...Array.from({ length: 3 }, () => time([], process.env, ['-e', '0'])));
console.log(`load average at start: ${load()} (${SETTINGS.runs} runs each; wall seconds, spawn to exit; node -e 0 takes ${(floor / 1000).toFixed(2)} s)`);
const modes: [string, NodeJS.ProcessEnv][] = [['compiled (dist/)', { ...process.env, SOUNDVAE_FROM_SOURCE: '0' }]];
if (SETTINGS.source) modes.push(['from source (tsx)', { ...process.env, SOUNDVAE_FROM_SOURCE: '1' }]);
try {
  for (const [name, env] of modes) {
    console.log(`\n${name}:                min   median  max`);
    for (const [label] of CASES) console.log(row(label, env));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nload average at end: ${load()}`);
