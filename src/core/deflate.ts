// LazyDeflate: a raw deflate encoder in plain JS (zlib's lazy matching, its own Huffman codes), so the canonical bytes depend on nothing but the input.

const MiB = 1024 * 1024;

/**
 * fflate's streaming output depends on how its input is cut (it ends a deflate block per push), so the input is
 * always pushed in pieces of exactly this size; 1 MiB compresses as well as one-shot (64 KiB pushes: +0.07% on
 * random data, +6.5% on repetitive text). ScheduledGzip (gzip-schedule.ts) does the cutting; the constant lives here
 * because LazyDeflate sizes its buffers by it.
 */
export const DEFLATE_PUSH = MiB;
/** Deflate's window: the low-level stream starts with the last this-many bytes of the high-level one as its dictionary. */
export const WINDOW = 32 * 1024;

/** Match search limits of LazyDeflate (zlib's names): see CANONICAL_FORMAT for the values used. */
export interface LazyParams {
  /** Longest hash chain walked per position… */
  chain: number;
  /** …a quarter of it once the previous match is at least this long… */
  good: number;
  /** …and no search at all at the next position once it is at least this long. */
  lazy: number;
  /** A match this long ends the search. */
  nice: number;
  /**
   * Work allowed per input byte of one push, over the whole push, counting one per chain step and one per byte
   * compared: past it, chains are cut to 8 steps. What bounds the cost on text made to be slow.
   */
  budget: number;
}

const MIN_MATCH = 3;
const MAX_MATCH = 258;
const HASH_BITS = 15;
/** A 3-byte match farther than this costs more bits than its three literals (zlib's TOO_FAR). */
const TOO_FAR = 4096;
/** Symbols per block (zlib's at memLevel 8), and raw bytes per block, so the stored form stays cheap to keep. */
const BLOCK_SYMBOLS = 16_383;
const BLOCK_RAW = 256 * 1024;

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** Code-length codes in the order the block header lists their lengths (RFC 1951, 3.2.7). */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Length (3…258) → length code index (0…28); distance − 1 (0…32767) → distance code (0…29). */
const LENGTH_CODE = new Uint8Array(MAX_MATCH + 1);
const DIST_CODE = new Uint8Array(WINDOW);
for (let code = 0; code < 29; code++) {
  for (let len = LENGTH_BASE[code]!; len < LENGTH_BASE[code]! + (1 << LENGTH_EXTRA[code]!) && len <= MAX_MATCH; len++) LENGTH_CODE[len] = code;
}
LENGTH_CODE[MAX_MATCH] = 28;
for (let code = 0; code < 30; code++) {
  for (let d = DIST_BASE[code]!; d < DIST_BASE[code]! + (1 << DIST_EXTRA[code]!); d++) DIST_CODE[d - 1] = code;
}
const FIXED_LITLEN = new Uint8Array(288).map((_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8));
const FIXED_DIST = new Uint8Array(30).fill(5);

/**
 * A raw deflate encoder with zlib's lazy matching (a match is taken only if the next position does not start a
 * longer one), which fflate does not do: on source code it writes ~2–3% less than fflate at any level. Plain
 * integer arithmetic and typed arrays, so its bytes depend on nothing but the input and the parameters. Each push
 * is parsed on its own (with the previous 32 KiB as history), so, like fflate, the output depends on how the input
 * is cut: ScheduledGzip always cuts it the same way.
 */
export class LazyDeflate {
  private readonly window = new Uint8Array(WINDOW + DEFLATE_PUSH);
  private history = 0;
  private readonly head = new Int32Array(1 << HASH_BITS);
  private readonly prev = new Int32Array(WINDOW + DEFLATE_PUSH);
  /** Pending symbols of the current block: a literal byte, or 1<<24 | (length − 3) << 15 | (distance − 1). */
  private readonly symbols = new Int32Array(BLOCK_SYMBOLS);
  private count = 0;
  /** The bytes the pending symbols stand for, in case the block is cheapest stored. */
  private readonly raw = new Uint8Array(BLOCK_RAW + MAX_MATCH);
  private rawLength = 0;
  private out = new Uint8Array(64 * 1024);
  private at = 0;
  private bits = 0;
  private bitCount = 0;

  constructor(
    private readonly params: LazyParams,
    private readonly emit: (chunk: Uint8Array) => void,
    dictionary?: Uint8Array,
  ) {
    if (dictionary) {
      this.window.set(dictionary.subarray(-WINDOW));
      this.history = Math.min(dictionary.length, WINDOW);
    }
  }

