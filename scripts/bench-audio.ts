/**
 * Audio layer benchmark: `npm run bench -- audio [--files N]`.
 *
 * Prints, with the machine's load average:
 *  - resampling time per 0.74 s clip, 8000 -> 22050 Hz (FSDD to the reference rate), per quality,
 *    and per second of 44.1 kHz audio to 22050 Hz;
 *  - decode and loadAudio (decode + mono + resample) over ../shared/data/fsdd when present
 *    (else over synthetic 8 kHz WAVs written to a temp folder);
 *  - torchaudio's `resample` on the same clips in the same run, when Debian's python3-torch is installed.
 *
 * `npm run bench -- audio --long FILE` instead reads one long compressed file (say an hour-long mp3) three ways,
 * each in a child process of its own, and prints peak RSS and decode speed: `decodeAudio` (whole file),
 * `readBlocks` at the file's rate with every channel (streamed), and `readBlocks` to 22050 Hz mono (what
 * preprocessing reads). The first two must give the same samples (a hash of every channel's bits is compared).
 *
 * `npm run bench -- audio --long FILE --cleanup [MODES]` measures clean-up of one long file instead (clicks, trim,
 * internal silences over 1 s, LUFS levelling: `LONG_CLEANUP`), each mode in a child process of its own, printing
 * peak RSS and time: `clean-whole` (decode the whole file and `Cleaner.clean` it, as preprocessing did),
 * `clean-stream` (`planCleanup` passes, then the cleaned signal read in 60 s blocks), `prep-whole` and
 * `prep-stream` (the same, then cut into 'music' clips and their spectrograms: the whole cleaned file resampled
 * block by block, or `FileProcessor`, which now streams). MODES is a comma list (default all four). The cleaned
 * samples must be equal (a hash of their bits), and the clips' spectrograms too (a checksum, to float tolerance).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAudio } from '../src/audio/decode.ts';
import { loadAudio } from '../src/audio/load.ts';
import { readBlocks } from '../src/audio/reader.ts';
import { RESAMPLE_QUALITIES, resample, type ResampleQuality } from '../src/audio/resample.ts';
import { encodeWav } from '../src/audio/wav-write.ts';

const SETTINGS = {
  fsdd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data/fsdd'),
  clipInput: 5920, // 0.74 s at 8 kHz
  reps: 300,
  torchPython: '/usr/bin/python3',
};

/** What one `--measure` child reports. */
interface LongRead {
  frames: number;
  /** Rate of the frames counted. */
  sampleRate: number;
  seconds: number;
  maxRssMiB: number;
  /** A hash of each channel's sample bits, in order. */
  hashes: number[];
}

/** Folds samples into a running hash of their bits. */
function hashInto(hash: number, samples: Float32Array): number {
  const bits = new Uint32Array(samples.buffer, samples.byteOffset, samples.length);
  for (let i = 0; i < bits.length; i++) hash = (Math.imul(hash, 31) + bits[i]!) | 0;
  return hash;
}

/** Reads `file` one way (`whole`, `blocks` or `blocks22k`) and prints a LongRead as JSON: the child's side of `--long`. */
async function measureLongRead(mode: string, file: string): Promise<void> {
  const t = performance.now();
  let frames = 0;
  let sampleRate = 0;
  let hashes: number[] = [];
  if (mode === 'whole') {
    const { channels, info } = await decodeAudio(file, { timeoutMs: 24 * 3600_000 });
    hashes = channels.map((c) => hashInto(0, c));
    frames = channels[0]!.length;
    sampleRate = info.sampleRate;
  } else {
    const options = mode === 'blocks' ? { mono: false } : { mono: true, sampleRate: 22050 };
    for await (const block of readBlocks(file, { ...options, blockSeconds: 60 })) {
      hashes = block.channels.map((c, k) => hashInto(hashes[k] ?? 0, c));
      frames += block.channels[0]!.length;
      sampleRate = block.sampleRate;
    }
  }
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ frames, sampleRate, seconds: (performance.now() - t) / 1000, maxRssMiB, hashes } satisfies LongRead));
}

