/**
 * The WebGPU checks for a GPU machine (which has no Node.js or vitest; see ../shared/device/README.md): bundle
 * this and the training benchmark with `bash ../shared/device/prepare.sh scripts/device-webgpu.ts
 * scripts/bench-train.ts`, then run there `bash .device/run.sh device-webgpu.mjs` and
 * `bash .device/run.sh bench-train.mjs --backend webgpu --sweep` (samples/s of the small and the full model at
 * batches 16, 64 and 256).
 *
 * Prints the adapter (or why there is none), each kernel's error against the cpu backend and the loss curve
 * against wasm's; exits 1 without an adapter, 2 when a kernel is off by more than 1e-4.
 */
import { tryBackend } from '../src/backend/backend.ts';
import { kernelErrors, lossCurve } from '../src/train/webgpu-checks.ts';

const t0 = performance.now();
const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1)} s]`;

const gpu = await tryBackend('webgpu');
console.log(stamp(), 'webgpu:', gpu.ok ? gpu.detail : `not available: ${gpu.detail}`);
if (!gpu.ok) process.exit(1);

let over = false;
for (const [name, errors] of Object.entries(await kernelErrors())) {
  over ||= Math.max(...errors) >= 1e-4;
  console.log(
    stamp(),
    `kernel ${name}: rel. error vs cpu ${errors.map((e) => e.toExponential(1)).join(', ')}${Math.max(...errors) < 1e-4 ? '' : '  <-- OVER 1e-4'}`,
  );
}
const wasm = await lossCurve('wasm');
const webgpu = await lossCurve('webgpu');
console.log(stamp(), `loss curve wasm   ${wasm.map((l) => l.toFixed(5)).join(' ')}`);
console.log(stamp(), `loss curve webgpu ${webgpu.map((l) => l.toFixed(5)).join(' ')}`);
process.exit(over ? 2 : 0);
