/**
 * Whole-file reconstruction: a file longer than a clip is cut into the checkpoint's clips, and original, oracle and
 * reconstruction come back as long as the (preprocessed) file, stitched at the right offsets. Library and CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, writeWav } from '../audio/index.ts';
import { logSpectralDistance, magnitude, spectralConvergence, stft, type Spectrogram } from '../dsp/index.ts';
import { meanScores } from '../dsp/metrics.ts';
import { disposeVae, loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.ts';
import { createGenerator, type Generator } from './operations.ts';
import { MagnitudeStitcher, reconstructFile, reconstructFileOnePass } from './whole-file.ts';
import { coverHop } from './settings.ts';
import { itemMagnitude, itemsToAudio, scoreAgainstItem } from './spectra.ts';
import { FIXTURE_CONFIG, makeFixture } from './test-fixture.ts';

const bin = path.resolve(__dirname, '../../bin/soundvae.js');
const SR = 8000;
const CLIP = 240; // the fixture's clip: 30 ms at 8 kHz, 33 frames of hop 16
let root: string;
let fx: { audio: string[]; data: string; run: string };
let ckpt: LoadedCheckpoint;
let g: Generator;
let long: string;
const LONG = 2400; // 0.3 s: eleven or so clips

/** A sweep whose pitch and level both move, so clips at the wrong place would not match. */
function sweep(samples: number): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => {
    const t = i / SR;
    return 0.4 * Math.sin(2 * Math.PI * (300 * t + 4000 * t * t)) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 7 * t));
  });
}

function cli(...args: string[]) {
  return spawnSync('node', [bin, ...args, '--backend', 'cpu'], { encoding: 'utf8' });
}

const sc = (estimate: Float32Array, reference: Float32Array) => {
  const opts = { nFft: 64, hop: 16 };
  return spectralConvergence(magnitude(stft(estimate, opts)), magnitude(stft(reference, opts)));
};

/** A spectrogram without its Nyquist row (the fixture's model drops it). */
const nyquistless = (sp: Spectrogram) => ({ bins: sp.bins - 1, frames: sp.frames, data: sp.data.subarray(0, (sp.bins - 1) * sp.frames) });

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-whole-'));
  fx = await makeFixture(root);
  long = path.join(root, 'long', 'sweep.wav');
  await writeWav(long, sweep(LONG), SR);
  ckpt = await loadCheckpoint(fx.run);
  g = createGenerator(ckpt);
});
afterAll(async () => {
  if (ckpt) disposeVae(ckpt.vae);
  await fs.rm(root, { recursive: true, force: true });
});

/** Per-clip Griffin-Lim, then the clips' AUDIO crossfaded over their overlaps: the approach before magnitude stitching. */
async function audioStitched(file: string): Promise<{ audio: Float32Array; perClip: number }> {
  const cover = await g.preparer.cover(file);
  const clips = cover.spans.map((s) => g.preparer.clipOf(cover, s));
  const audio = itemsToAudio(
    clips.map((c) => c.x01),
    clips.map((c) => c.range),
    g.clip,
    g.invert,
  );
  const perClip = meanScores(audio.map((a, i) => scoreAgainstItem(a, clips[i]!.x01, clips[i]!.range, g.clip)))!.spectralConvergence;
  const out = new Float32Array(cover.samples.length);
  const weights = new Float32Array(cover.samples.length);
  cover.spans.forEach((s, i) => {
    for (let k = 0; k < s.length; k++) {
      // a raised-cosine ramp over the overlaps at either end
      const overlap = CLIP - cover.hop;
      const w = Math.min(1, (k + 0.5) / overlap, (s.length - k - 0.5) / overlap);
      const r = i === 0 && k < overlap ? 1 : i === cover.spans.length - 1 && s.length - k < overlap ? 1 : 0.5 - 0.5 * Math.cos(Math.PI * w);
      out[s.offset + k]! += r * audio[i]![k]!;
      weights[s.offset + k]! += r;
    }
  });
  return { audio: out.map((v, t) => v / weights[t]!), perClip };
}