/** Runs the three reads of `file` in child processes and prints what they measured. */
/**
 * Runs this script again as `FLAG MODE FILE` in a child process of its own (so its peak RSS is that step's alone)
 * and returns the JSON line it printed last, or undefined after printing why it failed.
 */
function measureInChild<T>(flag: string, mode: string, file: string): T | undefined {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, flag, mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    console.log(`  ${mode}: failed (${child.status ?? child.signal}) ${child.stderr.trim().split('\n').at(-1) ?? ''}`);
    return undefined;
  }
  return JSON.parse(line) as T;
}

function compareLongReads(file: string): void {
  console.log(`${file}: peak RSS and time of reading it whole and streamed (load average ${load()}, 2 cores)`);
  const results: Record<string, LongRead> = {};
  const modes = { whole: 'decodeAudio, whole file', blocks: 'readBlocks, file rate, all channels', blocks22k: 'readBlocks, 22050 Hz mono' };
  for (const [mode, what] of Object.entries(modes)) {
    const r = measureInChild<LongRead>('--measure', mode, file);
    if (!r) continue;
    results[mode] = r;
    console.log(`  ${what.padEnd(38)} peak RSS ${r.maxRssMiB.toFixed(0).padStart(6)} MiB  ${r.seconds.toFixed(1).padStart(7)} s  ${r.frames} frames out`);
  }
  const { whole, blocks } = results;
  if (whole && blocks) {
    const same = whole.frames === blocks.frames && whole.hashes.join() === blocks.hashes.join();
    const audio = whole.frames / whole.sampleRate;
    console.log(`  streamed samples ${same ? 'equal' : 'DIFFER from'} the whole-file decode (${(audio / 3600).toFixed(2)} h of audio)`);
    console.log(`  decode speed: ${(audio / blocks.seconds).toFixed(0)}x real time streamed, ${(audio / whole.seconds).toFixed(0)}x whole`);
  }
}

/** The clean-up `--long FILE --cleanup` measures: what the 5-hour tape target asks for. */
const LONG_CLEANUP = { clicks: true, trimDb: -60, maxSilence: 1, silenceDb: -50, normalise: 'lufs', level: -23 } as const;
const CLEAN_MODES = {
  'clean-whole': 'decode whole + Cleaner.clean',
  'clean-stream': 'planCleanup + CleanedAudio, 60 s reads',
  'prep-whole': 'whole clean-up, clips + spectrograms',
  'prep-stream': 'FileProcessor (streamed clean-up)',
} as const;
type CleanMode = keyof typeof CLEAN_MODES;

/** What one `--measure-clean` child reports. */
interface CleanRun {
  /** Cleaned samples at the file's rate (clean modes) or clips made (prep modes). */
  count: number;
  /** Samples trimmed from the start (clean modes). */
  start: number;
  /** Hash of the cleaned samples' bits (clean modes) or the sum of every spectrogram value (prep modes). */
  check: number;
  seconds: number;
  maxRssMiB: number;
}

/** Cleans or preprocesses `file` one way and prints a CleanRun as JSON: the child's side of `--cleanup`. */
async function measureCleanRun(mode: CleanMode, file: string): Promise<void> {
  const stages = await import('../src/dataset/stages.ts');
  const { resolveSettings } = await import('../src/dataset/presets.ts');
  const { openStreamingAudio } = await import('../src/audio/reader.ts');
  const { openCleanedAudio } = await import('../src/audio/cleanup-stream.ts');
  const { peak } = await import('../src/audio/cleanup.ts');
  const s = resolveSettings('music', { split: 'clips', cleanup: LONG_CLEANUP });
  const t = performance.now();
  let run = { count: 0, start: 0, check: 0 };
  if (mode === 'clean-whole') {
    const { samples, start } = await new stages.Loader(s).decodeCleaned(file, s.cleanup);
    run = { count: samples.length, start, check: hashInto(0, samples) };
  } else if (mode === 'clean-stream') {
    const audio = await openStreamingAudio(file);
    if (!audio) throw new Error(`${file}: not streamable`);
    const cleaned = await openCleanedAudio(audio, new stages.Cleaner(s.cleanup, audio.info.sampleRate).steps());
    const block = 60 * audio.info.sampleRate;
    for (let at = 0; at < cleaned.info.frames; at += block) run.check = hashInto(run.check, (await cleaned.read(at, block))[0]!);
    run = { ...run, count: cleaned.info.frames, start: cleaned.plan.start };
    await cleaned.close();
  } else if (mode === 'prep-stream') {
    for await (const clip of new stages.FileProcessor(s).process(file)) {
      run.count++;
      for (const v of clip.data) run.check += v;
    }
  } else {
    // The whole-file path FileProcessor took before streaming clean-up: the cleaned file resampled by blocks.
    const { decoded, samples } = await new stages.Loader(s).decodeCleaned(file, s.cleanup);
    const reader = stages.resampledReader(samples, decoded.sampleRate, s.sampleRate, s.resampleQuality, 1 << 20);
    const extractor = stages.createExtractor(s);
    const padder = new stages.Padder(s);
    for (const span of new stages.Splitter(s).spans(reader.length)) {
      const clip = await reader.read(span.offset, span.offset + span.length);
      if (span.length < s.minDuration * s.sampleRate || peak(clip) === 0) continue;
      run.count++;
      for (const v of new stages.MinMaxNormaliser().normalise(extractor.extract(padder.pad(clip))).data) run.check += v;
    }
  }
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ ...run, seconds: (performance.now() - t) / 1000, maxRssMiB } satisfies CleanRun));
}

