/** A minimal RGBA drawing surface: filled rectangles, lines and bitmap text, enough for plot axes. */
import { GLYPH, glyph, textWidth } from './font.ts';
import type { Rgb } from './colormap.ts';

export type Align = 'left' | 'center' | 'right';

export class Raster {
  readonly width: number;
  readonly height: number;
  /** Row-major RGBA, 4 bytes per pixel. */
  readonly rgba: Uint8Array;

  constructor(width: number, height: number, background: Rgb = [255, 255, 255]) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new Error(`image size must be positive whole pixels, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; points outside the image are ignored. */
  set(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.rgba[i] = color[0];
    this.rgba[i + 1] = color[1];
    this.rgba[i + 2] = color[2];
    this.rgba[i + 3] = 255;
  }

  /** The RGB colour of one pixel. */
  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 4;
    return [this.rgba[i]!, this.rgba[i + 1]!, this.rgba[i + 2]!];
  }

  /** Fills a rectangle, clipped to the image. */
  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, color);
  }

  /**
   * Draws text in the 5 x 7 bitmap font, each font pixel `scale` image pixels wide.
   * (x, y) is the top of the text; `align` says whether x is its left edge, centre or right edge.
   */
  text(x: number, y: number, text: string, color: Rgb, scale = 1, align: Align = 'left'): void {
    const w = textWidth(text) * scale;
    let left = align === 'left' ? x : align === 'center' ? x - w / 2 : x - w;
    left = Math.round(left);
    [...text].forEach((ch, n) => {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH.height; r++) {
        for (let c = 0; c < GLYPH.width; c++) {
          if (rows[r]![c]) this.fillRect(left + (n * GLYPH.advance + c) * scale, y + r * scale, scale, scale, color);
        }
      }
    });
  }

  /**
   * Draws text turned 90 degrees anticlockwise (reading bottom to top), centred on (x, cy);
   * x is the left edge of the turned text's column.
   */
  textUp(x: number, cy: number, text: string, color: Rgb, scale = 1): void {
    const w = textWidth(text) * scale;
    const bottom = Math.round(cy + w / 2);
    [...text].forEach((ch, n) => {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH.height; r++) {
        for (let c = 0; c < GLYPH.width; c++) {
          // Glyph column c runs upwards; glyph row r runs rightwards.
          if (rows[r]![c]) this.fillRect(x + r * scale, bottom - (n * GLYPH.advance + c + 1) * scale, scale, scale, color);
        }
      }
    });
  }
}