  push(chunk: Uint8Array, final: boolean): void {
    // The window: up to 32 KiB of what came before, then this push.
    const w = this.window;
    const keep = Math.min(this.history, WINDOW);
    w.copyWithin(0, this.history - keep, this.history);
    w.set(chunk, keep);
    const n = keep + chunk.length;
    this.parse(keep, n);
    this.history = n;
    if (final) {
      this.block(true);
      this.align();
    }
    this.output();
  }

  /** End the current block and align to a byte with an empty stored block: another raw deflate may follow. */
  flush(_sync: true): void {
    if (this.count > 0) this.block(false);
    this.write(0, 3);
    this.align();
    this.write(0, 16);
    this.write(0xffff, 16);
    this.output();
  }

  private parse(start: number, n: number): void {
    const { window: w, head, prev } = this;
    const { good, lazy, nice } = this.params;
    head.fill(-1);
    const hash = (i: number) => (Math.imul(w[i]! | (w[i + 1]! << 8) | (w[i + 2]! << 16), 0x9e3779b1) >>> (32 - HASH_BITS));
    const insert = (i: number) => {
      if (i + MIN_MATCH > n) return;
      const h = hash(i);
      prev[i] = head[h]!;
      head[h] = i;
    };
    for (let i = 0; i < start; i++) insert(i);

    let budget = this.params.budget * (n - start);
    let prevLength = 0;
    let prevDistance = 0;
    let pending = false;
    let i = start;
    while (i < n) {
      insert(i);
      let length = 0;
      let distance = 0;
      if (prevLength < lazy && prevLength < MAX_MATCH && i + MIN_MATCH <= n && prevLength < n - i) {
        // The longest match at i that beats the previous one (zlib's longest_match).
        let chain = budget > 0 ? (prevLength >= good ? this.params.chain >> 2 : this.params.chain) : 8;
        const max = Math.min(MAX_MATCH, n - i);
        const enough = Math.min(nice, max);
        let best = prevLength;
        for (let candidate = prev[i]!; candidate >= 0 && i - candidate <= WINDOW && chain > 0; candidate = prev[candidate]!, chain--) {
          budget--;
          if (w[candidate + best] !== w[i + best] || w[candidate] !== w[i]) continue;
          let len = 0;
          while (len < max && w[candidate + len] === w[i + len]) len++;
          budget -= len;
          if (len > best) {
            best = len;
            distance = i - candidate;
            length = len;
            if (len >= enough) break;
          }
        }
        if (length === MIN_MATCH && distance > TOO_FAR) length = 0;
      }
      if (prevLength >= MIN_MATCH && length <= prevLength) {
        // The match found at i − 1 is at least as good: take it, and index the positions it covers.
        this.match(prevLength, prevDistance, i - 1);
        const end = i - 1 + prevLength;
        for (let j = i + 1; j < end; j++) insert(j);
        i = end;
        pending = false;
        prevLength = 0;
        continue;
      }
      if (pending) this.literal(w[i - 1]!);
      pending = true;
      prevLength = length;
      prevDistance = distance;
      i++;
    }
    if (pending) {
      if (prevLength >= MIN_MATCH) this.match(prevLength, prevDistance, n - 1);
      else this.literal(w[n - 1]!);
    }
  }

  private literal(byte: number): void {
    this.symbols[this.count++] = byte;
    this.raw[this.rawLength++] = byte;
    if (this.count === BLOCK_SYMBOLS || this.rawLength >= BLOCK_RAW) this.block(false);
  }

  private match(length: number, distance: number, from: number): void {
    this.symbols[this.count++] = (1 << 24) | ((length - MIN_MATCH) << 15) | (distance - 1);
    this.raw.set(this.window.subarray(from, from + length), this.rawLength);
    this.rawLength += length;
    if (this.count === BLOCK_SYMBOLS || this.rawLength >= BLOCK_RAW) this.block(false);
  }