describe('whole-file covers', () => {
  it('take a clip hop that is a multiple of the STFT hop, within the checkpoint overlap', () => {
    for (const [clip, overlap, sampleRate, nFft, hop] of [
      [8064, 0, 16000, 512, 128],
      [8064, 0.3, 16000, 512, 128],
      [16317, 0.5, 22050, 512, 128],
      [22050, 0, 22050, 2048, 300],
      [240, 0, 8000, 64, 16],
      [100, 0, 8000, 512, 128], // a clip shorter than the FFT still moves on
    ] as const) {
      const h = coverHop({ clip, overlap, sampleRate, nFft, hop });
      expect(h % hop, `${clip} ${overlap}`).toBe(0);
      expect(h).toBeGreaterThanOrEqual(hop);
      if (clip > nFft) expect(clip - h).toBeGreaterThanOrEqual(nFft - hop);
      expect(h).toBeLessThanOrEqual(Math.max(hop, Math.round(clip * (1 - overlap))));
    }
  });

  it('cut clips on the STFT frame grid, overlapping by at least nFft - hop', async () => {
    const cover = await g.preparer.cover(long);
    const { nFft, hop } = g.clip.stft;
    expect(cover.hop % hop).toBe(0);
    expect(CLIP - cover.hop).toBeGreaterThanOrEqual(nFft - hop);
    for (const [i, s] of cover.spans.entries()) expect(s.offset).toBe(i * cover.hop);
    expect(cover.spans.at(-1)!.offset + cover.spans.at(-1)!.length).toBe(cover.samples.length);
  });
});

describe('MagnitudeStitcher', () => {
  it("gives back the file's own STFT from its clips' spectrograms, frame for frame", async () => {
    const cover = await g.preparer.cover(long);
    const st = new MagnitudeStitcher(cover.samples.length, cover.spans, g.clip.stft, g.clip.frames, () => 0, 0);
    cover.spans.forEach((s, i) => {
      const c = g.preparer.clipOf(cover, s);
      st.add(i, itemMagnitude(c.x01, c.range, g.clip));
    });
    const file = magnitude(stft(cover.samples, g.clip.stft));
    const blend = st.result();
    expect([blend.bins, blend.frames]).toEqual([file.bins, file.frames]);
    // Only the Nyquist row (dropped by the model), the clips' 80 dB floors and the padded last frames differ.
    const own = spectralConvergence(nyquistless(blend), nyquistless(file));
    // The same blend a frame late: what clip frames off the file's grid would give.
    const late = { ...blend, data: blend.data.map((_, i) => (i % blend.frames === 0 ? 0 : blend.data[i - 1]!)) };
    expect(own).toBeLessThan(-25);
    expect(own).toBeLessThan(spectralConvergence(nyquistless(late), nyquistless(file)) - 8);
  });

  it('weighs clean frames over padded edge frames, with weights summing to one', () => {
    const { nFft, hop } = g.clip.stft;
    const frames = g.clip.frames;
    const clipHop = CLIP - nFft; // clean frames of the two clips meet in the middle of the overlap
    const spans = [
      { offset: 0, length: CLIP },
      { offset: clipHop, length: CLIP },
    ];
    const st = new MagnitudeStitcher(clipHop + CLIP, spans, g.clip.stft, frames, () => 0, 0);
    const bins = nFft / 2 + 1;
    st.add(0, { bins, frames, data: new Float32Array(bins * frames).fill(1) });
    st.add(1, { bins, frames, data: new Float32Array(bins * frames).fill(3) });
    const row = st.result().data.subarray(0, st.frames);
    const first = clipHop / hop;
    for (let t = 0; t < st.frames; t++) {
      expect(row[t]).toBeGreaterThanOrEqual(1 - 1e-6);
      expect(row[t]).toBeLessThanOrEqual(3 + 1e-6);
      // A frame within nFft/2 of a clip's end comes (almost) wholly from the other clip.
      if (t < first) expect(row[t]).toBeCloseTo(1, 2);
      else if (t >= first && t < first + nFft / 2 / hop) expect(row[t]).toBeCloseTo(1, 2);
      else if (t >= frames - nFft / 2 / hop) expect(row[t]).toBeCloseTo(3, 2);
    }
  });
});

