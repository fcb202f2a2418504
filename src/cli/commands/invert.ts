/** `soundvae invert`: keep only the STFT magnitude of audio files and rebuild them with Griffin-Lim. */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadAudio, writeWav, type WavEncoding } from '../../audio/index.ts';
import { DEFAULT_GRIFFIN_LIM, ParallelGriffinLim, magnitude, stft, wasmKernelSupports, type PhaseInit, type StftOptions } from '../../dsp/index.ts';
import { describeError, fileError, UserError } from '../../errors.ts';
import { expectInteger, expectRange } from '../options.ts';

interface InvertArgs {
  inputs: string[];
  out: string;
  nFft: number;
  hop: number;
  winLength?: number;
  iters: number;
  init: 'random' | 'uniform' | 'zero' | 'pghi';
  momentum: number;
  seed: number;
  sampleRate?: number;
  encoding: WavEncoding;
  threads?: number;
}

const HELP = `Rebuild audio from its STFT magnitude alone, the way generated spectrograms become sound.

Each input's |STFT| is kept and its phase thrown away. Griffin-Lim then looks for a signal
with that magnitude by alternating two projections: give the current estimate the target
magnitude (keeping its phase) and return to audio with an inverse STFT; take the STFT of
that audio, which makes the spectrogram self-consistent again. With momentum (fast
Griffin-Lim, Perraudin et al. 2013; --momentum 0.99, or 0 for the classic 1984 algorithm)
it converges several times faster. The update is torchaudio's, so --iters means the same.

The starting phase (--init) matters a lot:
* random: torchaudio's random start (real and imaginary parts uniform in [0, 1), seeded by
--seed): the usual choice, needs many iterations.
* uniform: phase uniform around the circle (librosa's); a little worse on speech.
* zero: every phase 0 (torchaudio's rand_init=False); a pulse-like start, rarely better.
* pghi: phase gradient heap integration (Prusa et al. 2017) estimates the phase from how
the magnitude changes across time and frequency, loudest bins first. Before any iteration
it is usually as good as 20-30 random-start ones, for the cost of about 15 (3-5 ms for a 0.74 s clip).

Quality is printed as spectral convergence, 20 log10(||S_hat - S|| / ||S||) over STFT
magnitudes: lower is better; -30 dB and below is very close to the original.`;

export const invertCommand: CommandModule<object, InvertArgs> = {
  command: 'invert <inputs..>',
  describe: 'Keep only the STFT magnitude of audio files and rebuild them with Griffin-Lim; prints spectral convergence',
  builder: (y) =>
    y
      .usage(`$0 invert IN... --out DIR [options]\n\n${HELP}`)
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Audio files (any format soundvae reads)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for the rebuilt WAVs (same base names)' })
      .option('n-fft', { type: 'number', default: DEFAULT_GRIFFIN_LIM.nFft, describe: 'FFT size (bins = n/2 + 1)' })
      .option('hop', { type: 'number', default: DEFAULT_GRIFFIN_LIM.hop, describe: 'Hop between frames, samples (n-fft/4 is a good choice)' })
      .option('win-length', { type: 'number', describe: 'Hann window length, <= n-fft (default n-fft)' })
      .option('iters', { type: 'number', default: DEFAULT_GRIFFIN_LIM.iterations, describe: 'Griffin-Lim iterations' })
      .option('init', { choices: ['random', 'uniform', 'zero', 'pghi'] as const, default: DEFAULT_GRIFFIN_LIM.init, describe: 'Initial phase (see above)' })
      .option('momentum', { type: 'number', default: DEFAULT_GRIFFIN_LIM.momentum, describe: 'Fast Griffin-Lim momentum in [0, 1)' })
      .option('seed', { type: 'number', default: DEFAULT_GRIFFIN_LIM.seed, describe: 'Seed of the random phase' })
      .option('sample-rate', { type: 'number', describe: "Resample inputs to this rate first (default: keep each file's)" })
      .option('threads', {
        type: 'number',
        describe:
          'Threads per clip for the TypeScript loop, used when --n-fft is not a power of two (default: the idle cores now, 1 to 4); the WebAssembly kernel runs on one',
      })
      .option('encoding', { choices: ['float32', 'pcm16'] as const, default: 'float32' as const, describe: 'WAV sample format' })
      .example('$0 invert clip.wav --out rebuilt', 'Random start, 32 iterations at n_fft 512, hop 128')
      .example('$0 invert data/*.wav --out rebuilt --init pghi --iters 16', 'Better start, fewer iterations') as unknown as Argv<InvertArgs>, // yargs adds the camel-case names
  handler: async (args) => {
    expectRange('momentum', args.momentum, 0, 1, true);
    expectInteger('iters', args.iters, 0);
    const stftOptions: StftOptions = { nFft: args.nFft, hop: args.hop, winLength: args.winLength };
    try {
      stft(new Float32Array(1), stftOptions); // validates the settings once, before any file
    } catch (err) {
      throw new UserError(`bad STFT settings: ${describeError(err)}`);
    }
    if (args.threads !== undefined) expectInteger('threads', args.threads, 1);
    const defaults = { ...stftOptions, iterations: args.iters, momentum: args.momentum, seed: args.seed, init: args.init as PhaseInit };
    // threads serve only the TypeScript loop: with the WebAssembly kernel, start no workers
    const engine = await ParallelGriffinLim.create(defaults, wasmKernelSupports(args.nFft) ? 1 : args.threads);
    const used = new Set<string>();
    let failed = 0;
    for (const file of args.inputs) {
      try {
        const target = uniqueName(args.out, file, used);
        if (path.resolve(target) === path.resolve(file)) throw new UserError('would overwrite the input; choose another --out');
        const { samples, sampleRate } = await loadAudio(file, { sampleRate: args.sampleRate });
        if (samples.length === 0) throw new UserError('no samples');
        const started = performance.now();
        const result = engine.run(magnitude(stft(samples, stftOptions)), { length: samples.length });
        const ms = performance.now() - started;
        await writeWav(target, result.audio, sampleRate, { encoding: args.encoding });
        console.log(`${file} -> ${target}  SC ${result.spectralConvergence.toFixed(2)} dB  (${ms.toFixed(1)} ms)`);
      } catch (err) {
        failed++;
        console.error(`soundvae: ${describeError(fileError(file, err))} (skipped)`);
      }
    }
    await engine.close();
    if (failed > 0) {
      console.error(`${failed} of ${args.inputs.length} file(s) failed`);
      process.exitCode = 1;
    }
  },
};

/** OUT/<base>.wav, with -2, -3, ... when two inputs share a base name. */
function uniqueName(out: string, file: string, used: Set<string>): string {
  const base = path.basename(file, path.extname(file));
  let name = `${base}.wav`;
  for (let n = 2; used.has(name); n++) name = `${base}-${n}.wav`;
  used.add(name);
  return path.join(out, name);
}
