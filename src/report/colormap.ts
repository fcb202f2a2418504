/**
 * Perceptual colour maps for spectrograms. Lightness rises steadily from low to high values, so loudness reads
 * the same everywhere in the image and the maps survive grey-scale printing and common colour blindness.
 *
 * The curves are Matt Zucker's degree-6 polynomial fits of matplotlib's viridis and magma tables
 * (https://www.shadertoy.com/view/WlfXRN): within about 1/255 of the originals, and 14 numbers instead of 768.
 */

export type ColormapName = 'viridis' | 'magma';
export type Rgb = [number, number, number];

/** Polynomial coefficients c0..c6 per channel: colour(t) = sum c_k t^k. */
const COEFFS: Record<ColormapName, [number, number, number][]> = {
  viridis: [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ],
  magma: [
    [-0.002136485053939582, -0.000749655052795221, -0.005386127855323933],
    [0.2516605407371642, 0.6775232436837668, 2.494026599312351],
    [8.353717279216625, -3.577719514958484, 0.3144679030132573],
    [-27.66873308576866, 14.26473078096533, -13.64921318813922],
    [52.17613981234068, -27.94360607168351, 12.94416944238394],
    [-50.76852536473588, 29.04658282127291, 4.23415299384598],
    [18.65570506591883, -11.48977351997711, -5.601961508734096],
  ],
};

/** Entries in a precomputed lookup table: finer than 8-bit colour can show. */
const TABLE_SIZE = 256;

const TABLES = new Map<ColormapName, Uint8Array>();

/** The colour map as a table of TABLE_SIZE RGB triples, 0-255, computed once. */
export function colormapTable(name: ColormapName): Uint8Array {
  let table = TABLES.get(name);
  if (table) return table;
  const coeffs = COEFFS[name];
  if (!coeffs) throw new Error(`unknown colour map "${name}" (choose viridis or magma)`);
  table = new Uint8Array(TABLE_SIZE * 3);
  for (let i = 0; i < TABLE_SIZE; i++) {
    const t = i / (TABLE_SIZE - 1);
    for (let c = 0; c < 3; c++) {
      // Horner's rule from the highest power down.
      let v = 0;
      for (let k = coeffs.length - 1; k >= 0; k--) v = v * t + coeffs[k]![c]!;
      table[i * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  TABLES.set(name, table);
  return table;
}

/**
 * The colour of a value t in [0, 1] (clamped; NaN maps to 0).
 * @example colormap('viridis', 1) // [253, 231, 37]-ish: viridis ends in yellow
 */
export function colormap(name: ColormapName, t: number): Rgb {
  const table = colormapTable(name);
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const i = Math.round(x * (TABLE_SIZE - 1)) * 3;
  return [table[i]!, table[i + 1]!, table[i + 2]!];
}
