/**
 * Acceptance check of the audio reader over a folder of odd real-world files (default
 * ../shared/data/odd-wavs, described by its MANIFEST.tsv; any other folder works too, with sox
 * itself deciding which files it reads).
 *
 * Every file is decoded in a child process under a time limit, so a crash or a hang is caught and
 * counted rather than taking the check down. Rules:
 *  - no file may crash the decoder or hang it;
 *  - every file sox can decode must decode here to finite samples with sox's sample rate, channel
 *    count and length (exact for lossless formats, within a codec frame for lossy ones), and for
 *    lossless formats the same samples as sox (max difference below 1e-3);
 *  - every other file is either decoded or refused with a one-line "FILE: cause" error;
 *  - where the ranged WAV reader (preprocessing's block-by-block path) takes a file, reading it in three
 *    uneven pieces gives exactly the samples of the whole-file decode; it takes no file the decoder refuses.
 *
 * Usage: node --import tsx scripts/check-odd-wavs.ts [DIR] [--timeout-ms 20000] [--isolate] [--verbose]
 * (--isolate decodes mp3/flac/ogg/... in decodeAudio's worker thread, as `{ isolate: true }` does).
 * Prints a table and a summary line; exits 1 on any violation.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const SETTINGS = {
  defaultDir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data/odd-wavs'),
  timeoutMs: 20_000,
  /** Largest sample difference from sox tolerated for lossless formats (one 12-bit step is 5e-4). */
  losslessTolerance: 1e-3,
  /**
   * Length difference (frames) tolerated for lossy codecs: three MPEG frames. Decoders differ on
   * priming and padding; audio-decode honours the LAME gapless header, sox (libmad) does not.
   */
  lossyFrameSlack: 3456,
};

const LOSSLESS = new Set(['wav', 'rifx', 'rf64', 'w64', 'flac', 'aiff', 'au']);

interface ChildResult {
  file: string;
  ok: boolean;
  error?: string;
  /** The error was not a UserError (an unexpected failure: would show a stack without --debug handling). */
  unexpected?: boolean;
  container?: string;
  codec?: string;
  sampleRate?: number;
  channels?: number;
  frames?: number;
  finite?: boolean;
  ms: number;
  bitDepth?: number;
  /** WAV only: the frame count of a fact chunk, and whether the codec is integer PCM. */
  factFrames?: number;
  /** WAV only: bytes per sample slot (block align / channels), to spot sox's packed-sample reading. */
  slotBytes?: number;
  /** The ranged reader: whether it took the file, and how its pieces compare with the whole decode. */
  ranged?: { took: boolean; error?: string; frames?: number; maxDiff?: number };
  /** Comparison with sox, when sox reads the file: its header's frames (soxi) and the frames it decodes. */
  sox?: { rate: number; channels: number; frames: number; decodedFrames?: number; maxDiff?: number };
}

