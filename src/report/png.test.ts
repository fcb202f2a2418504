import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { colormap } from './colormap.ts';
import { hasGlyph } from './font.ts';
import { crc32, encodePng, frequencyLabels, niceTicks, plainLabels, spectrogramImage } from './png.ts';
import { Raster } from './raster.ts';

/** A minimal PNG reader for 8-bit RGB (what encodePng writes): parses chunks, inflates and undoes the filters. */
function decodePng(png: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect((crc32(png.subarray(offset + 4, offset + 8 + length)) ^ 0xffffffff) >>> 0).toBe(view.getUint32(offset + 8 + length));
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      expect([data[8], data[9]]).toEqual([8, 2]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const rgb = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= 3 ? rgb[y * stride + i - 3]! : 0;
      const b = y > 0 ? rgb[(y - 1) * stride + i]! : 0;
      const c = i >= 3 && y > 0 ? rgb[(y - 1) * stride + i - 3]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter]!;
      rgb[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return { width, height, rgb };
}

describe('PNG encoder', () => {
  it('computes the standard CRC-32 check value', () => {
    expect((crc32(new TextEncoder().encode('123456789')) ^ 0xffffffff) >>> 0).toBe(0xcbf43926);
  });

  it('round-trips pixels through filters and deflate', () => {
    const r = new Raster(37, 11);
    for (let y = 0; y < 11; y++) for (let x = 0; x < 37; x++) r.set(x, y, [(x * 7) & 255, (y * 23 + x) & 255, (x * y) & 255]);
    const back = decodePng(encodePng(37, 11, r.rgba));
    expect([back.width, back.height]).toEqual([37, 11]);
    for (let y = 0; y < 11; y++)
      for (let x = 0; x < 37; x++) {
        expect([...back.rgb.subarray((y * 37 + x) * 3, (y * 37 + x) * 3 + 3)]).toEqual(r.get(x, y));
      }
  });
});

describe('colour maps', () => {
  it('match matplotlib at the ends and get lighter along the way', () => {
    const near = (a: number[], b: number[]) => a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(6));
    near(colormap('viridis', 0), [0x44, 0x01, 0x54]);
    near(colormap('viridis', 1), [0xfd, 0xe7, 0x25]);
    near(colormap('magma', 0), [0x00, 0x00, 0x04]);
    near(colormap('magma', 1), [0xfc, 0xfd, 0xbf]);
    for (const name of ['viridis', 'magma'] as const) {
      const luma = (t: number) => colormap(name, t).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i]!, 0);
      for (let t = 0.1; t <= 1; t += 0.1) expect(luma(t)).toBeGreaterThan(luma(t - 0.1));
    }
  });
});

describe('axes', () => {
  it('chooses round ticks and labels them', () => {
    expect(niceTicks(0, 8000)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(niceTicks(0, 0.74)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(niceTicks(0, 0.74, 4)).toEqual([0, 0.2, 0.4, 0.6]);
    expect(plainLabels(niceTicks(0, 0.74, 4))).toEqual(['0.0', '0.2', '0.4', '0.6']);
    expect(frequencyLabels([0, 2500, 5000])).toEqual(['0', '2.5k', '5.0k']);
    expect(frequencyLabels([0, 200, 400])).toEqual(['0', '200', '400']);
    for (const ch of 'frequency (Hz)time (s)dB0123456789.-k') expect(hasGlyph(ch)).toBe(true);
  });
});

describe('spectrogramImage', () => {
  it('puts low bins at the bottom with the colour map and draws axes around the plot', () => {
    // 33 bins x 8 frames: only the top bin is loud.
    const bins = 33;
    const frames = 8;
    const data = new Float32Array(bins * frames).fill(-80);
    for (let t = 0; t < frames; t++) data[(bins - 1) * frames + t] = 0;
    const img = spectrogramImage({ bins, frames, data }, { sampleRate: 16000, hop: 128, range: [-80, 0], scale: 1, plotWidth: 80, plotHeight: 66 });
    const png = decodePng(img.png);
    expect([png.width, png.height]).toEqual([img.width, img.height]);
    const pixel = (x: number, y: number) => [...png.rgb.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3)];
    // Find the plot: the first dark magma pixel scanning the middle row from the left.
    const midY = Math.floor(png.height / 2);
    let left = 0;
    while (!pixel(left, midY).every((v, i) => Math.abs(v - colormap('magma', 0)[i]!) <= 2)) left++;
    let topY = midY;
    while (topY > 0 && !pixel(left + 5, topY - 1).every((v) => v === 255) && topY > 0) topY--;
    expect(pixel(left + 5, topY)).toEqual(colormap('magma', 1)); // loud top bin at the top
    expect(pixel(left + 5, midY)).toEqual(colormap('magma', 0));
    // Something (tick labels) is drawn left of the plot, and the image has room for axes.
    expect(png.width).toBeGreaterThan(80 + 20);
    expect(png.height).toBeGreaterThan(66 + 20);
    let inked = 0;
    for (let y = 0; y < png.height; y++) for (let x = 0; x < left - 2; x++) if (pixel(x, y)[0]! < 200) inked++;
    expect(inked).toBeGreaterThan(50);
  });

  it('rejects a spectrogram whose size does not match its data', () => {
    expect(() => spectrogramImage({ bins: 4, frames: 4, data: new Float32Array(3) }, { sampleRate: 8000, hop: 64 })).toThrow(/4x4/);
  });
});
