/**
 * Preprocessing benchmark: `npm run bench -- preprocess [options]`.
 *
 * 1. `soundvae preprocess DATA --preset reference` as a whole process (wall time, peak memory), and in the same
 *    run the torchaudio reference `ref_preprocess.py DATA OUT` (2 processes), when Python and the script exist;
 * 2. parity: our reference-preset spectrograms (with the torchaudio resampling filter) against the .npy files the
 *    Python script wrote;
 * 3. scale: the same files listed `--scale` times (folders of symbolic links), to show memory stays flat, and
 *    one long recording cut into clips;
 * 4. `--presets`: oracle Griffin-Lim inversion quality (spectral convergence) of candidate STFT settings on
 *    real clips, the measurement behind the `digits` and `music` presets.
 *
 * Options: --data DIR (default ../shared/data/fsdd), --music DIR (default ../shared/data/music), --scale N
 * (default 10, 0 to skip), --long N (FSDD end to end N times as one WAV; default 3, 0 to skip), --no-python, --presets (also 4), --presets-only (only 4), --clips N (default 24).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, promises as fsp, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectInputs } from '../src/dataset/inputs.ts';
import { preprocess } from '../src/dataset/pipeline.ts';
import { createDatasetWriter, openDataset } from '../src/dataset/store.ts';
import { encodeWav } from '../src/audio/wav-write.ts';
import { Loader } from '../src/dataset/stages.ts';
import { griffinLim } from '../src/dsp/griffinlim.ts';
import { magnitude, stft } from '../src/dsp/stft.ts';
import { signalSpectralConvergence, spectralConvergence } from '../src/dsp/metrics.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const flag = (name: string) => args.includes(`--${name}`);
const data = path.resolve(opt('data', path.join(shared, 'data', 'fsdd')));
const music = path.resolve(opt('music', path.join(shared, 'data', 'music')));
const scale = Number(opt('scale', '10'));
const python = '/usr/bin/python3';
const refScript = [path.join(shared, 'reference', 'ref_preprocess.py'), path.join(shared, 'data', 'reference', 'ref_preprocess.py')].find(existsSync);
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * Runs a command under /usr/bin/time: wall seconds, CPU seconds (user + system, children included: a fairer
 * comparison than wall time when the machine is busy) and peak resident memory (MiB) of the largest process.
 */
function timed(cmd: string, argv: string[]): { seconds: number; cpu: number; peakMiB: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  return { seconds: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), peakMiB: Number(m[4]) / 1024, stdout: r.stdout };
}

/** Reads a 2-D float32 .npy file (numpy format 1.0/2.0, little-endian, C or Fortran order) as row-major. */
function readNpy(file: string): Float32Array {
  const b = readFileSync(file);
  const major = b[6]!;
  const headerLength = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = b.subarray(0, start).toString('latin1');
  if (!header.includes("'<f4'")) throw new Error(`${file}: not little-endian float32`);
  const raw = new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (!header.includes("'fortran_order': True") || !shape) return raw;
  // Column-major (torch slices often save so): transpose to row-major rows x cols.
  const [rows, cols] = [Number(shape[1]), Number(shape[2])];
  const out = new Float32Array(raw.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = raw[c * rows + r]!;
  return out;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'soundvae-bench-preprocess-'));
