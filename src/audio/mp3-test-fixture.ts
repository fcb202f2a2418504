/**
 * Longer mp3 streams for tests, made from the short committed fixtures without an encoder: the audio frames of a
 * file (no ID3 tag, no Info frame) repeated. Across each seam a frame's bit reservoir points into the previous
 * copy, which decodes to something else than the original but the same thing every time: all a seek test needs.
 */
import { parseMpegHeader, parseXingTag } from './mp3-frames.ts';

/** The audio frames of `mp3` (tags and the Info frame dropped), `copies` times over. */
export function repeatMp3Frames(mp3: Uint8Array, copies: number): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let pos = 0; pos + 4 <= mp3.length; ) {
    const h = parseMpegHeader(mp3, pos);
    if (!h || pos + h.bytes > mp3.length) {
      pos++;
      continue;
    }
    const frame = mp3.subarray(pos, pos + h.bytes);
    if (!parseXingTag(frame, h)) frames.push(frame);
    pos += h.bytes;
  }
  const one = Buffer.concat(frames);
  return new Uint8Array(Buffer.concat(Array.from({ length: copies }, () => one)));
}
