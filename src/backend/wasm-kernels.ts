/**
 * Kernels the wasm backend lacks or runs slowly, registered on top of it.
 * Filled in by the training work (Conv2DBackpropFilter and friends).
 */
export function registerWasmExtras(): void {}
