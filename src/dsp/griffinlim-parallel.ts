/**
 * Griffin-Lim on several threads: the same iterations as `GriffinLim` (same result to float rounding), with the
 * frames split between the main thread and worker threads that share the spectra through SharedArrayBuffers.
 *
 * Each thread inverse-FFTs and overlap-adds its own frames into its own buffer; after one barrier every thread
 * sums the buffers over the samples its frames need, normalises, FFTs its frames and applies the momentum update
 * to them. Overlap-add buffers alternate between two sets by iteration parity, so one barrier per iteration is
 * enough. `run` stays synchronous: the main thread computes its share and waits on Atomics.
 *
 * The threads run the TypeScript loop. Wherever the WebAssembly kernel applies (nFft a power of two, kernel not
 * 'js') one thread of it is faster than four of these (at n_fft 512, hop 128, 32 iterations: 7 ms against 25 ms
 * on two threads), so `run` hands those calls to it.
 */
import { availableParallelism, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Decibels, Samples } from '../units.ts';
import {
  GriffinLim,
  initialEstimate,
  magnitudeError,
  resolveGriffinLimOptions,
  updateFrames,
  type GriffinLimOptions,
  type UpdateBuffers,
  type GriffinLimResult,
} from './griffinlim.ts';
import { wasmKernelSupports } from './griffinlim-wasm.ts';
import { spectralConvergenceFromSums } from './metrics.ts';
import { StftPlan, toFrameMajor } from './stft.ts';
import type { Spectrogram, StftOptions } from './types.ts';

/** Sync slots: arrival count, generation, failure flag. */
const COUNT = 0,
  GENERATION = 1,
  FAILED = 2;

interface SharedState {
  S: Float32Array;
  re: Float32Array;
  im: Float32Array;
  prevRe: Float32Array;
  prevIm: Float32Array;
  /** Overlap-add buffers, index parity * parties + party. */
  ola: Float64Array[];
  sync: Int32Array;
  /** Per party: squared magnitude error of its frames (for the final spectral convergence). */
  err: Float64Array;
}

interface Scratch {
  padded: Float64Array;
  pairRe: Float64Array;
  pairIm: Float64Array;
}

interface Job {
  iterations: number;
  alpha: number;
  measure: boolean;
}

/** Frames [t0, t1) of one party: an even start so frame pairs never straddle two threads. */
function partFrames(frames: number, party: number, parties: number): [number, number] {
  const pairs = Math.ceil(frames / 2);
  const at = (p: number) => Math.min(frames, 2 * Math.round((pairs * p) / parties));
  return [at(party), at(party + 1)];
}

/** Waits until all parties arrive; spins briefly before sleeping, and gives up if a party failed. */
function barrier(sync: Int32Array, parties: number): void {
  if (parties === 1) return;
  const generation = Atomics.load(sync, GENERATION);
  if (Atomics.add(sync, COUNT, 1) === parties - 1) {
    Atomics.store(sync, COUNT, 0);
    Atomics.add(sync, GENERATION, 1);
    Atomics.notify(sync, GENERATION);
    return;
  }
  for (let spin = 0; spin < 4000; spin++) if (Atomics.load(sync, GENERATION) !== generation) return;
  while (Atomics.load(sync, GENERATION) === generation) {
    if (Atomics.load(sync, FAILED)) throw new Error('a Griffin-Lim worker thread failed');
    Atomics.wait(sync, GENERATION, generation, 50);
  }
}

/** One party's share of every iteration (run by the main thread and by each worker). */
function runPart(plan: StftPlan, st: SharedState, party: number, parties: number, job: Job, scratch: Scratch): void {
  const [t0, t1] = partFrames(plan.frames, party, parties);
  const [s0, s1] = t1 > t0 ? plan.span(t0, t1) : [0, 0];
  const { bins } = plan;
  const { re, im } = st;
  const { padded, pairRe, pairIm } = scratch;
  const update: UpdateBuffers = { mag: st.S, re, im, prevRe: st.prevRe, prevIm: st.prevIm, pairRe, pairIm };
  const parts = (p: number) => st.ola.slice(p * parties, (p + 1) * parties);
  for (let iter = 0; ; iter++) {
    const p = iter & 1;
    const mine = st.ola[p * parties + party]!;
    mine.fill(0, s0, s1);
    plan.overlapAdd(re, im, mine, t0, t1);
    barrier(st.sync, parties);
    if (t1 > t0) plan.assemble(parts(p), padded, s0, s1);
    if (iter === job.iterations) {
      let err2 = 0;
      if (job.measure) {
        for (let t = t0; t < t1; t += 2) {
          const count = plan.analyzePair(padded, t, pairRe, pairIm) * bins;
          err2 += magnitudeError(pairRe, pairIm, st.S, t * bins, count);
        }
      }
      st.err[party] = err2;
      barrier(st.sync, parties);
      return;
    }
    for (let t = t0; t < t1; t += 2) {
      const count = plan.analyzePair(padded, t, pairRe, pairIm) * bins;
      updateFrames(update, t * bins, count, job.alpha);
    }
  }
}

