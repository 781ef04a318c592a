// Drives the git CLI on one bare repository: objects, path-wise tree updates, compare-and-swap ref moves.
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export const ZERO_OID = '0000000000000000000000000000000000000000';
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export type FileMode = '100644' | '100755' | '120000';

/** A change to one path: new blob content and mode, or null to delete it. */
export type PathChange = { content: Buffer; mode: FileMode } | null;

export interface Identity {
  name: string;
  email: string;
  /** Defaults to now. */
  date?: Date;
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  name: string;
}

export interface ParsedCommit {
  tree: string;
  parents: string[];
  author: Identity & { date: Date };
  committer: Identity & { date: Date };
  message: string;
}

export interface ParsedTag {
  object: string;
  type: string;
  tag: string;
  tagger: Identity & { date: Date };
  message: string;
}

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    message: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

// A fixed, config-free environment: the host's ~/.gitconfig must not change objects or hooks.
const BASE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env['PATH'],
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  LANG: 'C',
  LC_ALL: 'C',
};

function gitDate(date: Date): string {
  return `${Math.floor(date.getTime() / 1000)} +0000`;
}

function parseIdentity(line: string): Identity & { date: Date } {
  const match = /^(.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) throw new Error(`unparseable git identity: ${line}`);
  return { name: match[1]!, email: match[2]!, date: new Date(Number(match[3]) * 1000) };
}

/** Splits a raw commit or tag object into its header lines and its message. */
function splitObject(raw: string): { headers: Array<[string, string]>; message: string } {
  const blank = raw.indexOf('\n\n');
  const head = blank === -1 ? raw : raw.slice(0, blank);
  const message = blank === -1 ? '' : raw.slice(blank + 2);
  const headers: Array<[string, string]> = [];
  for (const line of head.split('\n')) {
    // Continuation lines (a gpgsig block) belong to the previous header and are not needed here.
    if (line.startsWith(' ')) continue;
    const space = line.indexOf(' ');
    headers.push([line.slice(0, space), line.slice(space + 1)]);
  }
  return { headers, message };
}

export class GitRepo {
  // Serialises ref updates in this process, so that the compare-and-swap (not a lock-file collision
  // between two of our own update-ref calls) decides which of two racing writers lands.
  private refQueue: Promise<unknown> = Promise.resolve();

  constructor(public dir: string) {}

