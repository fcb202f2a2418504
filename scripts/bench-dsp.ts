/**
 * DSP benchmark: `npm run bench -- dsp [options]`.
 *
 * Default mode: one 0.74 s chirp + noise clip at 22050 Hz, n_fft 512, Griffin-Lim at hop 256 / 32 iterations,
 * hop 128 / 32 and hop 128 / 100: the WebAssembly kernel (random and PGHI initial phase) and the TypeScript loop
 * (one thread and --threads threads): median time per clip over --runs runs and the spectral convergence (SC)
 * of the output. When Debian's python3 has torchaudio, torchaudio.GriffinLim is timed
 * on the same signal in the same run (--no-torch skips it).
 *
 * --clips DIR: Griffin-Lim on every WAV in DIR, as whole processes, side by side with the reference script
 * (../shared/reference/ref_gl.py), both scored by ../shared/reference/sc.py. With --make-clips SRC the clips are
 * first made by make_clips.py (200 FSDD clips at 22050 Hz, 0.74 s).
 *   npm run bench -- dsp --clips /tmp/clips --make-clips ../shared/data/fsdd
 * --clips DIR --sweep: mean SC against iterations (0 to 100) for random and PGHI starts over every 4th clip.
 * Options: --n-fft 512 --hop 128 --iters 32 --runs 7 --rounds 3 --threads 2 --out DIR (default a temp folder) --reference DIR.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio } from '../src/audio/index.ts';
import {
  GriffinLim,
  ParallelGriffinLim,
  magnitude,
  stft,
  type GriffinLimOptions,
  type GriffinLimResult,
  type PhaseInit,
  type Spectrogram,
} from '../src/dsp/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = '/usr/bin/python3';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const num = (name: string, fallback: number) => Number(arg(name, String(fallback)));

/** The test clip: a 200 Hz -> 5.2 kHz linear chirp at half scale plus white noise at 1/20, seeded. */
export function chirpPlusNoise(rate = 22050, seconds = 0.74): Float32Array {
  const n = Math.round(rate * seconds);
  let seed = 1;
  return new Float32Array(n).map((_, i) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const t = i / rate;
    return 0.5 * Math.sin(2 * Math.PI * (200 * t + (0.5 * 5000 * t * t) / seconds)) + 0.05 * ((seed / 2 ** 32) * 2 - 1);
  });
}

/** Random starts whose output SC is averaged (both soundvae's and torchaudio's). */
const SEEDS = 8;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const hasTorch = () => spawnSync(PYTHON, ['-c', 'import torchaudio'], { stdio: 'ignore' }).status === 0;

interface Setting {
  hop: number;
  iters: number;
}

interface Engine {
  run(mag: Spectrogram, options?: GriffinLimOptions): GriffinLimResult;
}

/** Median wall-clock ms, median CPU ms (all threads of the process) and SC of one setting. */
interface Timing {
  ms: number;
  cpu: number;
  sc: number;
}

function benchSoundvae(engine: Engine, x: Float32Array, s: Setting, init: PhaseInit, runs: number, kernel: 'wasm' | 'js'): Timing {
  const S = magnitude(stft(x, { nFft: 512, hop: s.hop }));
  const o: GriffinLimOptions = { nFft: 512, hop: s.hop, iterations: s.iters, init, length: x.length, kernel };
  // SC: mean over seeds 0 .. SEEDS-1, so that a lucky random start decides nothing
  let sc = 0;
  for (let seed = 0; seed < SEEDS; seed++) sc += engine.run(S, { ...o, seed }).spectralConvergence / SEEDS;
  for (let r = 0; r < 3; r++) engine.run(S, { ...o, measure: false }); // JIT warm-up
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    engine.run(S, { ...o, measure: false });
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(times), cpu: median(cpu), sc };
}

