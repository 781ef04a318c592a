// Builds the tarballs the emulator's codeload path serves: git archive's bytes, or a reshuffled variant of them.
import { gzipSync } from 'node:zlib';

export interface ArchiveVariant {
  /** Seed for a random (but reproducible) order of the entries. */
  shuffle?: number;
  /** Overrides every entry's modification time. */
  mtime?: Date;
}

const BLOCK = 512;
// git archive (like tar) pads the archive to whole 10 KiB records; keep doing so in the variant.
const RECORD = 20 * BLOCK;

/** Gzips a tar; the variant (if any) keeps every entry's bytes and only changes order and mtime. */
export function tarball(tar: Buffer, variant: ArchiveVariant | undefined): Buffer {
  const body = variant && (variant.shuffle !== undefined || variant.mtime) ? rewriteTar(tar, variant) : tar;
  return gzipSync(body);
}

interface Member {
  /** Header blocks and data of one entry, including the pax extended header that describes it. */
  blocks: Buffer[];
  global: boolean;
}

function readOctal(field: Buffer): number {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

function splitMembers(tar: Buffer): Member[] {
  const members: Member[] = [];
  let pending: Buffer[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = readOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] ?? 0x30);
    const end = offset + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const chunk = Buffer.from(tar.subarray(offset, end));
    offset = end;
    if (type === 'g') members.push({ blocks: [chunk], global: true });
    else if (type === 'x') pending.push(chunk);
    else {
      members.push({ blocks: [...pending, chunk], global: false });
      pending = [];
    }
  }
  return members;
}

function setMtime(block: Buffer, mtime: Date): void {
  const seconds = Math.floor(mtime.getTime() / 1000);
  block.write(`${seconds.toString(8).padStart(11, '0')}\0`, 136, 12, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

// mulberry32: tiny, seedable, good enough to shuffle test archives reproducibly.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rewriteTar(tar: Buffer, variant: ArchiveVariant): Buffer {
  const members = splitMembers(tar);
  const globals = members.filter((m) => m.global);
  const entries = members.filter((m) => !m.global);
  if (variant.shuffle !== undefined) {
    const next = random(variant.shuffle);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
  }
  const out: Buffer[] = [];
  // The global pax header (git's commit id comment) applies to the whole archive, so it stays first.
  for (const member of [...globals, ...entries]) {
    for (const chunk of member.blocks) {
      if (variant.mtime) setMtime(chunk, variant.mtime);
      out.push(chunk);
    }
  }
  out.push(Buffer.alloc(2 * BLOCK));
  const length = out.reduce((n, b) => n + b.length, 0);
  out.push(Buffer.alloc((RECORD - (length % RECORD)) % RECORD));
  return Buffer.concat(out);
}
