/**
 * What the explorer's server sends its page (`/data.json`) and what the page's worker is asked to do: plain JSON
 * shapes shared by the Node side (explore-data.ts, server.ts) and the browser side (page/*.ts). No imports of code.
 */
import type { ClipSettings } from '../generate/spectra.ts';
import type { DbRange, InvertOptions } from '../generate/invert.ts';
import type { LatentSampler } from '../generate/sampler.ts';

/** The parts of a checkpoint's sampler.json the page samples from and de-normalises with. */
export interface PageSampler extends Pick<LatentSampler, 'subspace' | 'gaussian' | 'gmm' | 'labels' | 'range'> {
  /** Median RMS level (dBFS) of the training clips: generated sounds are levelled to it, as `generate` does. */
  levelDb: number;
}

/** Everything the page needs, derived from the checkpoint and the dataset (`GET /data.json`). */
export interface ExploreData {
  title: string;
  /** Values in one latent code (flattened: time step-major for a latent per time step). */
  latentSize: number;
  /** 'time': `steps` codes of `perStep` values; 'dense': one vector. */
  bottleneck: 'time' | 'dense';
  steps: number;
  perStep: number;
  clip: ClipSettings;
  invert: InvertOptions;
  /** The dataset's mean per-item dB range: de-normalises codes when the checkpoint has no sampler. */
  prior: DbRange;
  sampler?: PageSampler;
  /** The mapped dataset items: name, label ('' when none), split, own dB range. */
  items: { name: string; label: string; split: string; range: DbRange }[];
  /** Label values in legend order, and their colours (the report's palette). */
  labels: string[];
  colors: string[];
  /** The items' latent means, base64 of little-endian float32, items x latentSize. */
  codes: string;
  /** Principal components of the latent means: the map's axes and the sliders. */
  pca: { center: number[]; basis: number[][]; coords: number[][]; sd: number[]; explained: number[] };
  /** UMAP of the latent means (absent with --no-umap or under 3 items). */
  umap?: [number, number][];
  /** Dataset items in all, of which `items.length` are mapped. */
  datasetItems: number;
}

/** A job for the page's worker: decode a code (then invert) or invert a stored spectrogram. */
export type WorkerRequest =
  | { kind: 'init'; backend: string; clip: ClipSettings; invert: InvertOptions }
  | { kind: 'render'; id: number; z?: Float32Array; x01?: Float32Array; range: DbRange; level?: number };

export type WorkerReply =
  | { kind: 'ready'; backend: string; warmMs: number }
  | { kind: 'rendered'; id: number; x01: Float32Array; raw: Float32Array; audio: Float32Array; decodeMs: number; invertMs: number }
  | { kind: 'error'; id?: number; message: string };