describe('reconstructFile', () => {
  it('returns original, oracle and reconstruction as long as the preprocessed file, from all its clips', async () => {
    const r = await reconstructFile(g, long);
    // 20 ms trimmed at most by the fixture's -50 dB end trim; the sweep starts and ends loud.
    expect(r.original.length).toBeGreaterThan(LONG - 20);
    expect(r.original.length).toBeLessThanOrEqual(LONG);
    expect(r.oracle.audio.length).toBe(r.original.length);
    expect(r.reconstruction.audio.length).toBe(r.original.length);
    expect(r.clips).toBeGreaterThanOrEqual(Math.ceil(LONG / CLIP));
    expect(r.scored).toBe(r.clips);
    expect(r.name).toBe('sweep');
    expect(Number.isFinite(r.oracle.scores.spectralConvergence)).toBe(true);
    // The untrained fixture model loses far more than the phase.
    expect(r.oracle.scores.spectralConvergence).toBeLessThan(r.reconstruction.scores.spectralConvergence - 3);
  });

  it('stitches the oracle in place: close to the original, unlike the same audio shuffled', async () => {
    const r = await reconstructFile(g, long);
    const n = r.original.length;
    const own = sc(r.oracle.audio, r.original);
    // The oracle's 30 ms pieces in another order, and the oracle a clip late: what misplaced clips would give.
    const pieces = Array.from({ length: Math.ceil(n / CLIP) }, (_, i) => r.oracle.audio.slice(i * CLIP, (i + 1) * CLIP));
    const shuffled = new Float32Array(n);
    let at = 0;
    for (const p of [...pieces.filter((_, i) => i % 2 === 1), ...pieces.filter((_, i) => i % 2 === 0)]) {
      shuffled.set(p.subarray(0, n - at), at);
      at += p.length;
    }
    const late = new Float32Array(n);
    late.set(r.oracle.audio.subarray(0, n - CLIP), CLIP);
    expect(own).toBeLessThan(-10);
    expect(own).toBeLessThan(sc(shuffled, r.original) - 10);
    expect(own).toBeLessThan(sc(late, r.original) - 10);
  });

  it('is phase-coherent: the whole oracle is as close to the file as single clips are to theirs, unlike stitched clip audio', async () => {
    const r = await reconstructFile(g, long);
    const whole = sc(r.oracle.audio, r.original);
    const old = await audioStitched(long);
    const stitched = sc(old.audio, r.original);
    expect(whole).toBeLessThan(old.perClip + 3);
    expect(whole).toBeLessThan(stitched - 4);
  });

  it("scores each output against the whole file's spectrogram", async () => {
    const r = await reconstructFile(g, long);
    // the fixture peaks at 0.5, so no peak was limited and the written audio is the scored one
    const opts = { nFft: 64, hop: 16 };
    const file = nyquistless(magnitude(stft(r.original, opts)));
    const floor = Math.max(...file.data) * 1e-4; // 80 dB below the peak: the fixture's top_db
    const floored = (s: Spectrogram) => ({ ...s, data: s.data.map((v) => Math.max(v, floor)) });
    for (const out of [r.oracle, r.reconstruction]) {
      const estimate = floored(nyquistless(magnitude(stft(out.audio, opts))));
      expect(out.scores.spectralConvergence).toBeCloseTo(spectralConvergence(estimate, floored(file)), 3);
      expect(out.scores.logSpectralDistance).toBeCloseTo(logSpectralDistance(estimate, floored(file)), 3);
    }
  });

  it('scores with no floor when the dataset kept its whole range (top_db null), not the default 80 dB', async () => {
    const p = ckpt.dataset.preprocessing;
    const whole = createGenerator({ ...ckpt, dataset: { ...ckpt.dataset, preprocessing: { ...p, db: { ...p.db, topDb: null } } } });
    const r = await reconstructFile(whole, long);
    const opts = { nFft: 64, hop: 16 };
    const file = nyquistless(magnitude(stft(r.original, opts)));
    const estimate = nyquistless(magnitude(stft(r.oracle.audio, opts)));
    expect(r.oracle.scores.spectralConvergence).toBeCloseTo(spectralConvergence(estimate, file), 3);
    expect(r.oracle.scores.logSpectralDistance).toBeCloseTo(logSpectralDistance(estimate, file), 3);
    const floor = Math.max(...file.data) * 1e-4; // what an 80 dB floor would have scored: quiet bins count less
    const floored = (s: Spectrogram) => ({ ...s, data: s.data.map((v) => Math.max(v, floor)) });
    expect(r.oracle.scores.logSpectralDistance).toBeGreaterThan(logSpectralDistance(floored(estimate), floored(file)) + 0.5);
  });

  it('gives the same audio whatever the batch size, and reports progress per batch', async () => {
    const calls: [number, number][] = [];
    const a = await reconstructFile(g, long, { batch: 4, onProgress: (done, total) => calls.push([done, total]) });
    const b = await reconstructFile(g, long, { batch: 64 });
    expect(calls.length).toBe(1 + Math.ceil(a.scored / 4));
    expect(calls[0]).toEqual([0, a.scored]);
    expect(calls.at(-1)).toEqual([a.scored, a.scored]);
    for (let t = 0; t < a.oracle.audio.length; t += 7) {
      expect(a.oracle.audio[t]).toBeCloseTo(b.oracle.audio[t]!, 5);
      expect(a.reconstruction.audio[t]).toBeCloseTo(b.reconstruction.audio[t]!, 5);
    }
  });

  it('explains a silent file', async () => {
    const silent = path.join(root, 'long', 'silent.wav');
    await writeWav(silent, new Float32Array(1000), SR);
    await expect(reconstructFile(g, silent)).rejects.toThrow(/silent\.wav: no sound/);
  });
});