/** torchaudio GriffinLim on the same samples: median ms and SC per setting, in one python process. */
function benchTorch(x: Float32Array, settings: Setting[], runs: number, threads: number): Timing[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-dsp-'));
  const raw = path.join(dir, 'x.f32');
  writeFileSync(raw, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  const code = `
import sys, time, json, numpy as np, torch, torchaudio
torch.set_num_threads(int(sys.argv[4]))
x = torch.from_numpy(np.fromfile(sys.argv[1], dtype=np.float32)); runs = int(sys.argv[2]); out = []
win = torch.hann_window(512)
for hop, iters in json.loads(sys.argv[3]):
    S = torch.stft(x, 512, hop, window=win, return_complex=True).abs()
    gl = torchaudio.transforms.GriffinLim(n_fft=512, hop_length=hop, n_iter=iters, power=1.0, momentum=0.99, length=len(x))
    sc = 0
    for seed in range(int(sys.argv[5])):
        torch.manual_seed(seed); y = gl(S)
        Y = torch.stft(y, 512, hop, window=win, return_complex=True).abs()
        sc += 20 * float(torch.log10(torch.linalg.norm(Y - S) / torch.linalg.norm(S))) / int(sys.argv[5])
    ts, cs = [], []
    for _ in range(runs):
        c0 = time.process_time(); t0 = time.perf_counter(); gl(S)
        ts.append(1000 * (time.perf_counter() - t0)); cs.append(1000 * (time.process_time() - c0))
    out.append({'ms': float(np.median(ts)), 'cpu': float(np.median(cs)), 'sc': sc})
print(json.dumps(out))`;
  try {
    const args = [raw, String(runs), JSON.stringify(settings.map((s) => [s.hop, s.iters])), String(threads), String(SEEDS)];
    return JSON.parse(execFileSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function singleClip(): Promise<void> {
  const runs = num('runs', 7);
  const x = chirpPlusNoise();
  const settings: Setting[] = [
    { hop: 256, iters: 32 },
    { hop: 128, iters: 32 },
    { hop: 128, iters: 100 },
  ];
  const serial = new GriffinLim();
  const threads = num('threads', 2);
  const parallel = await ParallelGriffinLim.create({ kernel: 'js' }, threads);
  const load = () =>
    os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
  console.log(`clip: chirp+noise 0.74 s at 22050 Hz (${x.length} samples), n_fft 512, momentum 0.99, median of ${runs} runs; load before: ${load()}`);
  const withTorch = !flag('no-torch') && hasTorch();
  if (!withTorch) console.log('(torchaudio not measured: --no-torch, or /usr/bin/python3 has no torchaudio)');
  // this VM's speed drifts by up to 2x over minutes: alternate the contenders over rounds, report medians
  const rounds = num('rounds', 3);
  const cells: Timing[][][] = settings.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const torch1 = withTorch ? benchTorch(x, settings, runs, 1) : undefined;
    const torch2 = withTorch ? benchTorch(x, settings, runs, 2) : undefined;
    settings.forEach((s, i) => {
      const row = [
        benchSoundvae(serial, x, s, 'random', runs, 'wasm'),
        benchSoundvae(serial, x, s, 'pghi', runs, 'wasm'),
        benchSoundvae(serial, x, s, 'random', runs, 'js'),
        benchSoundvae(parallel, x, s, 'random', runs, 'js'),
        torch1?.[i],
        torch2?.[i],
      ];
      row.forEach((t, j) => t && (cells[i]![j] ??= []).push(t));
    });
  }
  const combine = (ts?: Timing[]): Timing | undefined => ts && { ms: median(ts.map((t) => t.ms)), cpu: median(ts.map((t) => t.cpu)), sc: ts[0]!.sc };
  const cell = (v?: Timing) =>
    v ? `${v.ms.toFixed(1).padStart(6)} ms (cpu ${v.cpu.toFixed(1).padStart(5)}) ${v.sc.toFixed(2).padStart(6)} dB` : '-'.padEnd(32);
  const head = [
    'wasm kernel, random',
    'wasm kernel, pghi',
    'ts loop, random',
    `ts loop, ${parallel.threads} threads`,
    'torchaudio, 1 thread',
    'torchaudio, 2 threads',
  ];
  console.log(`median ms over ${rounds} rounds of ${runs} runs (median CPU ms of the process, all threads); SC of the output, mean over ${SEEDS} seeds`);
  console.log('soundvae on 1 thread unless said');
  console.log(`hop  iters | ${head.map((h) => h.padEnd(32)).join(' | ')}`);
  settings.forEach((s, i) => {
    const row = Array.from({ length: head.length }, (_, j) => combine(cells[i]![j]));
    console.log(`${String(s.hop).padStart(3)}  ${String(s.iters).padStart(5)} | ${row.map(cell).join(' | ')}`);
  });
  // equal time: how far PGHI gets in fewer iterations
  const line = [0, 4, 8, 16].map((iters) => {
    const p = benchSoundvae(serial, x, { hop: 128, iters }, 'pghi', runs, 'wasm');
    return `${iters} it ${p.ms.toFixed(1)} ms (cpu ${p.cpu.toFixed(1)}) ${p.sc.toFixed(2)} dB`;
  });
  console.log(`pghi at hop 128 with fewer iterations (wasm kernel): ${line.join(' | ')}`);
  console.log(`load after: ${load()}`);
  await parallel.close();
}

/** Runs a process to completion: wall seconds, and CPU seconds (user + system, all threads) via bash's `time`. */
function timeProcess(cmd: string, args: string[]): { seconds: number; cpu: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="cpu %U %S"; time "$@" 2>/dev/null', 'bench', cmd, ...args], {
    encoding: 'utf8',
    cwd: root,
    maxBuffer: 64 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  const times = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 && !times) throw new Error(`${cmd} failed (${r.status})`);
  return { seconds, cpu: times ? Number(times[1]) + Number(times[2]) : NaN, stdout: r.stdout };
}

function clips(dir: string): void {
  const nFft = num('n-fft', 512),
    hop = num('hop', 128),
    iters = num('iters', 32);
  const reference = arg('reference', path.resolve(root, '../shared/reference'))!;
  const makeFrom = arg('make-clips');
  if (makeFrom && !existsSync(dir)) {
    console.log(`making 200 clips of 0.74 s at 22050 Hz from ${makeFrom} into ${dir} ...`);
    timeProcess(PYTHON, [path.join(reference, 'make_clips.py'), makeFrom, dir, '200', '22050', '0.74']);
  }
  const wavs = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.wav'))
    .sort();
  if (wavs.length === 0) throw new Error(`${dir}: no .wav files`);
  const out = arg('out') ?? mkdtempSync(path.join(os.tmpdir(), 'bench-dsp-out-'));
  const torch = !flag('no-torch') && hasTorch();
  console.log(
    `load: ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}; ${wavs.length} clips in ${dir}, n_fft ${nFft}, hop ${hop}, ${iters} iterations; outputs in ${out}`,
  );
  const sc = (rebuilt: string) =>
    torch ? `${timeProcess(PYTHON, [path.join(reference, 'sc.py'), dir, rebuilt, String(nFft), String(hop)]).stdout.trim()} dB` : '(sc.py needs torch)';
  const files = wavs.map((f) => path.join(dir, f));
  for (const init of ['random', 'pghi']) {
    const target = path.join(out, `soundvae-${init}`);
    const run = timeProcess(process.execPath, [
      path.join(root, 'bin/soundvae.js'),
      'invert',
      ...files,
      '--out',
      target,
      '--n-fft',
      String(nFft),
      '--hop',
      String(hop),
      '--iters',
      String(iters),
      '--init',
      init,
      ...(arg('threads') ? ['--threads', arg('threads')!] : []),
    ]);
    const perClip = run.stdout
      .split('\n')
      .map((l) => /\(([\d.]+) ms\)/.exec(l)?.[1])
      .filter(Boolean)
      .map(Number);
    const gl = perClip.reduce((a, b) => a + b, 0);
    console.log(
      `soundvae invert --init ${init.padEnd(6)}: whole process ${run.seconds.toFixed(2)} s, cpu ${run.cpu.toFixed(2)} s (Griffin-Lim ${(gl / 1000).toFixed(2)} s, ${(gl / perClip.length).toFixed(1)} ms/clip), mean SC ${sc(target)}`,
    );
  }
  if (torch) {
    const target = path.join(out, 'torchaudio');
    const run = timeProcess(PYTHON, [path.join(reference, 'ref_gl.py'), dir, target, String(nFft), String(hop), String(iters)]);
    console.log(`torchaudio ref_gl.py          : whole process ${run.seconds.toFixed(2)} s, cpu ${run.cpu.toFixed(2)} s, mean SC ${sc(target)}`);
  } else {
    console.log('(torchaudio not run: --no-torch, or /usr/bin/python3 has no torchaudio)');
  }
}

/** Mean SC against iterations, random vs PGHI start, over every 4th clip (in this process, one thread). */
async function sweep(dir: string): Promise<void> {
  const nFft = num('n-fft', 512),
    hop = num('hop', 128);
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.wav'))
    .sort()
    .filter((_, i) => i % 4 === 0);
  const iterations = [0, 2, 4, 8, 16, 32, 100];
  const engine = new GriffinLim({ nFft, hop });
  const sums = new Map<string, { sc: number; ms: number }>();
  for (const f of files) {
    const { samples } = await loadAudio(path.join(dir, f));
    const S = magnitude(stft(samples, { nFft, hop }));
    for (const init of ['random', 'pghi'] as const) {
      for (const it of iterations) {
        const t0 = performance.now();
        const r = engine.run(S, { iterations: it, init, length: samples.length });
        const cell = sums.get(`${init} ${it}`) ?? { sc: 0, ms: 0 };
        cell.sc += r.spectralConvergence / files.length;
        cell.ms += (performance.now() - t0) / files.length;
        sums.set(`${init} ${it}`, cell);
      }
    }
  }
  console.log(`mean SC (dB) and ms per clip (1 thread, SC measurement included) over ${files.length} clips, by iterations:`);
  for (const init of ['random', 'pghi']) {
    console.log(
      `${init.padEnd(7)} ${iterations
        .map((it) => {
          const c = sums.get(`${init} ${it}`)!;
          return `${it}: ${c.sc.toFixed(2)} (${c.ms.toFixed(0)} ms)`;
        })
        .join(' | ')}`,
    );
  }
}

const clipDir = arg('clips');
if (clipDir && flag('sweep')) await sweep(clipDir);
else if (clipDir) clips(clipDir);
else await singleClip();
