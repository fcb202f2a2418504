/**
 * The one way to get a training engine: in this process, or data-parallel across worker threads (each worker runs
 * an in-process engine itself, so this choice lives apart from both to keep imports free of circles).
 */
import { createLocalEngine } from './engine.ts';
import type { EngineOptions, TrainingEngine } from './engine-types.ts';

/**
 * Creates a training engine on the active backend (call initBackend first).
 * @example
 * const engine = await createEngine({ config: VAE_PRESETS.default, inputShape: [256, 64], seed: 1 });
 * const { loss, reconstruction, kl } = await engine.trainStep(batch, 16);
 */
export async function createEngine(opts: EngineOptions): Promise<TrainingEngine> {
  if ((opts.workers ?? 1) > 1) {
    const { createParallelEngine } = await import('./parallel-engine.ts');
    return createParallelEngine({ ...opts, workers: opts.workers! });
  }
  return createLocalEngine(opts, 'fused');
}
