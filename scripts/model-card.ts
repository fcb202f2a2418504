/**
 * `npm run model-card -- --data DATASET --classifier JUDGE [--checkpoint checkpoints/digits] [--write]`
 *
 * Keeps a shipped model's card honest. It runs `npm run eval -- --json` on the checkpoint with the options recorded
 * in its eval.json, then:
 * - without --write: compares each figure the card shows with the fresh measurement and prints both, exiting 1 when
 *   one differs by more than its tolerance (a check to run after changing the model code or the checkpoint format);
 * - with --write: records the measurement in eval.json and rewrites the figures between the markers in
 *   MODEL_CARD.md.
 * The dataset and the judge are not shipped: scripts/train-digits.sh makes both.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../src/fsutil.ts';
import { DEFAULT_INVERT } from '../src/generate/defaults.ts';
import type { EvalResult } from '../src/generate/evaluate.ts';

const args = await yargs(hideBin(process.argv))
  .scriptName('npm run model-card --')
  .option('data', { type: 'string', demandOption: true, describe: 'The dataset the checkpoint was trained on (preprocessed FSDD, takes 0-4 held out)' })
  .option('classifier', { type: 'string', demandOption: true, describe: 'The CRNN judge trained on the same dataset' })
  .option('checkpoint', { type: 'string', default: 'checkpoints/digits', describe: 'The shipped checkpoint (with eval.json and MODEL_CARD.md)' })
  .option('write', { type: 'boolean', describe: 'Record the measurement and rewrite the card instead of checking it' })
  .strict()
  .help()
  .parseAsync();

/** How eval is run for the card: recorded in eval.json so a check repeats it exactly. */
interface CardOptions {
  samplers: string[];
  samples: number;
  perLabel: number;
  seed: number;
  validation: number;
}

interface CardRecord {
  options: CardOptions;
  measuredAt: string;
  machine: string;
  result: EvalResult & { backend: string };
}

const DEFAULT_OPTIONS: CardOptions = { samplers: ['prior', 'gaussian', 'gmm', 'neighbours'], samples: 100, perLabel: 20, seed: 0, validation: 0 };
const recordFile = path.join(args.checkpoint, 'eval.json');
const cardFile = path.join(args.checkpoint, 'MODEL_CARD.md');
const START = '<!-- figures:start (npm run model-card -- --write) -->';
const END = '<!-- figures:end -->';

async function readRecord(): Promise<CardRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(recordFile, 'utf8')) as CardRecord;
  } catch {
    return undefined;
  }
}

