/**
 * Long recordings in flat memory: `npm run bench -- long [--hours 5] [--format wav|mp3] [--file F]
 *   [--clip 15] [--max-silence 1] [--cleanup full|silence] [--workers 2] [--keep] [--make-only F]`
 *
 * Preprocesses one long recording into clips with clean-up on, and prints peak RSS (resident memory, the whole
 * process with its worker threads), wall time and throughput, beside the same file only decoded (read block by
 * block at the target rate, nothing else), so the cost of the pipeline over decoding shows as a ratio.
 * Without --file it first makes a synthetic 44.1 kHz stereo recording of --hours: phrases of tones and noise
 * from 0.3 to 20 s separated by silences from 0.1 to 4 s, a tape click at each end, written as 16-bit WAV
 * (or piped to ffmpeg for --format mp3, 128 kbit/s; ffmpeg must be installed).
 *
 * --cleanup silence: the issue's genre set (silences over --max-silence s removed, 15 s clips);
 * --cleanup full: the tape archive (clicks muted, ends trimmed, silences removed, LUFS levelling).
 * Each measurement runs in a child process of its own, so peak RSS is that step's alone.
 * --make-only F writes the synthetic recording to F and stops (a 31-h mp3 takes ~25 min to make: make it once,
 * then measure it as often as needed with --file F).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const RATE = 44100;
const OUT_RATE = 22050;

const args = await yargs(hideBin(process.argv))
  .scriptName('npm run bench -- long')
  .option('hours', { type: 'number', default: 5, describe: 'Length of the synthetic recording' })
  .option('format', { choices: ['wav', 'mp3'] as const, default: 'wav' as const })
  .option('file', { type: 'string', describe: 'Measure this recording instead of a synthetic one' })
  .option('clip', { type: 'number', default: 15, describe: 'Clip length, s' })
  .option('max-silence', { type: 'number', default: 1, describe: 'Silences longer than this are shortened (s)' })
  .option('cleanup', { choices: ['silence', 'full'] as const, default: 'silence' as const })
  .option('workers', { type: 'number', default: 2 })
  .option('keep', { type: 'boolean', describe: 'Keep the synthetic file and the dataset' })
  .option('make-only', { type: 'string', describe: 'Only write the synthetic recording to this file (format from --format)' })
  .option('child', { type: 'string', hidden: true })
  .strict()
  .parseAsync();

/** What a child reports. */
interface Measured {
  seconds: number;
  maxRssMiB: number;
  detail: string;
  /** Seconds of audio read (decode only). */
  audioSeconds?: number;
}

/** Deterministic pseudo-random numbers (mulberry32), so every run makes the same recording. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The synthetic recording, one second of interleaved 16-bit stereo at a time. */
function* recording(hours: number): Generator<Int16Array> {
  const rnd = random(1);
  const total = Math.round(hours * 3600 * RATE);
  let inPhrase = false;
  let left = 0;
  let freq = 220;
  let phase = 0;
  for (let start = 0; start < total; start += RATE) {
    const n = Math.min(RATE, total - start);
    const out = new Int16Array(2 * n);
    for (let i = 0; i < n; i++) {
      if (left-- <= 0) {
        inPhrase = !inPhrase;
        left = Math.round((inPhrase ? 0.3 + 19.7 * rnd() : 0.1 + 3.9 * rnd()) * RATE);
        freq = 110 * 2 ** (4 * rnd());
      }
      const t = start + i;
      let v = 0;
      if (inPhrase) {
        phase += (2 * Math.PI * freq) / RATE;
        v = 0.3 * Math.sin(phase) + 0.1 * Math.sin(2.01 * phase) + 0.03 * (rnd() - 0.5);
      }
      if (t < 40 || t >= total - 40) v = 0.9; // tape clicks at the ends
      out[2 * i] = Math.round(v * 32767);
      out[2 * i + 1] = Math.round(v * 0.8 * 32767);
    }
    yield out;
  }
}

function wavHeader(frames: number): Buffer {
  const h = Buffer.alloc(44);
  const bytes = frames * 4;
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + bytes, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(bytes, 40);
  return h;
}

