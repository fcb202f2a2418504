/** Public DSP API: windows, STFT/ISTFT, dB conversion, Griffin-Lim, phase initialisation, metrics. */
export type { ComplexSpectrogram, DbOptions, Spectrogram, StftOptions, WindowName } from './types.ts';
export { hann, frameWindow } from './window.ts';
export { createFft, isPowerOfTwo, type ComplexFft } from './fft.ts';
export {
  DEFAULT_STFT,
  resolveStftOptions,
  frameCount,
  stft,
  istft,
  magnitude,
  StftPlan,
  toBinMajor,
  toFrameMajor,
  type ResolvedStftOptions,
} from './stft.ts';
export { DEFAULT_DB, amplitudeToDb, dbToAmplitude } from './db.ts';
export {
  DEFAULT_GRIFFIN_LIM,
  GriffinLim,
  griffinLim,
  griffinLimBatch,
  type GriffinLimOptions,
  type GriffinLimResult,
  type PhaseInit,
} from './griffinlim.ts';
export { DEFAULT_PGHI, pghi, pghiFrameMajor, type PghiOptions } from './pghi.ts';
export { mulberry32 } from './random.ts';
export { DEFAULT_LSD_FLOOR, logSpectralDistance, signalSpectralConvergence, spectralConvergence, spectralConvergenceFromSums } from './metrics.ts';
export { ParallelGriffinLim, autoThreads } from './griffinlim-parallel.ts';
export { wasmKernelSupports } from './griffinlim-wasm.ts';
export { WasmSpectrogramPlan, wasmSpectrogramSupports } from './spectrogram-wasm.ts';
