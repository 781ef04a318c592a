// A registry snapshot assembled file by file: each metadata file parsed, a file that cannot be read recorded for a person rather than failing the whole read.
import { RegistrarError, conflict } from '../errors.js';
import { DEFAULT_ECOSYSTEM, type Ecosystem } from './ecosystem.js';
import { metadataPath, parseMetadata } from './metadata.js';
import type { PackageMetadata } from './types.js';

/** The registry's packages as of one commit. */
export interface RegistryContents {
  /** The commit SHA the contents are of. */
  at: string;
  /** Every package whose metadata file at that commit reads and parses, by name (the ecosystem's canonical form: see packageIn). */
  packages: Map<string, PackageMetadata>;
  /**
   * Packages whose file is there but cannot be read as metadata (corrupt JSON, a schema break, a directory where the
   * file belongs), each with its `conflict`: a person's job, judged package by package, never a failure of the whole read.
   */
  unreadable: Map<string, RegistrarError>;
}

export function emptyContents(at: string): RegistryContents {
  return { at, packages: new Map(), unreadable: new Map() };
}

/** Parses one package's file into the snapshot; a corrupt one becomes that package's `conflict`, as a single read reports it. */
export function addFile(contents: RegistryContents, name: string, text: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): void {
  try {
    contents.packages.set(name, parseMetadata(text, name, ecosystem));
  } catch (error) {
    if (!(error instanceof RegistrarError)) throw error;
    contents.unreadable.set(name, error);
  }
}

/** Records a package whose path holds something other than a readable file (a directory, a link, a file over the size cap). */
export function addUnreadable(contents: RegistryContents, name: string, what: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): void {
  contents.packages.delete(name);
  contents.unreadable.set(name, conflict(`The registry path ${metadataPath(name, ecosystem)} at ${contents.at.slice(0, 12)} ${what}.`,
    'A registry maintainer must repair the file; Registrar will not overwrite it.'));
}

/**
 * The metadata of exactly the package `name` (a name read from a storage key): looked up by its canonical form,
 * and only when the file names this very spelling — a key under another spelling of a crates name is not this package's.
 */
export function packageIn(contents: Pick<RegistryContents, 'packages'>, name: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): PackageMetadata | undefined {
  const metadata = contents.packages.get(ecosystem.canonicalName(name));
  return metadata?.name === name ? metadata : undefined;
}