interface Shape {
  stft: StftOptions;
  frames: number;
  length: Samples | undefined;
}

const shapeKey = (s: Shape) => JSON.stringify([s.stft, s.frames, s.length]);

function makeScratch(plan: StftPlan): Scratch {
  return { padded: new Float64Array(plan.paddedLength), pairRe: new Float64Array(2 * plan.bins), pairIm: new Float64Array(2 * plan.bins) };
}

/** The buffers of one shape, as SharedArrayBuffer views, and how to rebuild them in a worker. */
function sharedState(plan: StftPlan, parties: number): { state: SharedState; buffers: SharedArrayBuffer[] } {
  const n = plan.frames * plan.bins;
  const buffers: SharedArrayBuffer[] = [];
  const f32 = () => {
    const b = new SharedArrayBuffer(4 * n);
    buffers.push(b);
    return new Float32Array(b);
  };
  const f64 = (len: number) => {
    const b = new SharedArrayBuffer(8 * len);
    buffers.push(b);
    return new Float64Array(b);
  };
  const state: SharedState = {
    S: f32(),
    re: f32(),
    im: f32(),
    prevRe: f32(),
    prevIm: f32(),
    ola: Array.from({ length: 2 * parties }, () => f64(plan.paddedLength)),
    sync: new Int32Array(0),
    err: f64(parties),
  };
  const syncBuffer = new SharedArrayBuffer(16);
  buffers.push(syncBuffer);
  state.sync = new Int32Array(syncBuffer);
  return { state, buffers };
}

function stateFromBuffers(buffers: SharedArrayBuffer[], parties: number): SharedState {
  const [S, re, im, prevRe, prevIm] = buffers.slice(0, 5).map((b) => new Float32Array(b));
  const ola = buffers.slice(5, 5 + 2 * parties).map((b) => new Float64Array(b));
  return {
    S: S!,
    re: re!,
    im: im!,
    prevRe: prevRe!,
    prevIm: prevIm!,
    ola,
    err: new Float64Array(buffers[5 + 2 * parties]!),
    sync: new Int32Array(buffers[6 + 2 * parties]!),
  };
}

type WorkerMessage =
  | { kind: 'shape'; key: string; shape: Shape; buffers: SharedArrayBuffer[]; parties: number }
  | { kind: 'run'; key: string; job: Job; party: number }
  | { kind: 'drop'; key: string };

/** Clip shapes (settings and lengths) whose buffers are kept; inputs of many lengths must not grow memory. */
const MAX_SHAPES = 8;

/**
 * Threads worth using now: the idle cores (cores minus the 1-minute load average, rounded), 1 to 4. Threads
 * that meet at a barrier every iteration lose badly when a core is busy with someone else's work.
 */
export function autoThreads(): number {
  const idle = Math.round(availableParallelism() - loadavg()[0]!);
  return Math.max(1, Math.min(4, idle));
}

/** ParallelGriffinLim: `GriffinLim.run` with the frames split across threads. Create with `create`. */
export class ParallelGriffinLim {
  private readonly shapes = new Map<string, { plan: StftPlan; state: SharedState; scratch: Scratch }>();
  private readonly serial: GriffinLim;
  private readonly parties: number;

  private constructor(
    private readonly workers: Worker[],
    private readonly defaults: GriffinLimOptions,
  ) {
    this.parties = workers.length + 1;
    this.serial = new GriffinLim(defaults);
  }