  /** Write the pending symbols as one block, in whichever of the three forms is smallest. */
  private block(final: boolean): void {
    const litFreq = new Uint32Array(286);
    const distFreq = new Uint32Array(30);
    let extraBits = 0;
    for (let k = 0; k < this.count; k++) {
      const s = this.symbols[k]!;
      if (s < 256) {
        litFreq[s]!++;
        continue;
      }
      const lc = LENGTH_CODE[((s >> 15) & 0xff) + MIN_MATCH]!;
      const dc = DIST_CODE[s & 0x7fff]!;
      litFreq[257 + lc]!++;
      distFreq[dc]!++;
      extraBits += LENGTH_EXTRA[lc]! + DIST_EXTRA[dc]!;
    }
    litFreq[256] = 1;

    const litLengths = huffmanLengths(litFreq, 15);
    const distLengths = huffmanLengths(distFreq, 15);
    let hlit = 286;
    while (hlit > 257 && litLengths[hlit - 1] === 0) hlit--;
    let hdist = 30;
    while (hdist > 1 && distLengths[hdist - 1] === 0) hdist--;
    const runs = codeLengthRuns([...litLengths.subarray(0, hlit), ...distLengths.subarray(0, hdist)]);
    const clFreq = new Uint32Array(19);
    for (const [code] of runs) clFreq[code]!++;
    const clLengths = huffmanLengths(clFreq, 7);
    let hclen = 19;
    while (hclen > 4 && clLengths[CL_ORDER[hclen - 1]!] === 0) hclen--;

    const cost = (lit: Uint8Array, dist: Uint8Array) => {
      let bits = extraBits;
      for (let s = 0; s < 286; s++) bits += litFreq[s]! * lit[s]!;
      for (let s = 0; s < 30; s++) bits += distFreq[s]! * dist[s]!;
      return bits;
    };
    let header = 14 + 3 * hclen;
    for (const [code] of runs) header += clLengths[code]! + (code === 16 ? 2 : code === 17 ? 3 : code === 18 ? 7 : 0);
    const dynamicBits = 3 + header + cost(litLengths, distLengths);
    const fixedBits = 3 + cost(FIXED_LITLEN, FIXED_DIST);
    // Stored: up to 7 bits to the byte boundary, then 4 bytes of lengths per 65,535 bytes.
    const storedBits = 3 + 7 + 32 * Math.max(1, Math.ceil(this.rawLength / 65_535)) + 8 * this.rawLength;

    if (storedBits < dynamicBits && storedBits < fixedBits) {
      for (let offset = 0; offset < this.rawLength || offset === 0; offset += 65_535) {
        const size = Math.min(65_535, this.rawLength - offset);
        this.write(final && offset + size >= this.rawLength ? 1 : 0, 1);
        this.write(0, 2);
        this.align();
        this.write(size, 16);
        this.write(size ^ 0xffff, 16);
        this.bytes(this.raw.subarray(offset, offset + size));
        if (size === 0) break;
      }
    } else if (fixedBits <= dynamicBits) {
      this.write(final ? 1 : 0, 1);
      this.write(1, 2);
      this.symbolsWith(canonicalCodes(FIXED_LITLEN), FIXED_LITLEN, canonicalCodes(FIXED_DIST), FIXED_DIST);
    } else {
      this.write(final ? 1 : 0, 1);
      this.write(2, 2);
      this.write(hlit - 257, 5);
      this.write(hdist - 1, 5);
      this.write(hclen - 4, 4);
      for (let k = 0; k < hclen; k++) this.write(clLengths[CL_ORDER[k]!]!, 3);
      const clCodes = canonicalCodes(clLengths);
      for (const [code, extra] of runs) {
        this.write(clCodes[code]!, clLengths[code]!);
        if (code === 16) this.write(extra, 2);
        else if (code === 17) this.write(extra, 3);
        else if (code === 18) this.write(extra, 7);
      }
      this.symbolsWith(canonicalCodes(litLengths), litLengths, canonicalCodes(distLengths), distLengths);
    }
    this.count = 0;
    this.rawLength = 0;
  }

  private symbolsWith(litCodes: Uint16Array, litLengths: Uint8Array, distCodes: Uint16Array, distLengths: Uint8Array): void {
    for (let k = 0; k < this.count; k++) {
      const s = this.symbols[k]!;
      if (s < 256) {
        this.write(litCodes[s]!, litLengths[s]!);
        continue;
      }
      const length = ((s >> 15) & 0xff) + MIN_MATCH;
      const distance = (s & 0x7fff) + 1;
      const lc = LENGTH_CODE[length]!;
      const dc = DIST_CODE[distance - 1]!;
      this.write(litCodes[257 + lc]!, litLengths[257 + lc]!);
      if (LENGTH_EXTRA[lc]) this.write(length - LENGTH_BASE[lc]!, LENGTH_EXTRA[lc]!);
      this.write(distCodes[dc]!, distLengths[dc]!);
      if (DIST_EXTRA[dc]) this.write(distance - DIST_BASE[dc]!, DIST_EXTRA[dc]!);
    }
    this.write(litCodes[256]!, litLengths[256]!);
  }

  /** Append `count` (≤ 16) bits, least significant first. */
  private write(value: number, count: number): void {
    this.bits |= value << this.bitCount;
    this.bitCount += count;
    while (this.bitCount >= 8) {
      this.byte(this.bits & 0xff);
      this.bits >>>= 8;
      this.bitCount -= 8;
    }
  }

