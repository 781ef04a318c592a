// Caps on what a source archive may cost us to read, so hostile archives fail fast instead of exhausting the runner.

/** Every cap is checked while the archive streams in; the first one crossed aborts the read with a refusal. */
export interface Limits {
  /** Compressed bytes received, counted as they arrive (a Content-Length header is never trusted). */
  archiveBytes: number;
  /** Decompressed tar bytes (headers, padding and skipped entries included). */
  unpackedBytes: number;
  /** Largest allowed unpacked/compressed ratio; see RATIO_FLOOR_BYTES for when it starts to apply. */
  ratio: number;
  /** Entries inside the package (files and directories); entries outside a selected subdir are not counted. */
  entries: number;
  /** Size of one file in the package. */
  fileBytes: number;
  /** Length of a package-relative path, in characters (Unicode code points). */
  pathLength: number;
  /** Number of segments of a package-relative path (`a/b/c` has depth 3). */
  pathDepth: number;
  /** Size of one pax / GNU long-name metadata record. */
  paxBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  archiveBytes: 50 * MiB,
  unpackedBytes: 200 * MiB,
  ratio: 100,
  entries: 10_000,
  fileBytes: 20 * MiB,
  pathLength: 255,
  pathDepth: 32,
  paxBytes: 64 * 1024,
});

/**
 * The ratio cap applies only once this many bytes were unpacked: tar headers and padding compress extremely well,
 * so a small, honest archive of many tiny files can briefly exceed any sensible ratio, while a bomb cannot do harm
 * before it has produced a meaningful amount of output.
 */
export const RATIO_FLOOR_BYTES = 1 * MiB;