  /**
   * Starts `threads - 1` workers (default `autoThreads()`). With one thread, or when workers cannot start, runs
   * on the main thread alone.
   */
  static async create(defaults: GriffinLimOptions = {}, threads = autoThreads()): Promise<ParallelGriffinLim> {
    const workers: Worker[] = [];
    try {
      for (let i = 1; i < threads; i++) {
        const worker = new Worker(new URL('./griffinlim-worker.mjs', import.meta.url), { workerData: { soundvaeGriffinLim: true } });
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        });
        worker.unref();
      }
    } catch {
      await Promise.all(workers.map((w) => w.terminate()));
      workers.length = 0;
    }
    return new ParallelGriffinLim(workers, defaults);
  }

  /** Number of threads in use, the main one included. */
  get threads(): number {
    return this.parties;
  }

  /** As `GriffinLim.run`; `trace` falls back to a single thread. */
  run(mag: Spectrogram, options: GriffinLimOptions = {}): GriffinLimResult {
    const o = resolveGriffinLimOptions(this.defaults, options);
    if (this.parties === 1 || o.trace || (o.kernel !== 'js' && wasmKernelSupports(o.nFft))) return this.serial.run(mag, options);
    const stft: StftOptions = { nFft: o.nFft, hop: o.hop, winLength: o.winLength, window: o.window, center: o.center, padMode: o.padMode };
    const shape: Shape = { stft, frames: mag.frames, length: o.length };
    const key = shapeKey(shape);
    let entry = this.shapes.get(key);
    if (entry) {
      this.shapes.delete(key); // most recently used last
    } else {
      const plan = new StftPlan(stft, mag.frames, o.length);
      const { state, buffers } = sharedState(plan, this.parties);
      entry = { plan, state, scratch: makeScratch(plan) };
      for (const w of this.workers) w.postMessage({ kind: 'shape', key, shape, buffers, parties: this.parties } satisfies WorkerMessage);
      if (this.shapes.size >= MAX_SHAPES) {
        const oldest = this.shapes.keys().next().value!;
        this.shapes.delete(oldest);
        for (const w of this.workers) w.postMessage({ kind: 'drop', key: oldest } satisfies WorkerMessage);
      }
    }
    this.shapes.set(key, entry);
    const { plan, state, scratch } = entry;
    if (mag.bins !== plan.bins) throw new RangeError(`magnitude has ${mag.bins} bins, nFft ${o.nFft} needs ${plan.bins}`);

    const { S, re, im, prevRe, prevIm } = state;
    toFrameMajor(mag.data, mag.bins, mag.frames, S);
    initialEstimate(o, S, mag.frames, stft, re, im, new Float64Array(S.length));
    prevRe.fill(0);
    prevIm.fill(0);
    Atomics.store(state.sync, COUNT, 0);
    const job: Job = { iterations: o.iterations, alpha: o.momentum / (1 + o.momentum), measure: o.measure };
    this.workers.forEach((w, i) => w.postMessage({ kind: 'run', key, job, party: i + 1 } satisfies WorkerMessage));
    runPart(plan, state, 0, this.parties, job, scratch);

    const p = o.iterations & 1;
    const { padded } = scratch;
    plan.assemble(state.ola.slice(p * this.parties, (p + 1) * this.parties), padded, plan.offset, plan.offset + plan.length);
    const audio = plan.extract(padded);
    let sc: Decibels = NaN;
    if (o.measure) {
      let err2 = 0,
        norm2 = 0;
      for (let i = 0; i < this.parties; i++) err2 += state.err[i]!;
      for (let i = 0; i < S.length; i++) norm2 += S[i]! * S[i]!;
      sc = spectralConvergenceFromSums(err2, norm2);
    }
    return { audio, spectralConvergence: sc };
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// Worker side: keep one plan and view set per shape, run a party's share on request.
if (!isMainThread && (workerData as { soundvaeGriffinLim?: boolean } | undefined)?.soundvaeGriffinLim && parentPort) {
  const shapes = new Map<string, { plan: StftPlan; state: SharedState; scratch: Scratch; parties: number }>();
  parentPort.on('message', (msg: WorkerMessage) => {
    if (msg.kind === 'shape') {
      const plan = new StftPlan(msg.shape.stft, msg.shape.frames, msg.shape.length);
      shapes.set(msg.key, { plan, state: stateFromBuffers(msg.buffers, msg.parties), scratch: makeScratch(plan), parties: msg.parties });
      return;
    }
    if (msg.kind === 'drop') {
      shapes.delete(msg.key);
      return;
    }
    const entry = shapes.get(msg.key)!;
    try {
      runPart(entry.plan, entry.state, msg.party, entry.parties, msg.job, entry.scratch);
    } catch (err) {
      Atomics.store(entry.state.sync, FAILED, 1);
      Atomics.notify(entry.state.sync, GENERATION);
      throw err;
    }
  });
  parentPort.postMessage('ready');
}
