/**
 * Everything the WebGPU issue measures, in one run for a GPU machine (which has no Node.js or vitest; see
 * ../shared/device/README.md): `bash ../shared/device/prepare.sh scripts/device-webgpu.ts`, then there
 * `bash .device/run.sh device-webgpu.mjs [--steps 5] [--quick]`.
 *
 * Prints the adapter (or why there is none), each kernel's error against the cpu backend, the loss curve against
 * wasm, and training samples/s of the small and the full model at batches 16, 64 and 256 (--quick: small, 16 only).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, tryBackend } from '../src/backend/backend.ts';
import { kernelErrors, lossCurve } from '../src/train/webgpu-checks.ts';
import { VAE_PRESETS, type VaePresetName } from '../src/model/vae-config.ts';
import { createLocalEngine } from '../src/train/engine.ts';

const argv = process.argv.slice(2);
const steps = Number(argv[argv.indexOf('--steps') + 1] ?? 5) || 5;
const quick = argv.includes('--quick');
const t0 = performance.now();
const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1)} s]`;

const gpu = await tryBackend('webgpu');
console.log(stamp(), 'webgpu:', gpu.ok ? gpu.detail : `not available: ${gpu.detail}`);
if (!gpu.ok) process.exit(1);

for (const [name, errors] of Object.entries(await kernelErrors())) {
  console.log(
    stamp(),
    `kernel ${name}: rel. error vs cpu ${errors.map((e) => e.toExponential(1)).join(', ')}${Math.max(...errors) < 1e-4 ? '' : '  <-- OVER 1e-4'}`,
  );
}
const wasm = await lossCurve('wasm');
const webgpu = await lossCurve('webgpu');
console.log(stamp(), `loss curve wasm   ${wasm.map((l) => l.toFixed(5)).join(' ')}`);
console.log(stamp(), `loss curve webgpu ${webgpu.map((l) => l.toFixed(5)).join(' ')}`);

await initBackend('webgpu');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const models: [string, VaePresetName][] = quick
  ? [['small', 'small']]
  : [
      ['small', 'small'],
      ['full', 'reference'],
    ];
for (const [name, preset] of models) {
  for (const batchSize of quick ? [16] : [16, 64, 256]) {
    const engine = createLocalEngine({ config: VAE_PRESETS[preset], inputShape: [256, 64], seed: 1, microBatch: batchSize }, 'fused');
    const batch = new Float32Array(batchSize * 256 * 64).map(() => Math.random());
    const times: number[] = [];
    for (let step = 0; step <= steps; step++) {
      const t = performance.now();
      await engine.trainStep(batch, batchSize);
      if (step > 0) times.push((performance.now() - t) / 1000);
    }
    await engine.dispose();
    console.log(
      stamp(),
      `train ${name} (${preset}) batch ${batchSize}: ${(batchSize / median(times)).toFixed(1)} samples/s (${median(times).toFixed(3)} s/step, ${tf.memory().numBytes} bytes live)`,
    );
  }
}