function runEval(o: CardOptions): CardRecord['result'] {
  const cli = [
    '--data',
    args.data,
    '--checkpoint',
    args.checkpoint,
    '--classifier',
    args.classifier,
    '--samplers',
    o.samplers.join(','),
    '--samples',
    String(o.samples),
    '--per-label',
    String(o.perLabel),
    '--seed',
    String(o.seed),
    '--validation',
    String(o.validation),
    '--json',
  ];
  console.error(`model-card: npm run eval -- ${cli.join(' ')}`);
  const r = spawnSync('node', ['--import', 'tsx', path.join(import.meta.dirname, 'eval.ts'), ...cli], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`eval failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as CardRecord['result'];
}

/** The figures the card shows, by name, with the tolerance a re-measurement may differ by. */
function figures(r: CardRecord['result']): { name: string; value: number; unit: string; tolerance: number }[] {
  const v = r.validation;
  const out = [
    { name: 'model-only MSE', value: v.model?.mse ?? NaN, unit: '', tolerance: 2e-4 },
    { name: 'model-only SC', value: v.model?.spectralConvergence ?? NaN, unit: 'dB', tolerance: 0.2 },
    { name: 'model-only LSD', value: v.model?.logSpectralDistance ?? NaN, unit: 'dB', tolerance: 0.05 },
    { name: 'model-only level', value: v.model?.levelDifference ?? NaN, unit: 'dB', tolerance: 0.3 },
    { name: 'after Griffin-Lim SC', value: v.reconstruction?.spectralConvergence ?? NaN, unit: 'dB', tolerance: 0.3 },
    { name: 'after Griffin-Lim LSD', value: v.reconstruction?.logSpectralDistance ?? NaN, unit: 'dB', tolerance: 0.1 },
    { name: 'reconstruction level, as written', value: v.levelWritten, unit: 'dB', tolerance: 0.3 },
    { name: 'reconstructions classified right', value: 100 * (v.classifiedRight?.reconstructions ?? NaN), unit: '%', tolerance: 2 },
  ];
  for (const g of r.generation) {
    out.push({ name: `${g.sampler}: recognisable`, value: 100 * (g.recognisability?.recognisable ?? NaN), unit: '%', tolerance: 5 });
    out.push({ name: `${g.sampler}: Fréchet (classifier)`, value: g.frechetClassifier ?? NaN, unit: '', tolerance: 0.15 * (g.frechetClassifier ?? 0) + 0.2 });
    out.push({ name: `${g.sampler}: median level`, value: g.rms.p50, unit: 'dBFS', tolerance: 0.5 });
  }
  for (const l of r.labels ?? []) out.push({ name: `--label digit=${l.label}: classified as asked`, value: 100 * l.asExpected, unit: '%', tolerance: 10 });
  return out;
}

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)} %`);
/** Five significant digits, for the check's side-by-side figures. */
const sig = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : String(Number(x.toPrecision(5))));
const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** The card's figures section as markdown. */
function renderFigures(rec: CardRecord): string {
  const r = rec.result;
  const v = r.validation;
  const real = r.real;
  const lines = [
    `Measured ${rec.measuredAt.slice(0, 10)} on ${rec.machine} (backend ${r.backend}) by \`npm run model-card\`: all ${v.items} validation`,
    `takes (0-4 of every speaker and digit), then ${rec.options.samples} samples per sampler and ${rec.options.perLabel} per digit, seed ${rec.options.seed}.`,
    `"Recognisable": the CRNN judge's top class has p >= 0.8; Fréchet distance on its penultimate layer, to the validation items`,
    `(the floor: as many real training takes as samples, since the distance grows as the sample shrinks).`,
    '',
    '| reconstruction of the validation takes | figure |',
    '|---|---|',
    `| model only (decoded spectrogram vs the take's): MSE | ${f(v.model?.mse, 4)} |`,
    `| model only: spectral convergence / log-spectral distance | ${f(v.model?.spectralConvergence)} dB / ${f(v.model?.logSpectralDistance, 2)} dB |`,
    `| model only: level against the original | ${f(v.model?.levelDifference)} dB |`,
    `| after Griffin-Lim (${DEFAULT_INVERT.iterations} iterations from PGHI): SC / LSD | ${f(v.reconstruction?.spectralConvergence)} dB / ${f(v.reconstruction?.logSpectralDistance, 2)} dB |`,
    `| level as written (median, against the original) | ${f(v.levelWritten)} dB (${f(v.levelRaw)} dB straight from Griffin-Lim) |`,
    `| classified as the right digit by the judge | ${pct(v.classifiedRight?.reconstructions)} (originals ${pct(v.classifiedRight?.originals)}) |`,
    `| oracle: Griffin-Lim of the true magnitude, SC / LSD | ${f(v.oracle?.spectralConvergence)} dB / ${f(v.oracle?.logSpectralDistance, 2)} dB |`,
    '',
    '| generation | recognisable | digits covered | Fréchet (judge) | level, median dBFS RMS | diversity | nearest training take |',
    '|---|---|---|---|---|---|---|',
  ];
  if (real) {
    lines.push(
      `| real validation takes | ${pct(real.recognisability?.recognisable)} | ${real.recognisability?.classesCovered ?? '–'} / ${real.recognisability?.classes ?? '–'} | ${f(real.frechetClassifier)} (floor: ${real.floorItems ?? '–'} training takes) | ${f(real.trainRms.p50)} (training) | ${f(real.diversity)} dB | ${f(real.nearestTrain.mean)} dB |`,
    );
  }
  for (const g of r.generation) {
    const rg = g.recognisability;
    lines.push(
      `| \`${g.sampler}\`${g.sampler === 'neighbours' ? ' (default)' : ''} | ${pct(rg?.recognisable)} | ${rg?.classesCovered ?? '–'} / ${rg?.classes ?? '–'} | ${f(g.frechetClassifier)} | ${f(g.rms.p50)} (raw ${f(g.rawRms.p50)}) | ${f(g.diversity)} dB | ${f(g.nearestTrain.mean)} dB (min ${f(g.nearestTrain.min)}) |`,
    );
  }
  if (r.labels?.length) {
    lines.push('', `| \`--label digit=N\` | ${r.labels.map((l) => l.label).join(' | ')} |`, `|---|${r.labels.map(() => '---|').join('')}`);
    lines.push(`| classified as N | ${r.labels.map((l) => pct(l.asExpected)).join(' | ')} |`);
  }
  lines.push(
    '',
    `Decoding and Griffin-Lim: ${(r.timing.secondsPerSample * 1000).toFixed(0)} ms per 1 s clip in a batch, ${(r.timing.secondsSingle * 1000).toFixed(0)} ms for one clip alone.`,
  );
  return lines.join('\n');
}

const previous = await readRecord();
const options = previous?.options ?? DEFAULT_OPTIONS;
const result = runEval(options);
if (args.write) {
  const machine = `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores`;
  const rec: CardRecord = { options, measuredAt: new Date().toISOString(), machine, result };
  await writeFileAtomic(recordFile, JSON.stringify(rec, null, 1));
  const card = await fs.readFile(cardFile, 'utf8');
  const a = card.indexOf(START);
  const b = card.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${cardFile}: the markers ${START} ... ${END} are missing`);
  await writeFileAtomic(cardFile, `${card.slice(0, a + START.length)}\n${renderFigures(rec)}\n${card.slice(b)}`);
  console.log(`model-card: wrote ${recordFile} and the figures in ${cardFile}`);
} else {
  if (!previous) throw new Error(`${recordFile}: missing; run with --write first`);
  const want = figures(previous.result);
  const got = new Map(figures(result).map((x) => [x.name, x]));
  let bad = 0;
  for (const w of want) {
    const g = got.get(w.name);
    const diff = g ? g.value - w.value : NaN;
    const ok = Number.isFinite(diff) ? Math.abs(diff) <= w.tolerance : !Number.isFinite(w.value);
    if (!ok) bad++;
    console.log(
      `${ok ? 'ok  ' : 'DIFF'} ${w.name.padEnd(40)} card ${sig(w.value).padStart(10)}  now ${sig(g?.value).padStart(10)} ${w.unit.padEnd(4)} (tolerance ${w.tolerance.toFixed(3)})`,
    );
  }
  console.log(bad ? `model-card: ${bad} figure(s) differ from the card beyond tolerance` : `model-card: all ${want.length} figures match the card`);
  process.exitCode = bad ? 1 : 0;
}