// ---- child: decode the files named on the command line, one JSON line each ----
async function child(files: string[]): Promise<void> {
  const { decodeAudio } = await import('../src/audio/decode.ts');
  const { parseWavLayout, isWav } = await import('../src/audio/wav.ts');
  const { UserError } = await import('../src/errors.ts');
  for (const file of files) {
    const start = performance.now();
    const result: ChildResult = { file, ok: false, ms: 0 };
    try {
      const { info, channels } = await decodeAudio(file, { isolate: process.env.CHECK_ISOLATE === '1' });
      Object.assign(result, {
        ok: true,
        container: info.container,
        codec: info.codec,
        sampleRate: info.sampleRate,
        channels: channels.length,
        frames: info.frames,
        bitDepth: info.bitDepth,
        finite: channels.every((c) => c.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)),
      });
      result.ms = performance.now() - start;
      const head = readFileSync(file).subarray(0, 1 << 16);
      if (isWav(head)) {
        const layout = parseWavLayout(head, Infinity);
        result.factFrames = layout.factFrames;
        result.slotBytes = layout.format.blockAlign / layout.format.channels;
      }
      result.sox = compareWithSox(file, channels, LOSSLESS.has(info.container));
      result.ranged = await compareRanged(file, channels);
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
      result.unexpected = !(err instanceof UserError);
      result.ms = performance.now() - start;
      result.sox = compareWithSox(file, undefined, false);
      result.ranged = await compareRanged(file, undefined);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

/** The ranged reader on the file, in three uneven pieces, against the whole-file decode (`channels`). */
async function compareRanged(file: string, channels: Float32Array[] | undefined): Promise<ChildResult['ranged']> {
  const { openRangedAudio } = await import('../src/audio/reader.ts');
  try {
    const reader = await openRangedAudio(file);
    if (!reader) return { took: false };
    const n = reader.info.frames;
    const cuts = [0, Math.floor(n / 3), Math.floor((2 * n) / 3) + 1, n].map((c) => Math.min(c, n));
    const pieces: Float32Array[][] = [];
    for (let i = 0; i < 3; i++) pieces.push(await reader.read(cuts[i]!, cuts[i + 1]! - cuts[i]!));
    await reader.close();
    if (!channels) return { took: true, frames: n };
    let maxDiff = 0;
    channels.forEach((whole, c) => {
      let at = 0;
      for (const piece of pieces) for (const v of piece[c]!) maxDiff = Math.max(maxDiff, Math.abs(v - (whole[at++] ?? NaN)));
      if (at !== whole.length) maxDiff = Infinity;
    });
    return { took: true, frames: n, maxDiff };
  } catch (err) {
    return { took: true, error: err instanceof Error ? err.message : String(err) };
  }
}

/** What sox makes of the file (rate, channels, length), and the largest sample difference. */
function compareWithSox(file: string, channels: Float32Array[] | undefined, compareSamples: boolean): ChildResult['sox'] {
  const soxi = (flag: string) => spawnSync('soxi', [flag, file], { encoding: 'utf8', timeout: 10_000 });
  const rate = soxi('-r');
  if (rate.status !== 0) return undefined;
  const result = { rate: Number(rate.stdout.trim()), channels: Number(soxi('-c').stdout.trim()), frames: Number(soxi('-s').stdout.trim()) };
  if (!channels) return result;
  const raw = spawnSync('sox', [file, '-t', 'raw', '-e', 'floating-point', '-b', '32', '-L', '-'], {
    maxBuffer: 1 << 30,
    timeout: 30_000,
  });
  if (raw.status !== 0 || !raw.stdout) return result;
  const sox = new Float32Array(raw.stdout.buffer, raw.stdout.byteOffset, Math.floor(raw.stdout.byteLength / 4));
  const nc = channels.length;
  const decodedFrames = Math.floor(sox.length / nc);
  if (!compareSamples) return { ...result, decodedFrames };
  const frames = Math.min(channels[0]!.length, Math.floor(sox.length / nc));
  let maxDiff = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < nc; c++) {
      const d = Math.abs(channels[c]![f]! - sox[f * nc + c]!);
      if (d > maxDiff) maxDiff = d;
    }
  }
  return { ...result, decodedFrames, maxDiff };
}

// ---- parent ----
interface Row {
  file: string;
  soxReads: boolean;
  result?: ChildResult;
  status: 'ok' | 'refused' | 'VIOLATION';
  note: string;
}

function readManifest(dir: string): Map<string, string> {
  const manifest = path.join(dir, 'MANIFEST.tsv');
  const soxView = new Map<string, string>();
  if (!existsSync(manifest)) return soxView;
  const [header, ...lines] = readFileSync(manifest, 'utf8').split('\n').filter(Boolean);
  const columns = header!.split('\t');
  const fileCol = columns.indexOf('file');
  const soxCol = columns.indexOf('sox_view');
  for (const line of lines) {
    const cells = line.split('\t');
    soxView.set(cells[fileCol]!, cells[soxCol] ?? '');
  }
  return soxView;
}