/** Runs the clean-up modes on `file` in child processes and prints what they measured. */
function compareCleanRuns(file: string, modes: CleanMode[]): void {
  console.log(`${file}: peak RSS and time of clean-up ${JSON.stringify(LONG_CLEANUP)} (load average ${load()}, 2 cores)`);
  const results: Partial<Record<CleanMode, CleanRun>> = {};
  for (const mode of modes) {
    const r = measureInChild<CleanRun>('--measure-clean', mode, file);
    if (!r) continue;
    results[mode] = r;
    const what = `${mode}: ${CLEAN_MODES[mode]}`;
    console.log(`  ${what.padEnd(56)} peak RSS ${r.maxRssMiB.toFixed(0).padStart(6)} MiB  ${r.seconds.toFixed(1).padStart(7)} s  ${r.count} out`);
  }
  const [cw, cs, pw, ps] = [results['clean-whole'], results['clean-stream'], results['prep-whole'], results['prep-stream']];
  if (cw && cs) {
    const same = cw.count === cs.count && cw.start === cs.start && cw.check === cs.check;
    console.log(`  streamed clean-up ${same ? 'equals' : 'DIFFERS from'} the whole-file clean-up (${cs.count} samples, ${cs.start} trimmed, bits hashed)`);
  }
  if (pw && ps) {
    const rel = Math.abs(pw.check - ps.check) / Math.max(1e-12, Math.abs(pw.check));
    console.log(`  clips: ${ps.count} streamed, ${pw.count} whole; spectrogram checksums differ by ${rel.toExponential(2)} (relative)`);
  }
}

const measureCleanArg = process.argv.indexOf('--measure-clean');
if (measureCleanArg >= 0) {
  await measureCleanRun(process.argv[measureCleanArg + 1] as CleanMode, process.argv[measureCleanArg + 2]!);
  process.exit(0);
}
const measureArg = process.argv.indexOf('--measure');
if (measureArg >= 0) {
  await measureLongRead(process.argv[measureArg + 1]!, process.argv[measureArg + 2]!);
  process.exit(0);
}
const longArg = process.argv.indexOf('--long');
const filesArg = process.argv.indexOf('--files');
const maxFiles = filesArg >= 0 ? Number(process.argv[filesArg + 1]) : Infinity;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const ms = (t0: number) => performance.now() - t0;

const cleanupArg = process.argv.indexOf('--cleanup');
if (longArg >= 0 && cleanupArg >= 0) {
  const list = process.argv[cleanupArg + 1];
  const modes = (list && !list.startsWith('--') ? list.split(',') : Object.keys(CLEAN_MODES)) as CleanMode[];
  const unknown = modes.filter((m) => !(m in CLEAN_MODES));
  if (unknown.length) throw new Error(`--cleanup: unknown mode ${unknown.join(', ')} (modes: ${Object.keys(CLEAN_MODES).join(', ')})`);
  compareCleanRuns(process.argv[longArg + 1]!, modes);
  process.exit(0);
}
if (longArg >= 0) {
  compareLongReads(process.argv[longArg + 1]!);
  process.exit(0);
}

