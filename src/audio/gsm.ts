/**
 * GSM 06.10 full-rate speech decoding, as WAV files hold it (WAVE format 0x0031, "WAV49": what
 * `sox in.wav -e gsm-full-rate out.wav` writes, common in telephony and old speech corpora).
 *
 * A WAV block is 65 bytes holding two 260-bit GSM frames, packed least significant bit first, and decodes to
 * 320 samples at 8 kHz. The decoder follows the ETSI reference in 16-bit fixed point (as libgsm, which sox uses,
 * does), so its output matches sox's sample for sample: RPE decoding, long-term (pitch) synthesis, short-term
 * (LPC lattice) synthesis with interpolated log-area ratios, de-emphasis.
 */

/** Bytes per WAV block, and samples per block (two frames of 160). */
export const GSM_WAV = { blockBytes: 65, samplesPerBlock: 320, frameSamples: 160 } as const;

const MIN_WORD = -32768;
const MAX_WORD = 32767;

/** Bits of each frame parameter, in stream order: LARc[0..7], then per sub-frame Nc, bc, Mc, xmaxc, xMc[0..12]. */
const LAR_BITS = [6, 6, 5, 5, 4, 4, 3, 3] as const;
/** Long-term prediction gains (QLB), RPE mantissa factors (FAC). */
const QLB = [3277, 11469, 21299, 32767] as const;
const FAC = [18431, 20479, 22527, 24575, 26623, 28671, 30719, 32767] as const;
/** Decoding of the log-area ratios: per coefficient B, MIC and INVA (ETSI 06.10 table 5.2). */
const LAR_B = [0, 0, 2048, -2560, 94, -1792, -341, -1144] as const;
const LAR_MIC = [-32, -32, -16, -16, -8, -8, -4, -4] as const;
const LAR_INVA = [13107, 13107, 13107, 13107, 19223, 17476, 31454, 29708] as const;

const sat = (x: number): number => (x > MAX_WORD ? MAX_WORD : x < MIN_WORD ? MIN_WORD : x);
const add = (a: number, b: number): number => sat(a + b);
const sub = (a: number, b: number): number => sat(a - b);
/** Rounded Q15 product. */
const multR = (a: number, b: number): number => (a === MIN_WORD && b === MIN_WORD ? MAX_WORD : (a * b + 16384) >> 15);
const toWord = (x: number): number => (x << 16) >> 16;
const asr = (a: number, n: number): number => (n >= 16 ? (a < 0 ? -1 : 0) : n <= -16 ? 0 : n < 0 ? toWord(a << -n) : a >> n);
const asl = (a: number, n: number): number => (n >= 16 ? 0 : n <= -16 ? (a < 0 ? -1 : 0) : n < 0 ? asr(a, -n) : toWord(a << n));

/** One frame's parameters. */
interface GsmFrame {
  larc: number[];
  nc: number[];
  bc: number[];
  mc: number[];
  xmaxc: number[];
  /** 4 x 13 RPE pulses. */
  xmc: number[];
}

/** Reads fields least significant bit first from a byte stream. */
class LsbBits {
  private acc = 0;
  private bits = 0;
  private pos: number;

  constructor(
    private readonly data: DataView,
    offset: number,
  ) {
    this.pos = offset;
  }

  read(n: number): number {
    while (this.bits < n) {
      this.acc |= this.data.getUint8(this.pos++) << this.bits;
      this.bits += 8;
    }
    const v = this.acc & ((1 << n) - 1);
    this.acc >>>= n;
    this.bits -= n;
    return v;
  }
}

function readFrame(bits: LsbBits): GsmFrame {
  const f: GsmFrame = { larc: LAR_BITS.map((n) => bits.read(n)), nc: [], bc: [], mc: [], xmaxc: [], xmc: [] };
  for (let j = 0; j < 4; j++) {
    f.nc.push(bits.read(7));
    f.bc.push(bits.read(2));
    f.mc.push(bits.read(2));
    f.xmaxc.push(bits.read(6));
    for (let i = 0; i < 13; i++) f.xmc.push(bits.read(3));
  }
  return f;
}

/** The decoder's memory between frames. */
export class GsmDecoder {
  /** Reconstructed long-term residual: 120 past samples, then the current sub-frame's 40. */
  private readonly dp = new Int16Array(160);
  private nrp = 40;
  private readonly larpp = [new Int16Array(8), new Int16Array(8)];
  private j = 0;
  private readonly v = new Int16Array(9);
  private msr = 0;

  /**
   * Decodes one 65-byte WAV block at `offset` into 320 samples in [-1, 1) written at `out[at]`.
   * @example const d = new GsmDecoder(); d.decodeWavBlock(view, 0, samples, 0);
   */
  decodeWavBlock(data: DataView, offset: number, out: Float32Array, at: number, count: number = GSM_WAV.samplesPerBlock): void {
    const bits = new LsbBits(data, offset);
    const s = new Int16Array(GSM_WAV.frameSamples);
    for (let half = 0; half < 2; half++) {
      const frame = readFrame(bits);
      this.decodeFrame(frame, s);
      const base = half * GSM_WAV.frameSamples;
      for (let k = 0; k < GSM_WAV.frameSamples && base + k < count; k++) out[at + base + k] = s[k]! / 32768;
    }
  }

