/** What every generation command does first and last: load the checkpoint, and write the report. */
import { initBackend, type BackendName } from '../backend/backend.ts';
import { disposeVae, loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { DEFAULT_INVERT, type InvertOptions } from './invert.ts';
import { existsSync } from 'node:fs';
import { openDataset } from '../dataset/store.ts';
import { latentSize } from '../model/vae.ts';
import { createGenerator, type Generator } from './operations.ts';
import { fitSampler, readSampler, writeSampler, type LatentSampler } from './sampler.ts';
import { clipSettings } from './settings.ts';

export interface Session {
  ckpt: LoadedCheckpoint;
  g: Generator;
  backend: string;
}

/**
 * The checkpoint's latent sampler: sampler.json when it has one, else fitted now on its training dataset (when
 * that is still there with the same shape) and saved beside the weights for next time; undefined when neither.
 */
export async function loadOrFitSampler(ckpt: LoadedCheckpoint, log: (line: string) => void = (l) => console.error(l)): Promise<LatentSampler | undefined> {
  const stored = await readSampler(ckpt.dir);
  if (stored) return stored;
  if (!existsSync(ckpt.dataset.path)) return undefined;
  const ds = await openDataset(ckpt.dataset.path);
  try {
    if (ds.shape.join('x') !== ckpt.inputShape.join('x')) return undefined;
    const started = performance.now();
    const sampler = await fitSampler(ckpt.vae, ds, clipSettings(ckpt), ckpt.training.epoch);
    let where = '(kept in memory: the checkpoint folder is not writable)';
    try {
      where = `-> ${await writeSampler(ckpt.dir, sampler)}`;
    } catch {
      // a read-only checkpoint still generates; it fits again next time
    }
    log(`soundvae: fitted the latent sampler on ${sampler.items} training items in ${((performance.now() - started) / 1000).toFixed(1)} s ${where}`);
    return sampler;
  } finally {
    await ds.close();
  }
}

/** Chooses the backend, loads the checkpoint (a run folder means its best/), its sampler, and checks its settings. */
export async function openSession(checkpoint: string, backend: string | undefined, invert: Partial<InvertOptions>): Promise<Session> {
  const { active } = await initBackend(backend as BackendName | 'auto' | undefined);
  const ckpt = await loadCheckpoint(checkpoint);
  try {
    const sampler = await loadOrFitSampler(ckpt);
    return { ckpt, g: createGenerator(ckpt, invert, sampler), backend: active };
  } catch (err) {
    disposeVae(ckpt.vae);
    throw err;
  }
}

/** The facts at the top of a report. */
export function sessionFacts(s: Session): { label: string; value: string }[] {
  const { ckpt, g } = s;
  const invert = { ...DEFAULT_INVERT, ...g.invert };
  const last = ckpt.training.metrics.at(-1);
  return [
    { label: 'checkpoint', value: ckpt.dir },
    { label: 'dataset', value: `${ckpt.dataset.path} (${ckpt.dataset.trainItems} train / ${ckpt.dataset.validationItems} validation)` },
    { label: 'epochs', value: String(ckpt.training.epoch) },
    ...(last?.val ? [{ label: 'validation loss', value: last.val.loss.toPrecision(4) }] : []),
    {
      label: 'model',
      value: `${ckpt.inputShape.join('×')} → ${latentSize(ckpt.config, ckpt.inputShape)}-value latent${ckpt.config.bottleneck === 'time' ? ` (${ckpt.config.latent} per time step)` : ''}`,
    },
    {
      label: 'audio',
      value: `${g.clip.sampleRate} Hz, ${(g.clip.clipSamples / g.clip.sampleRate).toFixed(2)} s clips, STFT ${g.clip.stft.nFft}/${g.clip.stft.hop}`,
    },
    { label: 'Griffin-Lim', value: `${invert.iterations} iterations from ${String(invert.init)}` },
    { label: 'backend', value: s.backend },
  ];
}

/** Frees the model. */
export function closeSession(s: Session): void {
  disposeVae(s.ckpt.vae);
}