/** Writes the synthetic recording to `file` (WAV directly, mp3 through ffmpeg). */
async function makeRecording(file: string, hours: number, format: 'wav' | 'mp3'): Promise<void> {
  const frames = Math.round(hours * 3600 * RATE);
  if (format === 'wav' && frames * 4 > 0xffffffff - 36) throw new Error(`${hours} h of 16-bit stereo is over a WAV file's 4 GiB; use --format mp3`);
  const ffmpeg =
    format === 'mp3'
      ? spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 's16le', '-ar', `${RATE}`, '-ac', '2', '-i', '-', '-b:a', '128k', file], {
          stdio: ['pipe', 'inherit', 'inherit'],
        })
      : undefined;
  const sink = ffmpeg ? ffmpeg.stdin! : createWriteStream(file);
  // events.once rejects on 'error' and removes its listeners, so a long write adds none that pile up.
  const write = async (b: Buffer) => {
    if (!sink.write(b)) await once(sink, 'drain');
  };
  if (!ffmpeg) await write(wavHeader(frames));
  for (const second of recording(hours)) await write(Buffer.from(second.buffer));
  await new Promise<void>((ok) => sink.end(ok));
  if (ffmpeg) await new Promise<void>((ok, fail) => ffmpeg.on('close', (code) => (code === 0 ? ok() : fail(new Error(`ffmpeg exited ${code}`)))));
}

/** The child's side: decode only, or preprocess, then print a Measured line. */
async function child(mode: string, file: string, out: string): Promise<void> {
  const t = performance.now();
  let detail = '';
  let audioSeconds: number | undefined;
  if (mode === 'decode') {
    const { readBlocks } = await import('../src/audio/reader.ts');
    let frames = 0;
    for await (const b of readBlocks(file, { sampleRate: OUT_RATE, blockSeconds: 30 })) frames += b.channels[0]!.length;
    audioSeconds = frames / OUT_RATE;
    detail = `${(audioSeconds / 3600).toFixed(2)} h read block by block, mono at ${OUT_RATE} Hz`;
  } else {
    const { preprocess } = await import('../src/dataset/pipeline.ts');
    const cleanup =
      args.cleanup === 'full'
        ? { clicks: true, trimDb: -60, maxSilence: args.maxSilence, silenceDb: -30, normalise: 'lufs' as const, level: -23 }
        : { clicks: false, trimDb: null, maxSilence: args.maxSilence, silenceDb: -30, normalise: 'none' as const };
    const s = await preprocess([file], out, {
      preset: 'music',
      overrides: { clip: Math.round(args.clip * OUT_RATE), overlap: 0, cleanup },
      workers: args.workers,
      dtype: 'uint16',
    });
    detail = `${s.items} clips of ${s.shape[0]} x ${s.shape[1]}${s.failed.length ? `, FAILED: ${s.failed[0]!.reason}` : ''}`;
  }
  const m: Measured = { seconds: (performance.now() - t) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, detail, audioSeconds };
  console.log(JSON.stringify(m));
}

function measure(mode: string, file: string, out: string): Measured {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, '--file', file, ...forwarded(), '--', out], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`${mode} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line) as Measured;
}

function forwarded(): string[] {
  return ['--clip', `${args.clip}`, '--max-silence', `${args.maxSilence}`, '--cleanup', args.cleanup, '--workers', `${args.workers}`];
}

if (args.child) {
  await child(args.child, args.file!, String(args._[0]));
} else if (args.makeOnly) {
  await makeRecording(args.makeOnly, args.hours, args.format);
  console.log(`made ${args.makeOnly} (${(statSync(args.makeOnly).size / 2 ** 20).toFixed(0)} MiB)`);
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-long-'));
  try {
    let file = args.file;
    if (!file) {
      file = path.join(dir, `synthetic-${args.hours}h.${args.format}`);
      const t = performance.now();
      await makeRecording(file, args.hours, args.format);
      console.log(`made ${file} (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    } else if (!existsSync(file)) throw new Error(`${file}: no such file`);
    const decode = measure('decode', file, '');
    const prep = measure('preprocess', file, path.join(dir, 'dataset'));
    const rate = (m: Measured) => `, ${(decode.audioSeconds! / m.seconds).toFixed(0)}x real time`;
    console.log(
      `load average ${loadavg()[0]!.toFixed(2)}; clean-up: ${args.cleanup}, clips ${args.clip} s, silences over ${args.maxSilence} s removed, ${args.workers} workers`,
    );
    console.log(`decode only:  ${decode.seconds.toFixed(1)} s${rate(decode)}, peak RSS ${decode.maxRssMiB.toFixed(0)} MiB (${decode.detail})`);
    console.log(`preprocess:   ${prep.seconds.toFixed(1)} s${rate(prep)}, peak RSS ${prep.maxRssMiB.toFixed(0)} MiB (${prep.detail})`);
    console.log(`preprocess / decode time: ${(prep.seconds / decode.seconds).toFixed(2)}x`);
  } finally {
    if (args.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
