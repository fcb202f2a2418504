/** Reading a file's bytes anywhere through one cached window, for header scans that hop from frame to frame. */
import type { promises as fs } from 'node:fs';

/** Bytes a window holds by default: one read serves the headers of hundreds of frames. */
export const WINDOW_BYTES = 1 << 20;

/**
 * A read-only view of an open file that serves small reads from one cached window, refilled around the position
 * asked for, so a scan reading a few header bytes per frame makes one system call per window, not per frame.
 *
 * @example
 * const window = new FileWindow(handle, (await handle.stat()).size);
 * const head = await window.bytes(0, 10); // valid until the next call
 */
export class FileWindow {
  /** The allocation, reused; `buf` is the part of it the last read filled. */
  private store: Uint8Array = new Uint8Array(0);
  private buf: Uint8Array = new Uint8Array(0);
  private at = 0;

  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
    private readonly windowBytes: number = WINDOW_BYTES,
  ) {}

  /** Bytes `[pos, pos + length)`, fewer at the end of the file; a view valid until the next call. */
  async bytes(pos: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, pos + length);
    if (pos < this.at || end > this.at + this.buf.length) {
      const want = Math.min(this.size - pos, Math.max(length, this.windowBytes));
      if (this.store.length < want) this.store = new Uint8Array(want);
      const { bytesRead } = await this.handle.read(this.store, 0, Math.max(0, want), pos);
      this.buf = this.store.subarray(0, bytesRead);
      this.at = pos;
    }
    return this.buf.subarray(pos - this.at, Math.max(pos, end) - this.at);
  }
}
