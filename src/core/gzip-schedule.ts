// The canonical gzip stream: the format's deflate schedule (CANONICAL_FORMAT) and ScheduledGzip, which runs it over a byte stream inside gzip's header and CRC-32 trailer.

import * as zlib from 'node:zlib';
import { Deflate } from 'fflate';
import { DEFLATE_PUSH, LazyDeflate, WINDOW, type LazyParams } from './deflate.js';

/**
 * What decides the bytes besides the files themselves. Only CANONICAL_FORMAT is ever published; the other values
 * exist so scripts/size-vs-npm.ts and scripts/deflate-candidates.ts can measure the alternatives with this code.
 */
export interface TarballFormat {
  /**
   * Compressors along the tar stream, an fflate level or LazyDeflate's settings: each stage covers `bytes` (a
   * multiple of DEFLATE_PUSH) after the ones before it; the last stage, without `bytes`, covers the rest. A stage
   * after the first starts with the last 32 KiB as its dictionary.
   */
  schedule: ReadonlyArray<{ level: DeflateLevel | LazyParams; bytes?: number }>;
  /** fflate's `mem`: a hash table of 2^(12 + mem) entries. */
  mem: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12;
  /** How files are ordered (see canonicalEntries in tarball.ts). */
  order: 'name' | 'extension' | 'path';
  /** Whether directories get entries of their own (`<top>/` and every directory that holds a file). */
  directories: boolean;
}
type DeflateLevel = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

const MiB = 1024 * 1024;

/**
 * The deflate, all pure JS (bundled, so the bytes never depend on the runtime's zlib), on a fixed schedule along the
 * tar stream:
 * - the first 4 MiB: LazyDeflate (deflate.ts), with zlib level 9's match search (lazy matching, chains of up to 4,096,
 *   nice length 258) within a work budget of 32 per input byte over each 1 MiB push (one per chain step and one per
 *   byte compared; past it, 8 steps per position). On code the budget does not bind (the same output as without
 *   it); on text made to be slow (two letters at random) it holds the cost to ~0.3–0.5 s per MiB, where the same
 *   search without it took ~20 s (both measured on the 2 shared cores at load ~8).
 * - the rest: fflate level 1 with a 2^16-entry hash table (mem 4), fast whatever the content, so a package at the
 *   caps still builds in seconds.
 * With the order below, a package's tarball is then no larger than `npm pack`'s (zlib level 9): median 0.998 over
 * the 26 package shapes of scripts/size-vs-npm.ts. fflate alone cannot get there: its search is greedy, and at any
 * level its output is 2–3% larger than zlib 9's. BENCHMARKS.md has the numbers.
 *
 * Files are ordered by their name (the last path segment), then by path, so the copies of one module in several
 * builds (dist/esm/x.js, dist/cjs/x.js) and its variants (x.d.ts, x.js, x.js.map, x.mjs) sit within deflate's 32 KiB
 * window of each other. Directories get no entries of their own, as in npm's tarballs: every tar reader creates
 * the directories a file's path names, and their headers cost small packages more than the order gains them.
 *
 * These values, LazyDeflate, fflate's version and DEFLATE_PUSH make up the format: the golden-hash tests guard them.
 */
export const CANONICAL_FORMAT: Readonly<TarballFormat> = Object.freeze({
  schedule: Object.freeze([
    { level: Object.freeze({ good: 32, lazy: 258, nice: 258, chain: 4096, budget: 32 }), bytes: 4 * MiB },
    { level: 1 },
  ] as const),
  mem: 4,
  order: 'name',
  directories: false,
});

export function checkSchedule(format: Readonly<TarballFormat>): void {
  const { schedule } = format;
  const ok =
    schedule.length > 0 &&
    schedule.every((stage, i) => (i === schedule.length - 1 ? stage.bytes === undefined : stage.bytes !== undefined && stage.bytes > 0 && stage.bytes % DEFLATE_PUSH === 0));
  if (!ok) throw new RangeError('a deflate schedule is stages of whole pushes, the last one open-ended');
}

