/**
 * Audio layer benchmark: `npm run bench -- audio [--files N]`.
 *
 * Prints, with the machine's load average:
 *  - resampling time per 0.74 s clip, 8000 -> 22050 Hz (FSDD to the reference rate), per quality,
 *    and per second of 44.1 kHz audio to 22050 Hz;
 *  - decode and loadAudio (decode + mono + resample) over ../shared/data/fsdd when present
 *    (else over synthetic 8 kHz WAVs written to a temp folder);
 *  - torchaudio's `resample` on the same clips in the same run, when Debian's python3-torch is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAudio } from '../src/audio/decode.ts';
import { loadAudio } from '../src/audio/load.ts';
import { RESAMPLE_QUALITIES, resample, type ResampleQuality } from '../src/audio/resample.ts';
import { encodeWav } from '../src/audio/wav-write.ts';

const SETTINGS = {
  fsdd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data/fsdd'),
  clipInput: 5920, // 0.74 s at 8 kHz
  reps: 300,
  torchPython: '/usr/bin/python3',
};

const filesArg = process.argv.indexOf('--files');
const maxFiles = filesArg >= 0 ? Number(process.argv[filesArg + 1]) : Infinity;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const ms = (t0: number) => performance.now() - t0;

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
