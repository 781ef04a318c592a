// Progress on long work for the terminal: counts kept as the ports are called, shown as one line every few seconds (never one per item).
import { Transform, type Readable } from 'node:stream';
import type { RegistryHistory, Source, Storage } from '../ports.js';

/** Counters shown together on one line, at most once per interval. */
export class Progress {
  private readonly counts = new Map<string, number>();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly label: string, private readonly write: (line: string) => void, private readonly intervalMs: number) {}

  add(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.show(), this.intervalMs);
      // The work decides when the process exits, never this timer.
      this.timer.unref();
    }
  }

  /** The last line, once the work is done (only when something was counted). */
  stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.show();
    }
  }

  private show(): void {
    const parts = [...this.counts].map(([what, n]) => `${Math.round(n)} ${what}`);
    this.write(`${this.label}: ${parts.join(', ')} (${Math.round((Date.now() - this.started) / 1000)} s)\n`);
  }
}

/** Storage whose reads and writes are counted (the pipeline sees the same port). */
export function countedStorage(storage: Storage, progress: Progress): Storage {
  const counted = <A extends unknown[], R>(what: string, call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const result = await call(...args);
    progress.add(what);
    return result;
  };
  return {
    name: storage.name,
    put: counted('objects written', storage.put.bind(storage)),
    head: counted('objects looked at', storage.head.bind(storage)),
    read: counted('objects read', storage.read.bind(storage)),
    digest: counted('objects hashed', storage.digest.bind(storage)),
    copy: counted('objects copied', storage.copy.bind(storage)),
    delete: counted('objects deleted', storage.delete.bind(storage)),
    list: async (prefix: string) => {
      const objects = await storage.list(prefix);
      progress.add('objects listed', objects.length);
      return objects;
    },
    publicUrl: storage.publicUrl.bind(storage),
  };
}

/** A registry history whose metadata reads are counted. */
export function countedHistory(history: RegistryHistory, progress: Progress): RegistryHistory {
  return {
    head: () => history.head(),
    readPackage: async (name, at) => {
      const metadata = await history.readPackage(name, at);
      progress.add('metadata files read');
      return metadata;
    },
    packagesAt: (at) => history.packagesAt(at),
    commitsTouchingMetadata: () => history.commitsTouchingMetadata(),
    changedPackages: async (commit) => {
      const names = await history.changedPackages(commit);
      progress.add('commits walked');
      return names;
    },
  };
}

/** A source whose archive download is counted in bytes as it flows. */
export function countedSource(source: Source, progress: Progress): Source {
  return {
    repository: (owner, repo) => source.repository(owner, repo),
    resolveTag: (owner, repo, tag) => source.resolveTag(owner, repo, tag),
    archive: async (owner, repo, commit): Promise<Readable> => {
      const stream = await source.archive(owner, repo, commit);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          progress.add('bytes of source downloaded', chunk.length);
          done(null, chunk);
        },
      });
      stream.on('error', (error) => counter.destroy(error));
      return stream.pipe(counter);
    },
  };
}