/** Decodes files in a child process; a file that takes too long is marked and the child restarted. */
async function runChildren(files: string[], timeoutMs: number): Promise<Map<string, ChildResult | 'hang' | 'crash'>> {
  const results = new Map<string, ChildResult | 'hang' | 'crash'>();
  let remaining = [...files];
  const self = fileURLToPath(import.meta.url);
  while (remaining.length) {
    const batch = remaining;
    const proc = spawn(process.execPath, ['--import', 'tsx', self, '--child', ...batch], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CHECK_ISOLATE: process.argv.includes('--isolate') ? '1' : '0' },
    });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    let done = 0;
    let timer: NodeJS.Timeout | undefined;
    let hung = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        proc.kill('SIGKILL');
      }, timeoutMs);
    };
    arm();
    const lines = readline.createInterface({ input: proc.stdout });
    for await (const line of lines) {
      if (!line.startsWith('{')) continue;
      const result = JSON.parse(line) as ChildResult;
      results.set(result.file, result);
      done++;
      arm();
    }
    await new Promise((resolve) => (proc.exitCode !== null ? resolve(null) : proc.on('close', resolve)));
    clearTimeout(timer);
    if (done < batch.length) {
      // The file being decoded when the child stopped is the culprit.
      results.set(batch[done]!, hung ? 'hang' : 'crash');
      if (!hung && process.argv.includes('--verbose')) console.error(stderr.slice(-2000));
      remaining = batch.slice(done + 1);
    } else {
      remaining = [];
    }
  }
  return results;
}

function judge(file: string, soxView: string | undefined, result: ChildResult | 'hang' | 'crash' | undefined): Row {
  // sox "reads" a file when it decodes samples from it; soxi alone may accept a header whose data sox then refuses.
  // Without a manifest, what sox does here decides.
  const soxHeaderOnly = typeof result === 'object' && result.sox?.decodedFrames === 0 && result.sox.frames > 0;
  const soxAccepts = soxView === undefined ? typeof result === 'object' && result.sox !== undefined : !soxView.startsWith('sox cannot read');
  const soxReads = soxAccepts && !soxHeaderOnly;
  if (result === undefined || result === 'crash') return { file, soxReads, status: 'VIOLATION', note: 'crashed the decoder' };
  if (result === 'hang') return { file, soxReads, status: 'VIOLATION', note: 'hang (time limit)' };
  const problems: string[] = [];
  if (!result.ok) {
    const error = result.error ?? '';
    if (result.unexpected) problems.push(`unexpected error: ${error}`);
    if (error.includes('\n')) problems.push('error spans lines');
    if (!error.startsWith(file)) problems.push('error does not name the file');
    if (soxReads && result.sox) problems.push(`sox decodes it but we refused: ${error}`);
    if (result.ranged?.took && !result.ranged.error) problems.push('the ranged reader reads a file the decoder refuses');
    if (problems.length) return { file, soxReads, result, status: 'VIOLATION', note: problems.join('; ') };
    return { file, soxReads, result, status: 'refused', note: error.slice(file.length + 2) };
  }
  if (!result.finite) problems.push('non-finite or out-of-range samples');
  const sox = result.sox;
  const notes: string[] = [];
  if (sox) {
    if (sox.rate !== result.sampleRate) problems.push(`rate ${result.sampleRate} vs sox ${sox.rate}`);
    if (sox.channels !== result.channels) problems.push(`channels ${result.channels} vs sox ${sox.channels}`);
    const frames = result.frames ?? 0;
    // What sox actually decodes (its header count can promise more than a truncated file holds).
    const soxFrames = sox.decodedFrames ?? sox.frames;
    const lossless = LOSSLESS.has(result.container ?? '');
    // Plain PCM with samples in wider slots (24-bit in 4 bytes): sox ignores the block align and reads packed samples.
    const soxIgnoresSlots =
      result.codec === 'pcm' &&
      result.slotBytes !== undefined &&
      result.bitDepth !== undefined &&
      result.slotBytes > Math.ceil(result.bitDepth / 8) &&
      result.bitDepth % 8 === 0;
    const adpcm = result.codec === 'ima-adpcm' || result.codec === 'ms-adpcm';
    if (adpcm && result.factFrames === frames && soxFrames >= frames) {
      if (soxFrames > frames) notes.push(`sox ignores the fact chunk (${frames} frames) and keeps the last block's padding`);
    } else if (!soxHeaderOnly && Math.abs(soxFrames - frames) > (lossless ? 1 : SETTINGS.lossyFrameSlack)) {
      problems.push(`frames ${frames} vs sox ${soxFrames}`);
    } else if (!lossless && soxFrames !== frames) {
      notes.push('lossy: decoders differ on priming/padding (sox/libmad ignores the LAME gapless header)');
    }
    if (sox.maxDiff !== undefined && sox.maxDiff > SETTINGS.losslessTolerance) {
      if (result.codec === 'pcm' && result.bitDepth === 64) notes.push('sox reads 64-bit integer PCM as float; samples not compared');
      else if (soxIgnoresSlots) notes.push(`sox ignores the ${result.slotBytes}-byte sample slots and reads packed samples; not compared`);
      else problems.push(`samples differ from sox by up to ${sox.maxDiff.toPrecision(3)}`);
    }
    if (soxHeaderOnly) notes.push(`sox reads the header (${sox.frames} frames) but decodes nothing`);
  } else if (soxReads) {
    problems.push('sox_view says sox reads it but soxi failed here (is sox installed?)');
  }
  const ranged = result.ranged;
  if (ranged?.error) problems.push(`the ranged reader fails where the decoder does not: ${ranged.error}`);
  else if (ranged?.took && ranged.maxDiff !== 0) problems.push(`ranged pieces differ from the whole decode by ${ranged.maxDiff}`);
  const summary = `${result.container}/${result.codec} ${result.channels} ch ${result.sampleRate} Hz ${result.frames} frames${ranged?.took ? ' (ranged ok)' : ''}`;
  const vsSox = sox ? ` | sox ${sox.decodedFrames ?? sox.frames} frames${sox.maxDiff !== undefined ? `, max diff ${sox.maxDiff.toExponential(1)}` : ''}` : '';
  const extra = notes.length ? ` (${notes.join('; ')})` : '';
  if (problems.length) return { file, soxReads, result, status: 'VIOLATION', note: `${summary}${vsSox}: ${problems.join('; ')}` };
  return { file, soxReads, result, status: 'ok', note: summary + vsSox + extra };
}

