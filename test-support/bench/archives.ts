// Source archives the bench generates: a 1 GiB archive streamed piece by piece (never held), and the in-memory corpora the tarball throughput is measured on.
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { SeededBytes, repetitiveText } from '../cap-archive.js';

const BLOCK = 512;
const MiB = 1024 * 1024;
const pad = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A ustar header block; every path here is short, so no pax record is needed. */
function header(path: string, type: 'File' | 'Directory', size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const needsPax = new Header({ path, type, size, mode: type === 'File' ? 0o644 : 0o755, uid: 0, gid: 0, mtime: new Date(1_700_000_000_000) }).encode(block, 0);
  if (needsPax) throw new Error(`bench archive path needs a pax header: ${path}`);
  return block;
}

function manifest(name: string, version: string): Buffer {
  return Buffer.from(`${JSON.stringify({ name, version, license: 'MIT' }, null, 2)}\n`);
}

export interface HugeArchive {
  /** The tar.gz, generated as it is read. */
  stream: Readable;
}

/**
 * A GitHub-style archive (one top directory) of `totalBytes` file data outside the package — half in `assets/`,
 * sorted before `pkg/`, half in `zz-data/`, after it — and a two-file package in `pkg/`. Stored deflate (gzip level
 * 0): the compressed size is the data size, so "a 1 GiB archive" is 1 GiB on the wire, and generating it costs
 * only the CRC. The file data repeats one 1 MiB random piece: what the bytes are does not matter to a reader that
 * must skip them.
 */
export function hugeArchive(options: { name: string; version: string; totalBytes: number; fileBytes?: number }): Readable {
  const fileBytes = options.fileBytes ?? 16 * MiB;
  const files = Math.ceil(options.totalBytes / fileBytes);
  const piece = new SeededBytes('registrar bench huge archive').next(MiB);
  const top = 'bench-huge-0000000';
  function* dataFiles(dir: string, from: number, to: number): Generator<Buffer> {
    yield header(`${top}/${dir}/`, 'Directory', 0);
    for (let f = from; f < to; f++) {
      yield header(`${top}/${dir}/blob-${String(f).padStart(5, '0')}.bin`, 'File', fileBytes);
      for (let offset = 0; offset < fileBytes; offset += MiB) yield offset + MiB <= fileBytes ? piece : piece.subarray(0, fileBytes - offset);
      yield pad(fileBytes);
    }
  }
  function* tar(): Generator<Buffer> {
    yield header(`${top}/`, 'Directory', 0);
    const half = Math.floor(files / 2);
    yield* dataFiles('assets', 0, half);
    yield header(`${top}/pkg/`, 'Directory', 0);
    const body = manifest(options.name, options.version);
    yield header(`${top}/pkg/package.json`, 'File', body.length);
    yield Buffer.concat([body, pad(body.length)]);
    const index = Buffer.from('export const huge = true;\n');
    yield header(`${top}/pkg/index.js`, 'File', index.length);
    yield Buffer.concat([index, pad(index.length)]);
    yield* dataFiles('zz-data', half, files);
    // End of archive, then git's 10 KiB record padding is not needed by any reader.
    yield Buffer.alloc(2 * BLOCK);
  }
  return Readable.from(tar(), { objectMode: false }).pipe(createGzip({ level: 0 }));
}

export type Corpus = 'random' | 'zeros' | 'source-like text';
export const CORPORA: readonly Corpus[] = ['random', 'zeros', 'source-like text'];

export interface CorpusArchive {
  corpus: Corpus;
  /** The source archive (.tar.gz) in memory, so the timed build reads no disk. */
  gzip: Buffer;
  /** Bytes of the tar inside it: the "unpacked MiB" of the throughput figure. */
  tarBytes: number;
}

/** A package (package.json + files of `fileBytes`) of about `totalBytes` of one corpus, at the repository root. */
export function corpusArchive(corpus: Corpus, options: { name: string; version: string; totalBytes: number; fileBytes?: number }): CorpusArchive {
  const fileBytes = options.fileBytes ?? 4 * MiB;
  const source = new SeededBytes(`registrar bench corpus ${corpus}`);
  const content = (size: number): Buffer => {
    if (corpus === 'random') return source.next(size);
    if (corpus === 'zeros') return Buffer.alloc(size);
    // Source-like text with one random byte in 500: what a repository of code looks like to deflate.
    return repetitiveText(source, size);
  };
  const top = `bench-${options.name}-0000000`;
  const parts: Buffer[] = [header(`${top}/`, 'Directory', 0)];
  const body = manifest(options.name, options.version);
  parts.push(header(`${top}/package.json`, 'File', body.length), body, pad(body.length));
  for (let f = 0, left = options.totalBytes; left > 0; f++, left -= fileBytes) {
    const size = Math.min(fileBytes, left);
    parts.push(header(`${top}/lib/part-${f}.dat`, 'File', size), content(size), pad(size));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  const tar = Buffer.concat(parts);
  return { corpus, gzip: gzipSync(tar, { level: 1 }), tarBytes: tar.length };
}
