// Reads every package's metadata out of a registry tarball as it streams in: only metadata files are kept, and an archive that ends early is an error, never a smaller registry.
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import type { Ecosystem } from '../../core/ecosystem.js';
import { packageOfPath } from '../../core/metadata.js';
import { addFile, addUnreadable, emptyContents } from '../../core/registry-contents.js';
import { RegistrarError } from '../../errors.js';
import type { RegistryContents } from '../../ports.js';

export interface RegistryArchiveLimits {
  /** Uncompressed bytes of the whole archive: past it the read stops with a `refused` (a maintainer raises it), never runs out of memory. */
  maxArchiveBytes: number;
  /** Bytes of one metadata file: a larger one is that package's problem (unreadable), not the run's. */
  maxFileBytes: number;
}

/**
 * 4 GiB of tar holds millions of small metadata files (about 1 KiB each, header and padding included); GitHub
 * itself refuses single files over 100 MB, and a metadata file of 16 MiB would hold tens of thousands of versions.
 */
export const DEFAULT_ARCHIVE_LIMITS: RegistryArchiveLimits = { maxArchiveBytes: 4 * 1024 ** 3, maxFileBytes: 16 * 1024 ** 2 };

const RETRY = 'Comment `/retry` on the issue (or run reconcile again) to try again.';

/**
 * The packages in a gzipped tar of the registry at commit `at` (GitHub's tarball: one top directory, then the
 * repository's tree). The archive counts as read only when gzip's trailer checked out and tar's end-of-archive
 * blocks arrived: a download cut anywhere else fails `transient`, so a missing file is always a file the commit lacks.
 */
export function readRegistryArchive(body: Readable, at: string, what: string,
  limits: RegistryArchiveLimits = DEFAULT_ARCHIVE_LIMITS, ecosystem?: Ecosystem): Promise<RegistryContents> {
  const contents = emptyContents(at);
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const parser = new Parser({ strict: true });
    let top: string | undefined;
    let total = 0;
    let sawEnd = false;
    let settled = false;
    const fail = (error: RegistrarError) => {
      if (settled) return;
      settled = true;
      body.destroy();
      gunzip.destroy();
      reject(error);
    };
    const broken = (why: string, cause?: unknown) =>
      fail(new RegistrarError('transient', `The registry archive GitHub sent when Registrar tried to ${what} is incomplete or corrupt: ${why}.`,
        RETRY, { cause, reason: 'network' }));

    parser.on('entry', (entry: ReadEntry) => {
      const path = entry.path;
      const slash = path.indexOf('/');
      const first = slash < 0 ? path : path.slice(0, slash);
      // Every entry sits under the archive's one top directory; anything else is not GitHub's tarball of a commit.
      if (top === undefined) top = first;
      if (first !== top) return broken(`the entry ${JSON.stringify(path.slice(0, 200))} is outside the top directory ${JSON.stringify(top)}`);
      const inner = slash < 0 ? '' : path.slice(slash + 1).replace(/\/+$/, '');
      const name = packageOfPath(inner, ecosystem);
      if (name === undefined) return entry.resume();
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
        addUnreadable(contents, name, `is a ${entry.type === 'SymbolicLink' ? 'symbolic link' : entry.type.toLowerCase()}, not a file`, ecosystem);
        return entry.resume();
      }
      if ((entry.size ?? 0) > limits.maxFileBytes) {
        addUnreadable(contents, name, `is ${entry.size} bytes, more than the ${limits.maxFileBytes} bytes a metadata file may have`, ecosystem);
        return entry.resume();
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => addFile(contents, name, Buffer.concat(chunks).toString('utf8'), ecosystem));
    });
    // git archive writes the commit it archived as the global header's comment: a tarball of another commit is not this snapshot.
    parser.on('meta', (meta: string) => {
      const comment = /(?:^|\n)\d+ comment=([^\n]*)\n/.exec(meta)?.[1];
      if (comment !== undefined && /^[0-9a-f]{40}$/.test(comment) && comment !== at) {
        broken(`it is the tree of commit ${comment.slice(0, 12)}, not of ${at.slice(0, 12)}`);
      }
    });
    parser.on('eof', () => { sawEnd = true; });
    parser.on('warn', (code: string, message: string | Error) => broken(`${code} ${String(message)}`));
    parser.on('error', (error: Error) => broken(error.message, error));
    parser.on('end', () => {
      if (settled) return;
      if (!sawEnd) return broken('the tar stream ends without its end-of-archive blocks');
      settled = true;
      resolve(contents);
    });

    body.on('error', (error) => broken(`the download failed (${error.message})`, error));
    gunzip.on('error', (error) => broken(`gzip: ${error.message}`, error));
    gunzip.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limits.maxArchiveBytes) {
        return fail(new RegistrarError('refused', `The registry archive is larger than ${limits.maxArchiveBytes} bytes uncompressed when Registrar tried to ${what}.`,
          'Raise the archive limit of the registry adapter, or keep files other than metadata out of the registry repository.', { reason: 'configuration' }));
      }
      // Honour the parser's back-pressure, so a slow parse holds the download rather than buffering it.
      if (!parser.write(chunk)) {
        gunzip.pause();
        parser.once('drain', () => gunzip.resume());
      }
    });
    gunzip.on('end', () => { if (!settled) parser.end(); });
    body.pipe(gunzip);
  });
}
