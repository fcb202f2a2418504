/**
 * The WebGPU backend: chosen only where it loads, with a reason where it does not; where an adapter exists, the
 * kernels training uses checked against the cpu backend and a few training steps against wasm. Without a GPU (and
 * the opt-in `webgpu` package) those checks skip, naming why.
 */
import { describe, expect, it } from 'vitest';
import { initBackend, tryBackend } from '../backend/backend.ts';
import { KERNEL_CASES, kernelErrors, lossCurve } from './webgpu-checks.ts';

const webgpu = await tryBackend('webgpu');
const skipped = webgpu.ok ? '' : ` (skipped: ${webgpu.detail})`;

describe('webgpu backend', () => {
  it('loads where an adapter exists and otherwise says why, and --backend webgpu fails with that reason', async () => {
    if (webgpu.ok) {
      expect(webgpu.detail).toMatch(/^WebGPU through Dawn: \S/);
      return;
    }
    expect(webgpu.detail).toMatch(/webgpu package is not installed: npm install webgpu|no WebGPU adapter/);
    await expect(initBackend('webgpu')).rejects.toThrow(/^backend 'webgpu' could not be loaded: webgpu: /);
  });
});

describe.skipIf(!webgpu.ok)(`webgpu against the reference backends${skipped}`, () => {
  it(`kernels (${Object.keys(KERNEL_CASES).join('; ')}): values and gradients as on cpu within 1e-4`, async () => {
    for (const [name, errors] of Object.entries(await kernelErrors())) {
      errors.forEach((e, i) => expect(e, `${name}, output ${i}`).toBeLessThan(1e-4));
    }
  });

  it('trains a tiny VAE with the same loss curve as wasm for a few steps', async () => {
    const wasm = await lossCurve('wasm');
    const gpu = await lossCurve('webgpu');
    gpu.forEach((loss, i) => expect(Math.abs(loss - wasm[i]!) / Math.abs(wasm[i]!), `step ${i}: ${loss} vs ${wasm[i]}`).toBeLessThan(1e-3));
  });
});