  static async initBare(dir: string, defaultBranch: string): Promise<GitRepo> {
    await runGit(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, dir]);
    return new GitRepo(dir);
  }

  run(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv } = {}): Promise<Buffer> {
    return runGit(['--git-dir', this.dir, ...args], options);
  }

  async text(args: string[], input?: Buffer | string): Promise<string> {
    return (await this.run(args, input === undefined ? {} : { input })).toString('utf8');
  }

  async writeBlob(content: Buffer): Promise<string> {
    return (await this.text(['hash-object', '-w', '--stdin'], content)).trim();
  }

  async readObject(sha: string): Promise<Buffer> {
    const type = await this.objectType(sha);
    if (!type) throw new GitError(`no object ${sha}`, 128, '');
    return this.run(['cat-file', type, sha]);
  }

  /** The object's type, or undefined when the repository does not hold it. */
  async objectType(sha: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
    try {
      return (await this.text(['cat-file', '-t', sha])).trim();
    } catch {
      return undefined;
    }
  }

  async lsTree(tree: string): Promise<TreeEntry[]> {
    const out = await this.text(['ls-tree', '-z', tree]);
    return out
      .split('\0')
      .filter(Boolean)
      .map((record) => {
        const tab = record.indexOf('\t');
        const [mode, type, sha] = record.slice(0, tab).split(' ') as [string, TreeEntry['type'], string];
        return { mode, type, sha, name: record.slice(tab + 1) };
      });
  }

  /**
   * A tree's entries with their full paths and blob sizes, in git's order: one level, or (`recursive`) every
   * subtree too, each tree entry before what it holds (`git ls-tree -r -t`), as GitHub's trees API lists them.
   */
  async lsTreeDetailed(tree: string, recursive: boolean): Promise<Array<TreeEntry & { path: string; size: number | undefined }>> {
    const out = await this.text(['ls-tree', '-z', '-l', ...(recursive ? ['-r', '-t'] : []), tree]);
    return out
      .split('\0')
      .filter(Boolean)
      .map((record) => {
        const tab = record.indexOf('\t');
        // `-l` pads the size column with spaces: "<mode> <type> <sha> <size>\t<path>", size `-` for non-blobs.
        const [mode, type, sha, size] = record.slice(0, tab).split(/ +/) as [string, TreeEntry['type'], string, string];
        const path = record.slice(tab + 1);
        return { mode, type, sha, name: path.slice(path.lastIndexOf('/') + 1), path, size: type === 'blob' ? Number(size) : undefined };
      });
  }

  /** The tree a tree, commit or (annotated) tag object names, or undefined. */
  async peelToTree(sha: string): Promise<string | undefined> {
    if (!(await this.objectType(sha))) return undefined;
    try {
      return (await this.text(['rev-parse', '--verify', '--quiet', `${sha}^{tree}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** The entry at `path` inside a commit or tree, or undefined. */
  async entryAt(treeish: string, path: string): Promise<TreeEntry | undefined> {
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 0) {
      const tree = (await this.text(['rev-parse', '--verify', '--quiet', `${treeish}^{tree}`])).trim();
      return { mode: '040000', type: 'tree', sha: tree, name: '' };
    }
    let tree = `${treeish}^{tree}`;
    let entry: TreeEntry | undefined;
    for (const part of parts) {
      if (entry && entry.type !== 'tree') return undefined;
      entry = (await this.lsTree(entry ? entry.sha : tree)).find((e) => e.name === part);
      if (!entry) return undefined;
      tree = entry.sha;
    }
    return entry;
  }

  async mktree(entries: TreeEntry[]): Promise<string> {
    const input = entries.map((e) => `${e.mode} ${e.type} ${e.sha}\t${e.name}\0`).join('');
    return (await this.text(['mktree', '-z'], input)).trim();
  }

  /**
   * Applies path changes to a tree, rewriting only the trees along the changed paths (one ls-tree and
   * one mktree per touched directory), so the cost does not grow with the size of the repository.
   */
  async updateTree(baseTree: string | undefined, changes: Map<string, PathChange>): Promise<string> {
    const blobs = new Map<string, { sha: string; mode: FileMode } | null>();
    await Promise.all(
      [...changes].map(async ([path, change]) => {
        blobs.set(path, change ? { sha: await this.writeBlob(change.content), mode: change.mode } : null);
      }),
    );
    const items = [...blobs].map(([path, blob]) => ({ parts: path.split('/').filter(Boolean), blob }));
    return (await this.rewriteTree(baseTree, items)) ?? (await this.mktree([]));
  }

  private async rewriteTree(
    tree: string | undefined,
    items: Array<{ parts: string[]; blob: { sha: string; mode: FileMode } | null }>,
  ): Promise<string | undefined> {
    const entries = new Map<string, TreeEntry>();
    if (tree) for (const e of await this.lsTree(tree)) entries.set(e.name, e);
    const nested = new Map<string, typeof items>();
    for (const item of items) {
      const [first, ...rest] = item.parts as [string, ...string[]];
      if (rest.length === 0) {
        if (item.blob) entries.set(first, { mode: item.blob.mode, type: 'blob', sha: item.blob.sha, name: first });
        else entries.delete(first);
      } else {
        nested.set(first, [...(nested.get(first) ?? []), { parts: rest, blob: item.blob }]);
      }
    }
    await Promise.all(
      [...nested].map(async ([name, subItems]) => {
        const existing = entries.get(name);
        const sub = await this.rewriteTree(existing?.type === 'tree' ? existing.sha : undefined, subItems);
        // Git has no empty directories: a subtree whose last file went away disappears, as on GitHub.
        if (sub) entries.set(name, { mode: '040000', type: 'tree', sha: sub, name });
        else entries.delete(name);
      }),
    );
    if (entries.size === 0) return undefined;
    return this.mktree([...entries.values()]);
  }

  async commitTree(tree: string, parents: string[], message: string, author: Identity, committer: Identity): Promise<string> {
    const env: NodeJS.ProcessEnv = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: gitDate(author.date ?? new Date()),
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: gitDate(committer.date ?? new Date()),
    };
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'];
    const text = message.endsWith('\n') ? message : `${message}\n`;
    return (await this.run(args, { input: text, env })).toString('utf8').trim();
  }

  async mktag(object: string, type: string, name: string, tagger: Identity, message: string): Promise<string> {
    const text = `object ${object}\ntype ${type}\ntag ${name}\ntagger ${tagger.name} <${tagger.email}> ${gitDate(
      tagger.date ?? new Date(),
    )}\n\n${message.endsWith('\n') ? message : `${message}\n`}`;
    return (await this.text(['mktag'], text)).trim();
  }

  /**
   * Moves `ref` to `newSha` only if it is exactly `expected` now (ZERO_OID: only if it does not exist).
   * Returns false when it was not.
   */
  updateRef(ref: string, newSha: string, expected: string): Promise<boolean> {
    const attempt = this.refQueue.then(async () => {
      try {
        await this.run(['update-ref', ref, newSha, expected]);
        return true;
      } catch (error) {
        if (error instanceof GitError) return false;
        throw error;
      }
    });
    this.refQueue = attempt.catch(() => undefined);
    return attempt;
  }

  /** The exact ref (no abbreviation, no revision syntax) and its object, or undefined. */
  async ref(fullName: string): Promise<{ sha: string; type: string; peeled: string | undefined } | undefined> {
    const out = await this.text([
      'for-each-ref',
      '--format=%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)',
      fullName,
    ]);
    for (const line of out.split('\n')) {
      const [name, sha, type, peeled] = line.split('\0');
      if (name === fullName && sha && type) return { sha, type, peeled: peeled || undefined };
    }
    return undefined;
  }

  /**
   * Every ref whose full name starts with `prefix` (any string: `refs/heads/fea` too), in git's sorted order.
   * The prefix is matched here, not by for-each-ref, whose patterns only match whole path components.
   */
  async listRefs(prefix: string): Promise<Array<{ name: string; sha: string; type: string }>> {
    const out = await this.text(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(objecttype)']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', sha = '', type = ''] = line.split('\0');
        return { name, sha, type };
      })
      .filter((ref) => ref.name.startsWith(prefix));
  }

  /** A blob's size in bytes, without reading it. */
  async blobSize(sha: string): Promise<number> {
    return Number((await this.text(['cat-file', '-s', sha])).trim());
  }

  /** Resolves what GitHub accepts as a `ref` parameter: a full commit SHA, a branch or a tag name. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    if (/^[0-9a-f]{40}$/.test(ref)) return (await this.objectType(ref)) === 'commit' ? ref : undefined;
    for (const full of [`refs/heads/${ref}`, `refs/tags/${ref}`, ref.startsWith('refs/') ? ref : undefined]) {
      if (!full) continue;
      const found = await this.ref(full);
      if (!found) continue;
      const sha = found.peeled ?? found.sha;
      if ((await this.objectType(sha)) === 'commit') return sha;
    }
    return undefined;
  }

  async parseCommit(sha: string): Promise<ParsedCommit> {
    const { headers, message } = splitObject(await this.text(['cat-file', 'commit', sha]));
    const get = (key: string) => headers.find(([k]) => k === key)?.[1] ?? '';
    return {
      tree: get('tree'),
      parents: headers.filter(([k]) => k === 'parent').map(([, v]) => v),
      author: parseIdentity(get('author')),
      committer: parseIdentity(get('committer')),
      message,
    };
  }

  async parseTag(sha: string): Promise<ParsedTag> {
    const { headers, message } = splitObject(await this.text(['cat-file', 'tag', sha]));
    const get = (key: string) => headers.find(([k]) => k === key)?.[1] ?? '';
    return { object: get('object'), type: get('type'), tag: get('tag'), tagger: parseIdentity(get('tagger')), message };
  }

  /** An uncompressed tar of the commit, every path under `prefix`, exactly as `git archive` writes it. */
  archiveTar(commit: string, prefix: string): Promise<Buffer> {
    return this.run(['archive', '--format=tar', `--prefix=${prefix}`, commit]);
  }

  /**
   * The same tar as archiveTar, as a stream straight from git: a registry of 100,000 files is a tar of ~100 MB,
   * which a test server should pass on rather than hold. A git failure shows as an error on the stream.
   */
  archiveStream(commit: string, prefix: string): Readable {
    const child = spawn('git', ['--git-dir', this.dir, 'archive', '--format=tar', `--prefix=${prefix}`, commit],
      { env: BASE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('close', (code) => {
      if (code !== 0) child.stdout.destroy(new GitError(`git archive ${commit} failed: ${stderr.trim()}`, code, stderr));
    });
    return child.stdout;
  }

  async fsck(): Promise<void> {
    await this.run(['fsck', '--strict', '--no-progress']);
  }
}

function runGit(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { env: { ...BASE_ENV, ...options.env }, encoding: 'buffer', maxBuffer: 1 << 30 },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new GitError(`git ${args.join(' ')} failed: ${stderr.toString('utf8').trim()}`, code, stderr.toString('utf8')));
        } else resolve(stdout);
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}
