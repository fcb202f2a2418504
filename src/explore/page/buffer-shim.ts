/** The one use of Node's Buffer in the bundled code (dsp/wasm/load.ts decoding the embedded kernel), for the browser. */
export const Buffer = {
  from(text: string, encoding: string): Uint8Array {
    if (encoding !== 'base64') throw new Error(`buffer-shim: only base64 is supported, not ${encoding}`);
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  },
};
