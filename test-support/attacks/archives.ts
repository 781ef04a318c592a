// Hostile source archives, built byte by byte (no honest tool makes them), shaped like GitHub's: a pax global header with the commit id and one top directory.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { githubArchive, tarOf, type TestEntry } from '../../__tests__/fixtures/archive-builder.js';

export type { TestEntry };

export const HOSTILE = { owner: 'hostile', repo: 'archive', id: 8700, name: 'hostile-pkg', version: '1.0.0' } as const;

export const manifestOf = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ name: HOSTILE.name, version: HOSTILE.version, license: 'MIT', ...fields }, null, 2) + '\n';

/** GitHub's top directory for an archive of `owner/repo` at `commit`. */
export const topOf = (commit: string) => `${HOSTILE.owner}-${HOSTILE.repo}-${commit.slice(0, 7)}`;

/**
 * A package archive: a valid manifest and index.js, plus the hostile entries. `manifest: null` leaves the manifest
 * out; a string replaces it.
 */
export function packageArchive(commit: string, entries: TestEntry[], options: { manifest?: string | null; top?: string } = {}): Buffer {
  const base: TestEntry[] = [];
  if (options.manifest !== null) base.push({ path: 'package.json', body: options.manifest ?? manifestOf() });
  base.push({ path: 'index.js', body: 'export const hostile = true;\n' });
  return githubArchive([...base, ...entries], { top: options.top ?? topOf(commit), globalPax: { comment: commit } });
}

/** An archive written from raw entries (paths as given, no top directory added). */
export function rawArchive(commit: string, entries: TestEntry[]): Buffer {
  return gzipSync(tarOf(entries, { globalPax: { comment: commit } }));
}

/** A GNU long-name record ('L') naming the next entry, then that entry. */
export function gnuLongName(path: string, entry: TestEntry): TestEntry[] {
  return [{ path: '././@LongLink', kind: 'file', typeflag: 'L', body: `${path}\0`, mode: 0o644 }, entry];
}

/** Incompressible bytes (hex of random bytes compresses only about 2:1), for a file over the size cap that no ratio cap stops first. */
export function incompressible(bytes: number): Buffer {
  return Buffer.from(randomBytes(Math.ceil(bytes / 2)).toString('hex').slice(0, bytes));
}

/** `count` tiny files, for the entry-count cap. */
export function manyFiles(count: number): TestEntry[] {
  return Array.from({ length: count }, (_, i) => ({ path: `f/${Math.floor(i / 1000)}/${i}.js`, body: '' }));
}
