// The spool: the package's file contents, appended to one temporary file as the archive is read, so memory stays flat.

import type { FileHandle } from 'node:fs/promises';

/**
 * Appends file contents to the spool as node-tar hands them over. The parser's events are synchronous, so chunks
 * queue here and the reading loop awaits flush() after every piece it feeds the parser: what waits in memory is at
 * most one piece's worth of content plus the flush threshold.
 */
export class Spool {
  private queue: Buffer[] = [];
  private queued = 0;
  /** Bytes handed to add(), written or queued: the offset of the next one. */
  size = 0;
  private written = 0;
  constructor(private readonly handle: FileHandle) {}

  add(chunk: Buffer): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.size += chunk.length;
  }

  /** Write what is queued once it is worth a system call (or always, with `all`). */
  async flush(all = false): Promise<void> {
    if (this.queue.length === 0) return;
    // 512 buffers stays under every system's IOV_MAX in one writev; 256 KiB keeps the calls few.
    if (!all && this.queued < 256 * 1024 && this.queue.length < 512) return;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    let position = this.written;
    for (let i = 0; i < batch.length; i += 512) {
      const part = batch.slice(i, i + 512);
      let length = 0;
      for (const chunk of part) length += chunk.length;
      const { bytesWritten } = await this.handle.writev(part, position);
      // writev on a regular file writes everything or throws; a short write would silently corrupt the tarball.
      if (bytesWritten !== length) throw new Error(`short write to the spool file (${bytesWritten} of ${length} bytes)`);
      position += length;
    }
    this.written = position;
  }
}