async function parent(): Promise<void> {
  const args = process.argv.slice(2);
  const timeoutIndex = args.indexOf('--timeout-ms');
  const timeoutMs = timeoutIndex >= 0 ? Number(args[timeoutIndex + 1]) : SETTINGS.timeoutMs;
  const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--timeout-ms') ?? SETTINGS.defaultDir;
  if (!existsSync(dir)) {
    console.error(`check-odd-wavs: ${dir}: no such folder`);
    process.exit(1);
  }
  if (spawnSync('soxi', ['--version']).error) console.error('check-odd-wavs: sox not found; comparisons with sox are skipped');
  const soxView = readManifest(dir);
  // Without a MANIFEST.tsv every file in the folder is checked against what sox makes of it.
  const listed = soxView.size ? [...soxView.keys()] : readdirSync(dir).filter((n) => !n.startsWith('.'));
  const names = listed.filter((name) => existsSync(path.join(dir, name))).sort();
  const files = names.map((name) => path.join(dir, name));
  const started = performance.now();
  const results = await runChildren(files, timeoutMs);
  const rows = names.map((name, i) => judge(files[i]!, soxView.size ? (soxView.get(name) ?? '') : undefined, results.get(files[i]!)));

  const width = Math.max(...names.map((n) => n.length));
  for (const [i, row] of rows.entries()) {
    const ms = row.result ? `${row.result.ms.toFixed(0).padStart(5)} ms` : '    - ms';
    console.log(`${row.status.padEnd(9)} ${row.soxReads ? 'sox' : '   '} ${names[i]!.padEnd(width)} ${ms}  ${row.note}`);
  }
  const count = (s: Row['status']) => rows.filter((r) => r.status === s).length;
  const soxFiles = rows.filter((r) => r.soxReads);
  const soxOk = soxFiles.filter((r) => r.status === 'ok').length;
  const others = rows.filter((r) => !r.soxReads);
  console.log(
    `\n${rows.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      `${count('ok')} decoded, ${count('refused')} refused with a one-line error, ${count('VIOLATION')} violations; ` +
      `sox-readable ${soxOk}/${soxFiles.length} match sox; not sox-readable: ` +
      `${others.filter((r) => r.status === 'ok').length} decoded anyway, ${others.filter((r) => r.status === 'refused').length} refused; ` +
      `ranged reader took ${rows.filter((r) => r.result?.ranged?.took).length}`,
  );
  process.exit(count('VIOLATION') ? 1 : 0);
}

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await parent();