  private align(): void {
    if (this.bitCount > 0) this.write(0, 8 - this.bitCount);
  }

  private byte(value: number): void {
    if (this.at === this.out.length) this.grow(1);
    this.out[this.at++] = value;
  }

  private bytes(data: Uint8Array): void {
    if (this.at + data.length > this.out.length) this.grow(data.length);
    this.out.set(data, this.at);
    this.at += data.length;
  }

  private grow(needed: number): void {
    const bigger = new Uint8Array(Math.max(2 * this.out.length, this.at + needed));
    bigger.set(this.out.subarray(0, this.at));
    this.out = bigger;
  }

  /** Hand over the whole bytes written so far (a partial byte stays for the next block). */
  private output(): void {
    if (this.at === 0) return;
    this.emit(this.out.slice(0, this.at));
    this.at = 0;
  }
}

/**
 * Huffman code lengths for the frequencies, at most `limit` bits: a Huffman tree built with two queues (leaves by
 * frequency, then symbol; merged nodes in the order made), then its length counts squeezed under the limit and
 * handed out again, longest to the rarest. At least two symbols get a code, so every code is complete.
 */
function huffmanLengths(freq: Uint32Array, limit: number): Uint8Array {
  const lengths = new Uint8Array(freq.length);
  const used: number[] = [];
  for (let s = 0; s < freq.length; s++) if (freq[s]! > 0) used.push(s);
  for (let s = 0; used.length < 2; s++) if (freq[s] === 0 && !used.includes(s)) used.push(s);
  used.sort((a, b) => freq[a]! - freq[b]! || a - b);
  const m = used.length;
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1);
  for (let k = 0; k < m; k++) weight[k] = freq[used[k]!]!;
  let leaf = 0;
  let node = m;
  const pick = (made: number) => (leaf < m && (node >= made || weight[leaf]! <= weight[node]!) ? leaf++ : node++);
  for (let made = m; made < 2 * m - 1; made++) {
    const a = pick(made);
    const b = pick(made);
    weight[made] = weight[a]! + weight[b]!;
    parent[a] = made;
    parent[b] = made;
  }
  const depth = new Uint8Array(2 * m - 1);
  const counts = new Uint32Array(Math.max(limit, 64) + 1);
  for (let k = 2 * m - 3; k >= 0; k--) {
    depth[k] = depth[parent[k]!]! + 1;
    if (k < m) counts[Math.min(depth[k]!, limit + 1)]!++;
  }
  // Everything deeper than the limit moves up to it; then longer codes replace shorter ones until Kraft's sum is 1.
  counts[limit]! += counts[limit + 1]!;
  counts[limit + 1] = 0;
  let total = 0;
  for (let len = 1; len <= limit; len++) total += counts[len]! * 2 ** (limit - len);
  while (total > 2 ** limit) {
    counts[limit]!--;
    for (let len = limit - 1; len > 0; len--) {
      if (counts[len]! > 0) {
        counts[len]!--;
        counts[len + 1]! += 2;
        break;
      }
    }
    total--;
  }
  let k = 0;
  for (let len = limit; len > 0; len--) for (let c = 0; c < counts[len]!; c++) lengths[used[k++]!] = len;
  return lengths;
}

/** Canonical codes for the lengths (RFC 1951, 3.2.2), bit-reversed because the writer sends the lowest bit first. */
function canonicalCodes(lengths: Uint8Array): Uint16Array {
  const count = new Uint16Array(16);
  for (const len of lengths) if (len) count[len]!++;
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len < 16; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  const codes = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s]!;
    if (!len) continue;
    let code = next[len]!++;
    let reversed = 0;
    for (let b = 0; b < len; b++, code >>= 1) reversed = (reversed << 1) | (code & 1);
    codes[s] = reversed;
  }
  return codes;
}

/** The code-length sequence as code-length symbols: [symbol, extra bits], with runs as 16 (repeat), 17 and 18 (zeros). */
function codeLengthRuns(lengths: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < lengths.length; ) {
    const len = lengths[i]!;
    let run = 1;
    while (i + run < lengths.length && lengths[i + run] === len) run++;
    let left = run;
    if (len === 0) {
      for (; left >= 3; ) {
        const take = Math.min(left, 138);
        runs.push(take >= 11 ? [18, take - 11] : [17, take - 3]);
        left -= take;
      }
    } else if (run >= 4) {
      runs.push([len, 0]);
      for (left -= 1; left >= 3; ) {
        const take = Math.min(left, 6);
        runs.push([16, take - 3]);
        left -= take;
      }
    }
    for (; left > 0; left--) runs.push([len, 0]);
    i += run;
  }
  return runs;
}
