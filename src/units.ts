/**
 * Unit types: plain numbers whose names say what they measure (after Tone.js).
 * They document intent; TypeScript does not enforce them.
 */

/** Frequency in cycles per second. */
export type Hertz = number;
/** Time in seconds. */
export type Seconds = number;
/** A count of samples (per channel). */
export type Samples = number;
/** A level in decibels. */
export type Decibels = number;
/** A plain ratio or gain, 1 = unchanged. */
export type Ratio = number;