  private decodeFrame(f: GsmFrame, s: Int16Array): void {
    const wt = new Int16Array(160);
    const erp = new Int16Array(40);
    for (let j = 0; j < 4; j++) {
      this.rpeDecoding(f.xmaxc[j]!, f.mc[j]!, f.xmc.slice(13 * j, 13 * j + 13), erp);
      this.longTermSynthesis(f.nc[j]!, f.bc[j]!, erp);
      wt.set(this.dp.subarray(120, 160), 40 * j);
      this.dp.copyWithin(0, 40, 160); // the 120 past samples for the next sub-frame
    }
    this.shortTermSynthesis(f.larc, wt, s);
    // De-emphasis, then truncation to 13 bits and upscaling.
    let msr = this.msr;
    for (let k = 0; k < 160; k++) {
      msr = add(s[k]!, multR(msr, 28180));
      s[k] = toWord(add(msr, msr) & 0xfff8);
    }
    this.msr = msr;
  }

  private rpeDecoding(xmaxc: number, mc: number, xmc: number[], erp: Int16Array): void {
    let exp = 0;
    if (xmaxc > 15) exp = (xmaxc >> 3) - 1;
    let mant = xmaxc - (exp << 3);
    if (mant === 0) {
      exp = -4;
      mant = 7;
    } else {
      while (mant <= 7) {
        mant = (mant << 1) | 1;
        exp--;
      }
      mant -= 8;
    }
    const temp1 = FAC[mant]!;
    const temp2 = sub(6, exp);
    const temp3 = asl(1, sub(temp2, 1));
    erp.fill(0);
    for (let i = 0; i < 13; i++) {
      let temp = toWord(((xmc[i]! << 1) - 7) << 12);
      temp = multR(temp1, temp);
      temp = add(temp, temp3);
      erp[mc + 3 * i] = asr(temp, temp2);
    }
  }

  private longTermSynthesis(ncr: number, bcr: number, erp: Int16Array): void {
    const nr = ncr < 40 || ncr > 120 ? this.nrp : ncr;
    this.nrp = nr;
    const brp = QLB[bcr]!;
    const dp = this.dp;
    for (let k = 0; k < 40; k++) dp[120 + k] = add(erp[k]!, multR(brp, dp[120 + k - nr]!));
  }

  private shortTermSynthesis(larc: number[], wt: Int16Array, s: Int16Array): void {
    const cur = this.larpp[this.j]!;
    this.j ^= 1;
    const prev = this.larpp[this.j]!;
    for (let i = 0; i < 8; i++) {
      let t = toWord(add(larc[i]!, LAR_MIC[i]!) << 10);
      t = sub(t, LAR_B[i]! << 1);
      t = multR(LAR_INVA[i]!, t);
      cur[i] = add(t, t);
    }
    const larp = new Int16Array(8);
    const segment = (mix: (p: number, c: number) => number, from: number, count: number) => {
      for (let i = 0; i < 8; i++) larp[i] = mix(prev[i]!, cur[i]!);
      larToRp(larp);
      this.lattice(larp, wt, s, from, count);
    };
    segment((p, c) => add(add(p >> 2, c >> 2), p >> 1), 0, 13);
    segment((p, c) => add(p >> 1, c >> 1), 13, 14);
    segment((p, c) => add(add(p >> 2, c >> 2), c >> 1), 27, 13);
    segment((_p, c) => c, 40, 120);
  }

  private lattice(rrp: Int16Array, wt: Int16Array, s: Int16Array, from: number, count: number): void {
    const v = this.v;
    for (let k = from; k < from + count; k++) {
      let sri = wt[k]!;
      for (let i = 7; i >= 0; i--) {
        const r = rrp[i]!;
        sri = sub(sri, multR(r, v[i]!));
        v[i + 1] = add(v[i]!, multR(r, sri));
      }
      s[k] = v[0] = sri;
    }
  }
}

/** Log-area ratios to reflection coefficients (piecewise linear, ETSI 06.10 4.2.10). */
function larToRp(larp: Int16Array): void {
  for (let i = 0; i < 8; i++) {
    const x = larp[i]!;
    const temp = x < 0 ? (x === MIN_WORD ? MAX_WORD : -x) : x;
    const r = temp < 11059 ? temp << 1 : temp < 20070 ? temp + 11059 : add(temp >> 2, 26112);
    larp[i] = x < 0 ? -r : r;
  }
}

/**
 * Decodes `frames` samples of WAV GSM (mono) from whole 65-byte blocks in `data`.
 * @example decodeGsmWav(new DataView(bytes.buffer, dataOffset, dataBytes), frames)
 */
export function decodeGsmWav(data: DataView, frames: number): Float32Array {
  const out = new Float32Array(frames);
  const decoder = new GsmDecoder();
  for (let block = 0, at = 0; at < frames && (block + 1) * GSM_WAV.blockBytes <= data.byteLength; block++, at += GSM_WAV.samplesPerBlock) {
    decoder.decodeWavBlock(data, block * GSM_WAV.blockBytes, out, at, Math.min(GSM_WAV.samplesPerBlock, frames - at));
  }
  return out;
}