const cli = path.join(root, 'bin', 'soundvae.js');
try {
  if (!existsSync(data)) {
    console.log(`no data at ${data}: pass --data DIR`);
    process.exit(0);
  }
  const files = await collectInputs([data]);
  console.log(`preprocess benchmark: ${files.length} files from ${data}; ${os.cpus().length} cores; load ${load()}`);

  const presetsOnly = flag('presets-only');
  // 1. Whole process, ours then the reference.
  if (!presetsOnly) {
    const ours = timed(process.execPath, [cli, 'preprocess', data, '--out', path.join(tmp, 'ours'), '--preset', 'reference', '--quiet', '--json']);
    const summary = JSON.parse(ours.stdout) as { items: number; seconds: number; failed: unknown[] };
    console.log(
      `soundvae preprocess --preset reference: ${ours.seconds.toFixed(2)} s wall (pipeline ${summary.seconds.toFixed(2)} s), ${ours.cpu.toFixed(2)} s CPU, ` +
        `${(files.length / ours.seconds).toFixed(0)} files/s, peak ${ours.peakMiB.toFixed(0)} MiB, ${summary.items} items, ${summary.failed.length} failed; load ${load()}`,
    );
    let pyOut: string | undefined;
    if (!flag('no-python') && refScript && existsSync(python)) {
      pyOut = path.join(tmp, 'python');
      try {
        const py = timed(python, [refScript, data, pyOut]);
        console.log(
          `ref_preprocess.py (torchaudio, 2 processes):  ${py.seconds.toFixed(2)} s wall, ${py.cpu.toFixed(2)} s CPU, peak ${py.peakMiB.toFixed(0)} MiB (largest process); ` +
            `we are ${(py.seconds / ours.seconds).toFixed(2)}x faster in wall time, ${(py.cpu / ours.cpu).toFixed(2)}x in CPU time; load ${load()}`,
        );
      } catch (err) {
        console.log(`ref_preprocess.py failed: ${(err as Error).message.split('\n')[0]}`);
        pyOut = undefined;
      }
    } else {
      console.log('ref_preprocess.py: skipped (no Python reference here, or --no-python)');
    }

    // 2. Parity with the Python output, resampling with torchaudio's filter so only float rounding differs.
    if (pyOut) {
      const subset = files.slice(0, 200);
      const out = path.join(tmp, 'parity');
      await preprocess(subset, out, { preset: 'reference', overrides: { resampleQuality: 'torchaudio' }, workers: 0 });
      const ds = await openDataset(out);
      let maxDiff = 0;
      let sumDiff = 0;
      let n = 0;
      for (const item of ds.manifest.items) {
        const npy = readNpy(path.join(pyOut, `${path.basename(item.source)}.npy`));
        const mine = await ds.read([item.index]);
        for (let i = 0; i < mine.length; i++) {
          const d = Math.abs(mine[i]! - npy[i]!);
          maxDiff = Math.max(maxDiff, d);
          sumDiff += d;
          n++;
        }
      }
      await ds.close();
      console.log(
        `parity with ref_preprocess.py on ${ds.size} files (torchaudio resampling filter): mean |diff| ${(sumDiff / n).toExponential(2)}, max ${maxDiff.toExponential(2)} (normalised units)`,
      );
    }
    // 1b. Reading for training: one shuffled epoch in batches of 64, float32 as written and a uint16 copy.
    const f32 = await openDataset(path.join(tmp, 'ours'));
    const u16dir = path.join(tmp, 'ours-u16');
    const w = await createDatasetWriter(u16dir, { shape: f32.shape, settings: f32.manifest.settings, dtype: 'uint16' });
    for await (const b of f32.batches(f32.indices(), 64, { shuffle: false })) {
      b.indices.forEach((i, k) => w.append(f32.manifest.items[i]!, b.data.subarray(k * f32.shape[0] * f32.shape[1], (k + 1) * f32.shape[0] * f32.shape[1])));
    }
    await w.finish();
    const u16 = await openDataset(u16dir);
    for (const [name, ds] of [
      ['float32', f32],
      ['uint16', u16],
    ] as const) {
      const t = performance.now();
      let n = 0;
      for await (const b of ds.batches(ds.indices(), 64, { seed: 1, epoch: 0 })) n += b.indices.length;
      const s = (performance.now() - t) / 1000;
      const mib = (ds.manifest.itemBytes * ds.size) / 2 ** 20;
      console.log(`read one shuffled epoch, batches of 64, ${name}: ${(n / s).toFixed(0)} items/s (${mib.toFixed(0)} MiB on disk, page cache warm)`);
    }
    await Promise.all([f32.close(), u16.close()]);
    rmSync(u16dir, { recursive: true, force: true });
    rmSync(path.join(tmp, 'ours'), { recursive: true, force: true });

    // 3. Ten times the input: memory must stay flat.
    if (scale > 1) {
      const big = path.join(tmp, `x${scale}`);
      for (let k = 0; k < scale; k++) {
        const d = path.join(big, `copy${k}`);
        mkdirSync(d, { recursive: true });
        for (const f of files) symlinkSync(f, path.join(d, path.basename(f)));
      }
      const r = timed(process.execPath, [cli, 'preprocess', big, '--out', path.join(tmp, 'big'), '--preset', 'reference', '--quiet', '--json']);
      const s = JSON.parse(r.stdout) as { items: number };
      console.log(
        `${scale}x input (${files.length * scale} files): ${r.seconds.toFixed(2)} s wall, ${((files.length * scale) / r.seconds).toFixed(0)} files/s, ` +
          `peak ${r.peakMiB.toFixed(0)} MiB (1x: ${ours.peakMiB.toFixed(0)} MiB), ${s.items} items; load ${load()}`,
      );
      rmSync(big, { recursive: true, force: true });
      rmSync(path.join(tmp, 'big'), { recursive: true, force: true });
    }
  }

  // 3b. One long recording (the files end to end, `--long` times over), cut into clips: memory stays bounded.
  const longRepeats = Number(opt('long', '3'));
  if (!presetsOnly && longRepeats > 0) {
    const parts: Float32Array[] = [];
    for (const f of files) parts.push((await new Loader({ sampleRate: 8000, resampleQuality: 'default' }).load(f)).samples);
    const n = parts.reduce((a, p) => a + p.length, 0);
    const long = new Float32Array(n * longRepeats);
    let at = 0;
    for (let r = 0; r < longRepeats; r++) for (const p of parts) long.set(p, at), (at += p.length);
    const wav = path.join(tmp, 'long.wav');
    await fsp.writeFile(wav, encodeWav(long, 8000));
    const r = timed(process.execPath, [
      cli,
      'preprocess',
      wav,
      '--out',
      path.join(tmp, 'long'),
      '--preset',
      'reference',
      '--split',
      'clips',
      '--quiet',
      '--json',
    ]);
    const s = JSON.parse(r.stdout) as { items: number };
    console.log(
      `one ${(long.length / 8000 / 60).toFixed(0)}-minute recording (8 kHz WAV, ${((long.length * 2) / 2 ** 20).toFixed(0)} MiB) in clips: ` +
        `${r.seconds.toFixed(2)} s wall, ${s.items} clips, peak ${r.peakMiB.toFixed(0)} MiB; load ${load()}`,
    );
    rmSync(path.join(tmp, 'long'), { recursive: true, force: true });
  }

  // 4. Which STFT settings invert best (oracle magnitudes -> Griffin-Lim)?
  if (flag('presets') || presetsOnly) {
    const count = Number(opt('clips', '24'));
    const candidates: { name: string; from: string[]; sampleRate: number; nFft: number; hop: number; seconds: number }[] = [
      { name: 'digits 8k 512/256 (n/2)', from: files, sampleRate: 8000, nFft: 512, hop: 256, seconds: 1 },
      { name: 'digits 8k 512/128 (n/4)', from: files, sampleRate: 8000, nFft: 512, hop: 128, seconds: 1 },
      { name: 'digits 8k 256/64 (n/4)', from: files, sampleRate: 8000, nFft: 256, hop: 64, seconds: 1 },
      { name: 'digits 22k 512/256 (reference)', from: files, sampleRate: 22050, nFft: 512, hop: 256, seconds: 0.74 },
      { name: 'digits 22k 512/128 (n/4)', from: files, sampleRate: 22050, nFft: 512, hop: 128, seconds: 0.74 },
    ];
    const musicFiles = existsSync(music) ? await collectInputs([music]) : [];
    if (musicFiles.length) {
      for (const [nFft, hop] of [
        [1024, 512],
        [1024, 256],
        [512, 128],
        [2048, 512],
      ] as const) {
        candidates.push({ name: `music 22k ${nFft}/${hop} (n/${nFft / hop})`, from: musicFiles, sampleRate: 22050, nFft, hop, seconds: 1.47 });
      }
    }
    console.log(
      `\nGriffin-Lim (32 iterations, momentum 0.99, random phase) of oracle magnitudes (Nyquist bin zeroed), ${count} clips each; lower SC is better:`,
    );
    for (const c of candidates) {
      const loader = new Loader({ sampleRate: c.sampleRate, resampleQuality: 'default' });
      const clipLength = Math.round(c.seconds * c.sampleRate);
      const scs: number[] = [];
      const dense: number[] = [];
      const step = Math.max(1, Math.floor(c.from.length / count));
      const t0 = performance.now();
      for (let i = 0; i < c.from.length && scs.length < count; i += step) {
        let samples: Float32Array;
        try {
          // Music: a clip from the middle of the file; digits: the start.
          const all = (await loader.load(c.from[i]!)).samples;
          const start = c.from === files ? 0 : Math.max(0, Math.floor(all.length / 2 - clipLength / 2));
          samples = all.slice(start, start + clipLength);
        } catch {
          continue;
        }
        if (samples.length < c.hop * 4) continue;
        const stftOptions = { nFft: c.nFft, hop: c.hop };
        const mag = magnitude(stft(samples, stftOptions));
        // The model never sees the Nyquist bin: invert with it zeroed, as generation will.
        for (let t = 0; t < mag.frames; t++) mag.data[(mag.bins - 1) * mag.frames + t] = 0;
        const { audio } = griffinLim(mag, { ...stftOptions, iterations: 32, length: samples.length, measure: false });
        scs.push(spectralConvergence(magnitude(stft(audio, stftOptions)), magnitude(stft(samples, stftOptions))));
        // A magnitude with little overlap is easy to match by many signals: judge the audio on a dense STFT too.
        dense.push(signalSpectralConvergence(audio, samples, { nFft: c.nFft, hop: c.nFft / 8 }));
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(
        `  ${c.name.padEnd(32)} SC ${mean(scs).toFixed(2)} dB on its own STFT, ${mean(dense).toFixed(2)} dB on a hop n/8 STFT ` +
          `over ${scs.length} clips (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  }
} finally {
  await fsp.rm(tmp, { recursive: true, force: true });
}