/**
 * gzip with the format's level schedule. Input is re-cut into DEFLATE_PUSH-sized pushes, so the output depends only
 * on the bytes, never on how they were split. At the switch, the high-level deflate ends with a sync flush (a byte
 * boundary: another raw deflate may follow, fflate documents) and the low-level one starts with the last 32 KiB as
 * its dictionary, so its first matches can still reach back into the high-level part. One gzip member: our own
 * header and trailer around both.
 */
export class ScheduledGzip {
  private readonly push = new Uint8Array(DEFLATE_PUSH);
  private filled = 0;
  private pushed = 0;
  private crc = 0;
  private deflate: Deflate | LazyDeflate;
  /** Bytes of input so far. */
  get length(): number {
    return this.pushed + this.filled;
  }
  private stage = 0;
  /** Where the current stage ends in the tar stream (Infinity in the last one). */
  private stageEnd: number;

  constructor(
    private readonly format: Readonly<TarballFormat>,
    private readonly emit: (chunk: Uint8Array) => void,
  ) {
    const first = format.schedule[0]!;
    // gzip header: no mtime, no file name, OS 3 (Unix); XFL as zlib sets it (4 fastest, 2 slowest, else 0): 2 for LazyDeflate.
    const xfl = first.level === 1 ? 4 : first.level === 9 || typeof first.level === 'object' ? 2 : 0;
    emit(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3));
    this.stageEnd = first.bytes ?? Infinity;
    this.deflate = this.deflater(first.level, undefined);
  }

  private deflater(level: DeflateLevel | LazyParams, dictionary: Uint8Array | undefined): Deflate | LazyDeflate {
    if (typeof level === 'object') return new LazyDeflate(level, this.emit, dictionary);
    // fflate hands each output piece over in an array of its own (a copy out of its working buffer).
    return new Deflate({ level, mem: this.format.mem, ...(dictionary && { dictionary }) }, (chunk) => this.emit(chunk));
  }

  /** The free part of the current push, to fill in place; then call advance(). */
  room(): Uint8Array {
    return this.push.subarray(this.filled);
  }

  advance(bytes: number): void {
    this.filled += bytes;
    if (this.filled === DEFLATE_PUSH) this.pushFull();
  }

  write(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; ) {
      const take = Math.min(DEFLATE_PUSH - this.filled, bytes.length - offset);
      this.push.set(bytes.subarray(offset, offset + take), this.filled);
      offset += take;
      this.advance(take);
    }
  }

  end(): void {
    const last = this.push.subarray(0, this.filled);
    this.crc = crc32(last, this.crc);
    this.pushed += last.length;
    this.filled = 0;
    this.deflate.push(last, true);
    const trailer = new Uint8Array(8);
    const view = new DataView(trailer.buffer);
    view.setUint32(0, this.crc >>> 0, true);
    view.setUint32(4, this.pushed >>> 0, true);
    this.emit(trailer);
  }

  private pushFull(): void {
    this.crc = crc32(this.push, this.crc);
    this.pushed += DEFLATE_PUSH;
    // fflate copies the push into its own window buffer, so ours is free again right away.
    this.deflate.push(this.push, false);
    this.filled = 0;
    if (this.pushed < this.stageEnd) return;
    this.stage += 1;
    const next = this.format.schedule[this.stage]!;
    this.stageEnd += next.bytes ?? Infinity;
    this.deflate.flush(true);
    this.deflate = this.deflater(next.level, this.push.subarray(DEFLATE_PUSH - WINDOW));
  }
}

/**
 * gzip the pieces in memory, as the tarball build does: for the scripts that measure deflate settings and for tests.
 * Whatever the pieces' sizes, the output depends only on their bytes.
 */
export function canonicalGzip(pieces: Iterable<Uint8Array>, format: Readonly<TarballFormat> = CANONICAL_FORMAT): Uint8Array {
  const output: Uint8Array[] = [];
  const gzip = new ScheduledGzip(format, (chunk) => output.push(chunk));
  for (const piece of pieces) gzip.write(piece);
  gzip.end();
  return Buffer.concat(output);
}

/** CRC-32 (gzip's trailer): the same function everywhere; native where Node has it (20.15+), else a table in JS. */
const crc32: (data: Uint8Array, value: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data, value) => zlib.crc32(data, value) : crc32Js;

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Exported for the test that holds it equal to the native one. */
export function crc32Js(data: Uint8Array, value = 0): number {
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