console.log(`load average at start: ${load()} (2 cores; figures inflate under load)`);

// Resampling, in isolation.
const clip = Float32Array.from({ length: SETTINGS.clipInput }, (_, i) => Math.sin(i * 0.3) * 0.5 + Math.sin(i * 1.7) * 0.1);
console.log('\nresample one 0.74 s clip, 8000 -> 22050 Hz (16317 samples out):');
for (const quality of Object.keys(RESAMPLE_QUALITIES) as ResampleQuality[]) {
  for (let i = 0; i < 30; i++) resample(clip, 8000, 22050, { quality }); // warm-up and table build
  const t0 = performance.now();
  for (let i = 0; i < SETTINGS.reps; i++) resample(clip, 8000, 22050, { quality });
  const f = RESAMPLE_QUALITIES[quality];
  console.log(`  ${quality.padEnd(10)} ${(ms(t0) / SETTINGS.reps).toFixed(3)} ms  (${f.zeros} zero crossings, rolloff ${f.rolloff.toFixed(3)})`);
}
const second = Float32Array.from({ length: 44100 * 10 }, (_, i) => Math.sin(i * 0.05) * 0.5);
resample(second.subarray(0, 44100), 44100, 22050);
let t0 = performance.now();
resample(second, 44100, 22050);
console.log(`  44100 -> 22050 Hz, default: ${(ms(t0) / 10).toFixed(2)} ms per second of audio`);

// Files: FSDD when present, else synthetic.
let dir = SETTINGS.fsdd;
let temp: string | undefined;
if (!existsSync(dir)) {
  temp = mkdtempSync(path.join(tmpdir(), 'soundvae-bench-audio-'));
  dir = temp;
  for (let i = 0; i < 300; i++) writeFileSync(path.join(dir, `${i}.wav`), encodeWav(clip.subarray(0, 3000 + i), 8000));
  console.log(`\n(${SETTINGS.fsdd} not found: 300 synthetic 8 kHz WAVs instead)`);
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.wav'))
  .slice(0, maxFiles)
  .map((f) => path.join(dir, f));
console.log(`\n${files.length} files from ${dir}:`);
for (const f of files.slice(0, 50)) await loadAudio(f, { sampleRate: 22050 }); // warm-up
t0 = performance.now();
let samples = 0;
for (const f of files) samples += (await decodeAudio(f)).info.frames;
const decodeMs = ms(t0);
console.log(
  `  decodeAudio: ${decodeMs.toFixed(0)} ms (${((decodeMs * 1000) / files.length).toFixed(0)} us per file, ${(samples / files.length / 8000).toFixed(2)} s mean)`,
);
t0 = performance.now();
for (const f of files) await loadAudio(f, { sampleRate: 22050 });
const loadMs = ms(t0);
console.log(`  loadAudio to 22050 Hz mono: ${loadMs.toFixed(0)} ms (${(loadMs / files.length).toFixed(3)} ms per file)`);

// torchaudio on the same files, same process layout (one process, one thread), when available.
const torch = spawnSync(
  SETTINGS.torchPython,
  [
    '-c',
    `import sys, time, torch, torchaudio
torch.set_num_threads(1)
files = sys.stdin.read().split('\\n')
t = time.perf_counter()
for f in files:
    x, sr = torchaudio.load(f)
    y = torchaudio.functional.resample(x.mean(0), sr, 22050)
print(f"{(time.perf_counter() - t) * 1000:.0f}")`,
  ],
  { input: files.join('\n'), encoding: 'utf8', timeout: 300_000 },
);
if (torch.status === 0) {
  const torchMs = Number(torch.stdout.trim());
  console.log(`  torchaudio load + resample (1 thread, default sinc_interp_hann): ${torchMs} ms (${(torchMs / files.length).toFixed(3)} ms per file)`);
} else {
  console.log('  torchaudio: not available here (needs Debian python3-torch / python3-torchaudio)');
}
console.log(`\nload average at end: ${load()}`);
if (temp) rmSync(temp, { recursive: true, force: true });