describe('one-pass whole-file reconstruction (time-latent models)', () => {
  let timeCkpt: LoadedCheckpoint;
  let tg: Generator;
  let timeFx: { run: string };
  beforeAll(async () => {
    timeFx = await makeFixture(path.join(root, 'time'), { ...FIXTURE_CONFIG, latent: 2, bottleneck: 'time' });
    timeCkpt = await loadCheckpoint(timeFx.run);
    tg = createGenerator(timeCkpt);
  });
  afterAll(() => disposeVae(timeCkpt.vae));

  it('equals the clip-by-clip path on a file exactly one clip long (same item, same model, one Griffin-Lim)', async () => {
    const one = path.join(root, 'long', 'one-clip.wav');
    await writeWav(one, sweep(CLIP), SR);
    const a = await reconstructFileOnePass(tg, one);
    const b = await reconstructFile(tg, one);
    expect(a.reconstruction.audio.length).toBe(b.reconstruction.audio.length);
    let diff = 0;
    a.reconstruction.audio.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - b.reconstruction.audio[i]!))));
    expect(diff, 'largest sample difference').toBeLessThan(1e-4);
  });

  it('returns outputs as long as the file, the oracle in place, from one pass', async () => {
    const r = await reconstructFileOnePass(tg, long);
    expect(r.oracle.audio.length).toBe(r.original.length);
    expect(r.reconstruction.audio.length).toBe(r.original.length);
    expect(r.clips).toBe(1);
    expect(sc(r.oracle.audio, r.original), 'oracle against the file').toBeLessThan(-10);
  });

  it('is what reconstruct does by default with such a model; --no-one-pass goes clip by clip', () => {
    const one = cli('reconstruct', '--checkpoint', timeFx.run, long, '--out', path.join(root, 'rec-one'));
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^sweep\s+oracle .*\(1 clip\)$/m);
    const clips = cli('reconstruct', '--checkpoint', timeFx.run, long, '--no-one-pass', '--out', path.join(root, 'rec-clips'));
    expect(clips.status, clips.stderr).toBe(0);
    expect(clips.stdout).toMatch(/^sweep\s+oracle .*\((\d\d+) clips\)$/m);
  });

  it('explains that a dense model cannot take a whole file at once', async () => {
    await expect(reconstructFileOnePass(g, long)).rejects.toThrow(/only a model with a latent per time step/);
  });
});

describe('soundvae reconstruct FILE...', () => {
  it('writes whole-file WAVs by default and clip-long ones with --first-clip', async () => {
    const out = path.join(root, 'rec-whole');
    const r = cli('reconstruct', '--checkpoint', fx.run, long, fx.audio[4]!, '--out', out, '--batch', '4');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sweep\s+oracle SC -?[\d.]+ dB .*\(\d+ clips\)$/m);
    expect(r.stdout).toMatch(/^2_tester_1\s+oracle .*\(2 clips\)$/m); // 300 samples: a clip and a padded one
    const lengths: number[] = [];
    for (const kind of ['original', 'oracle', 'reconstruction']) lengths.push((await decodeAudio(path.join(out, `sweep-${kind}.wav`))).info.frames);
    expect(lengths[0]).toBeGreaterThan(LONG - 20);
    expect(new Set(lengths).size).toBe(1);
    expect((await decodeAudio(path.join(out, '2_tester_1-reconstruction.wav'))).info.frames).toBeGreaterThan(CLIP);

    const first = path.join(root, 'rec-first');
    const r2 = cli('reconstruct', '--checkpoint', fx.run, long, '--first-clip', '--out', first);
    expect(r2.status).toBe(0);
    expect(r2.stdout).not.toContain('clips)');
    for (const kind of ['original', 'oracle', 'reconstruction']) {
      expect((await decodeAudio(path.join(first, `sweep-${kind}.wav`))).info.frames).toBe(CLIP);
    }
  });

  it('reports a bad file in one line, skips it and completes the others', async () => {
    const garbage = path.join(root, 'long', 'garbage.wav');
    await fs.writeFile(garbage, 'RIFF this is not audio at all');
    const out = path.join(root, 'rec-bad');
    const r = cli('reconstruct', '--checkpoint', fx.run, fx.audio[0]!, garbage, long, '--out', out);
    expect(r.status).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('soundvae:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${garbage}:`);
    expect(errors[0]).toContain('(skipped)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    for (const base of ['1_tester_0', 'sweep']) {
      for (const kind of ['original', 'oracle', 'reconstruction']) expect(existsSync(path.join(out, `${base}-${kind}.wav`))).toBe(true);
    }
    expect(r.stdout).toContain('2 x 3 WAVs');
  });
});
