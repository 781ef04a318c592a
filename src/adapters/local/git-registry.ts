// A Registry (and RegistryHistory) over a local git repository — bare or a full clone — driven by the git CLI: reads by SHA, compare-and-swap commits with git plumbing.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Ecosystem } from '../../core/ecosystem.js';
import { metadataPath, packageOfPath, parseMetadata } from '../../core/metadata.js';
import { addFile, addUnreadable, emptyContents } from '../../core/registry-contents.js';
import type { PackageMetadata } from '../../core/types.js';
import { RegistrarError, conflict, notFound, transient } from '../../errors.js';
import type { FileChange, Registry, RegistryCommit, RegistryContents, RegistryHistory, Snapshot } from '../../ports.js';

export interface GitRegistryConfig {
  /** The repository: a bare repository, or the working tree of a clone (e.g. actions/checkout with fetch-depth: 0). */
  path: string;
  /** The registry branch; `main` unless given. Read from `refs/heads/<branch>`, else `refs/remotes/origin/<branch>`. */
  branch?: string;
  /** Web address of the repository (e.g. https://github.com/owner/repo) for commit links; absent = links name the SHA only. */
  webUrl?: string;
  /** The registry's ecosystem: how names map to metadata paths (default: the default preset). */
  ecosystem?: Ecosystem;
}

const SHA = /^[0-9a-f]{40}$/;
const GIT_OUTPUT_LIMIT = 512 * 1024 * 1024;

function git(path: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['-C', path, ...args], { maxBuffer: GIT_OUTPUT_LIMIT, encoding: 'utf8', ...(options.env ? { env: options.env } : {}) },
      (error, stdout, stderr) => {
        if (error) {
          const detail = String(stderr || error.message).trim().split('\n')[0] ?? '';
          reject(new RegistrarError('not-found', `git ${args[0] ?? ''} in ${path} failed: ${detail}`, undefined, { cause: error }));
        } else {
          resolve(stdout);
        }
      });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Who a commit is by when git has no identity configured (a fresh machine): the commit still says what Registrar did. */
const FALLBACK_IDENTITY = { GIT_AUTHOR_NAME: 'Registrar', GIT_AUTHOR_EMAIL: 'registrar@localhost', GIT_COMMITTER_NAME: 'Registrar', GIT_COMMITTER_EMAIL: 'registrar@localhost' };

/** `git commit-tree`, with the fallback identity only when git has none of its own. */
async function commitTree(path: string, tree: string, parents: string[], message: string): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  try {
    return (await git(path, args, { input: message })).trim();
  } catch (error) {
    if (!/identity|ident|user\.email|user\.name/i.test((error as Error).message)) throw error;
    return (await git(path, args, { input: message, env: { ...process.env, ...FALLBACK_IDENTITY } })).trim();
  }
}

/**
 * Makes `path` a registry repository when it is missing or an empty directory: a bare repository whose `branch` has
 * one initial commit (a README). Returns whether it created one. A path holding anything else is left alone
 * (GitRegistry then reads it, or says why it cannot). The repository is built beside `path` and renamed into place
 * in one step, so two commands starting at once never see half a repository: one rename wins, the other uses it.
 */
export async function initRegistryRepository(path: string, branch = 'main'): Promise<boolean> {
  if (!(await vacant(path))) return false;
  const parent = dirname(resolve(path));
  await mkdir(parent, { recursive: true });
  const building = await mkdtemp(join(parent, `.${basename(resolve(path))}.registrar-init-`));
  try {
    await git(building, ['init', '--quiet', '--bare', `--initial-branch=${branch}`]);
    const readme = (await git(building, ['hash-object', '-w', '--stdin'], {
      input: '# Package registry\n\nOne metadata file per package under `metadata/`, written by Registrar.\n',
    })).trim();
    const tree = (await git(building, ['mktree', '-z'], { input: `100644 blob ${readme}\tREADME.md\0` })).trim();
    const commit = await commitTree(building, tree, [], 'Start the registry\n');
    await git(building, ['update-ref', `refs/heads/${branch}`, commit, '0'.repeat(40)]);
    try {
      // rename(2) replaces a missing or empty directory, and fails on one that another command has just filled.
      await rename(building, path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw error;
    }
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

async function vacant(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

export { packageOfPath };

interface Pending {
  resolve(value: Buffer | undefined): void;
  reject(error: unknown): void;
}

/**
 * One long-lived `git cat-file --batch`: a blob read costs a line written and a reply parsed rather than a
 * process spawned, which is what makes reading 1,000+ metadata files (at every commit of the history) fast.
 */
class CatFile {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly queue: Pending[] = [];
  private failure: Error | undefined;

  constructor(private readonly path: string) {}

  read(rev: string): Promise<Buffer | undefined> {
    if (/[\r\n]/.test(rev)) return Promise.reject(new TypeError(`a git revision with a line break: ${JSON.stringify(rev)}`));
    if (this.failure) return Promise.reject(this.failure);
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      child.stdin.write(`${rev}\n`);
    });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', ['-C', this.path, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (why: string) => {
      this.failure = transient(`git cat-file in ${this.path} stopped: ${why}`);
      for (const pending of this.queue.splice(0)) pending.reject(this.failure);
      if (this.child === child) this.child = undefined;
    };
    child.on('error', (error) => fail(error.message));
    child.on('close', (code) => {
      if (this.queue.length > 0) fail(`exit ${String(code)} ${stderr.trim()}`);
      else if (this.child === child) this.child = undefined;
    });
    this.child = child;
    return child;
  }

  /** Replies come in request order: `<sha> <type> <size>\n<content>\n`, or `<rev> missing\n` / `<rev> ambiguous\n`. */
  private drain(): void {
    for (;;) {
      const pending = this.queue[0];
      if (!pending) return;
      const eol = this.buffer.indexOf(0x0a);
      if (eol < 0) return;
      const header = this.buffer.subarray(0, eol).toString('utf8');
      if (/ (missing|ambiguous)$/.test(header)) {
        this.buffer = this.buffer.subarray(eol + 1);
        this.queue.shift();
        pending.resolve(undefined);
        continue;
      }
      const size = Number(/^[0-9a-f]+ [a-z]+ (\d+)$/.exec(header)?.[1] ?? NaN);
      if (!Number.isSafeInteger(size)) {
        this.queue.shift();
        pending.reject(transient(`git cat-file in ${this.path} answered an unexpected line: ${JSON.stringify(header.slice(0, 120))}`));
        this.buffer = Buffer.alloc(0);
        continue;
      }
      if (this.buffer.length < eol + 1 + size + 1) return;
      const content = Buffer.from(this.buffer.subarray(eol + 1, eol + 1 + size));
      this.buffer = this.buffer.subarray(eol + 1 + size + 1);
      this.queue.shift();
      pending.resolve(content);
    }
  }
}

export class GitRegistry implements Registry, RegistryHistory {
  private readonly branch: string;
  private readonly catFile: CatFile;
  /** First-parent commits touching metadata/, oldest first, with the packages each changed: one walk, cached. */
  private walk: Promise<{ commits: string[]; changed: Map<string, string[]> }> | undefined;

  constructor(private readonly config: GitRegistryConfig) {
    this.branch = config.branch ?? 'main';
    this.catFile = new CatFile(config.path);
  }

  async head(): Promise<string> {
    for (const ref of [`refs/heads/${this.branch}`, `refs/remotes/origin/${this.branch}`]) {
      try {
        const sha = (await git(this.config.path, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
        if (SHA.test(sha)) return sha;
      } catch {
        // not this ref; try the next
      }
    }
    throw notFound(`The git repository ${this.config.path} has no branch ${this.branch} (looked for refs/heads/ and refs/remotes/origin/).`,
      'Pass the registry branch, and clone with all history (actions/checkout with fetch-depth: 0).');
  }

  /** A local repository cannot lag: the head and a read at it are one consistent view. */
  async snapshot(name: string): Promise<Snapshot> {
    const head = await this.head();
    return { head, metadata: await this.readPackage(name, head) };
  }

  async readPackage(name: string, at: string): Promise<PackageMetadata | undefined> {
    const path = metadataPath(name, this.config.ecosystem);
    assertSha(at);
    const blob = await this.catFile.read(`${at}:${path}`);
    return blob === undefined ? undefined : parseMetadata(blob.toString('utf8'), name, this.config.ecosystem);
  }

  /**
   * A compare-and-swap commit with git plumbing: blobs written with `hash-object -w`, only the trees on the changed
   * paths rewritten (`ls-tree` + `mktree` per level, so a commit costs the same in a registry of any size),
   * `commit-tree` on `expectedHead`, then `update-ref` from exactly `expectedHead`: git moves the branch only if it
   * is still there (atomic), so a branch that moved meanwhile is a `conflict` and nothing changes.
   */
  async commit(changes: FileChange[], message: string, expectedHead: string): Promise<RegistryCommit> {
    assertSha(expectedHead);
    try {
      return await this.commitOn(changes, message, expectedHead);
    } catch (error) {
      // git failing to write (a full disk, a lock, permissions) says nothing about the request: the attempt failed.
      if (error instanceof RegistrarError && error.kind === 'not-found') {
        throw new RegistrarError('transient', error.message, 'Run the command again once git can write to the repository.', { cause: error });
      }
      throw error;
    }
  }

  private async commitOn(changes: FileChange[], message: string, expectedHead: string): Promise<RegistryCommit> {
    // A checkout made by CI may hold the branch only as origin's: commits go to a local branch, which must exist.
    const local = await git(this.config.path, ['rev-parse', '--verify', '--quiet', `refs/heads/${this.branch}`]).catch(() => '');
    if (local.trim() === '') {
      throw new RegistrarError('refused', `The git repository ${this.config.path} has no local branch ${this.branch} to commit to.`,
        `Create it (\`git -C ${this.config.path} branch ${this.branch} origin/${this.branch}\`), or point --registry at the registry repository itself.`,
        { reason: 'configuration' });
    }
    const root = (await git(this.config.path, ['rev-parse', '--verify', `${expectedHead}^{tree}`])).trim();
    const edits = new Map<string, string | null>();
    for (const change of changes) {
      // `%` for a scoped npm name's file (`@scope%2fname.json`), the one escape metadataPath writes.
      if (!/^(?:[A-Za-z0-9@%._-]+\/)*[A-Za-z0-9@%._-]+$/.test(change.path) || change.path.split('/').some((s) => s === '.' || s === '..')) {
        throw new TypeError(`a registry path that is not plain: ${JSON.stringify(change.path.slice(0, 120))}`);
      }
      edits.set(change.path, change.content === null ? null : await this.writeBlob(change.content));
    }
    const tree = await this.rewriteTree(root, edits);
    const sha = await commitTree(this.config.path, tree ?? await this.emptyTree(), [expectedHead], message);
    try {
      await git(this.config.path, ['update-ref', '-m', 'registrar: commit', `refs/heads/${this.branch}`, sha, expectedHead]);
    } catch (error) {
      const now = await this.head().catch(() => undefined);
      if (now !== expectedHead) {
        throw new RegistrarError('conflict', `The registry branch ${this.branch} moved from ${expectedHead.slice(0, 12)} to ${now?.slice(0, 12) ?? 'nowhere'}; nothing was committed.`,
          undefined, { cause: error, reason: 'stale' });
      }
      throw transient(`git update-ref in ${this.config.path} failed: ${(error as Error).message}`, error);
    }
    return { sha, url: this.commitUrl(sha) };
  }

  private async writeBlob(content: string): Promise<string> {
    return (await git(this.config.path, ['hash-object', '-w', '--stdin'], { input: content })).trim();
  }

  private async emptyTree(): Promise<string> {
    return (await git(this.config.path, ['mktree', '-z'], { input: '' })).trim();
  }

  /**
   * The tree `tree` (undefined: none yet) with `edits` applied (paths relative to it; a blob SHA, or null to delete).
   * Returns undefined when nothing is left in it, so a directory emptied by a delete disappears as git would have it.
   */
  private async rewriteTree(tree: string | undefined, edits: Map<string, string | null>): Promise<string | undefined> {
    const entries = new Map<string, string>();
    if (tree !== undefined) {
      const out = await git(this.config.path, ['ls-tree', '-z', tree]);
      for (const record of out.split('\0').filter(Boolean)) {
        const tab = record.indexOf('\t');
        entries.set(record.slice(tab + 1), record.slice(0, tab));
      }
    }
    const below = new Map<string, Map<string, string | null>>();
    for (const [path, blob] of edits) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        if (blob === null) entries.delete(path);
        else entries.set(path, `100644 blob ${blob}`);
        continue;
      }
      const dir = path.slice(0, slash);
      if (!below.has(dir)) below.set(dir, new Map());
      below.get(dir)!.set(path.slice(slash + 1), blob);
    }
    for (const [dir, inner] of below) {
      const existing = entries.get(dir);
      const [, type, object] = existing?.split(' ') ?? [];
      if (existing !== undefined && type !== 'tree') throw conflict(`The registry has a file where the directory ${dir} belongs; nothing was committed.`);
      const rewritten = await this.rewriteTree(type === 'tree' ? object : undefined, inner);
      if (rewritten === undefined) entries.delete(dir);
      else entries.set(dir, `040000 tree ${rewritten}`);
    }
    if (entries.size === 0) return undefined;
    const input = [...entries].map(([name, head]) => `${head}\t${name}\0`).join('');
    return (await git(this.config.path, ['mktree', '-z'], { input })).trim();
  }

  /**
   * Every package at `at` with two processes whatever the registry's size: one `git ls-tree` names every file under
   * metadata/ (trees too, so a directory where a file belongs is seen), and the long-lived `cat-file --batch` reads them.
   */
  async packagesAt(at: string): Promise<RegistryContents> {
    assertSha(at);
    const out = await git(this.config.path, ['ls-tree', '-r', '-t', '-z', '--full-tree', at, '--', 'metadata/']);
    const contents = emptyContents(at);
    const reads: Array<Promise<void>> = [];
    for (const record of out.split('\0')) {
      // `<mode> <type> <object>\t<path>`
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(record);
      const name = match ? packageOfPath(match[4]!, this.config.ecosystem) : undefined;
      if (!match || name === undefined) continue;
      const [, mode, type, object] = match as unknown as [string, string, string, string];
      if (type !== 'blob' || mode === '120000') {
        addUnreadable(contents, name, `is a ${mode === '120000' ? 'symbolic link' : type === 'commit' ? 'submodule' : 'directory'}, not a file`, this.config.ecosystem);
        continue;
      }
      reads.push(this.catFile.read(object).then((blob) => {
        // ls-tree just named this blob: a repository that lacks it is damaged, not a registry without the package.
        if (blob === undefined) throw transient(`git cat-file in ${this.config.path} lacks blob ${object} that ${at.slice(0, 12)} names.`);
        addFile(contents, name, blob.toString('utf8'), this.config.ecosystem);
      }));
    }
    await Promise.all(reads);
    return contents;
  }

  async commitMessage(sha: string): Promise<string> {
    assertSha(sha);
    const object = await this.catFile.read(`${sha}^{commit}`);
    if (object === undefined) throw notFound(`The git repository ${this.config.path} has no commit ${sha}.`);
    const text = object.toString('utf8');
    // A commit object is headers, a blank line, then the message exactly as written.
    const split = text.indexOf('\n\n');
    return split < 0 ? '' : text.slice(split + 2);
  }

  commitUrl(sha: string): string {
    return this.config.webUrl ? `${this.config.webUrl.replace(/\/+$/, '')}/commit/${sha}` : `commit ${sha}`;
  }

  async commitsTouchingMetadata(): Promise<string[]> {
    return (await this.history()).commits;
  }

  async changedPackages(commit: string): Promise<string[]> {
    assertSha(commit);
    const known = (await this.history()).changed.get(commit);
    if (known) return known;
    // A commit outside the branch's first-parent line: diff it against its first parent (or against nothing, at the root).
    const out = await git(this.config.path, ['diff-tree', '-r', '--root', '--no-commit-id', '--no-renames', '--name-only', '-z', '-m',
      '--first-parent', commit, '--', 'metadata/']);
    return unique(out.split('\0').filter(Boolean).map((path) => packageOfPath(path, this.config.ecosystem)));
  }

  /** Stops the cat-file process (a CLI or a test calls this when done; the process otherwise stays for the next read). */
  close(): void {
    this.catFile.close();
  }

  private history() {
    this.walk ??= this.walkHistory();
    return this.walk;
  }

  /**
   * One `git log` over the branch's first-parent line, oldest first. A merge is diffed against its first
   * parent, so what a merged branch changed counts where it reached the registry branch. Renames are off: a
   * moved file is a deletion and an addition, each a package of its own path.
   */
  private async walkHistory(): Promise<{ commits: string[]; changed: Map<string, string[]> }> {
    const head = await this.head();
    const out = await git(this.config.path, ['log', '--first-parent', '--reverse', '--no-renames', '--diff-merges=first-parent',
      '--name-only', '-z', '--format=%x01%H', head]);
    const commits: string[] = [];
    const changed = new Map<string, string[]>();
    for (const record of out.split('\x01').slice(1)) {
      const [sha = '', ...paths] = record.split(/[\n\0]/).filter(Boolean);
      if (!SHA.test(sha)) continue;
      const names = unique(paths.map((path) => packageOfPath(path, this.config.ecosystem)));
      // Filtered here rather than by a pathspec, so git's history simplification never hides a merge that changed metadata.
      if (!paths.some((p) => p.startsWith('metadata/'))) continue;
      commits.push(sha);
      changed.set(sha, names);
    }
    return { commits, changed };
  }
}

function unique(names: (string | undefined)[]): string[] {
  return [...new Set(names.filter((n): n is string => n !== undefined))].sort();
}

function assertSha(sha: string): void {
  if (!SHA.test(sha)) throw new TypeError(`expected a 40-hex commit SHA, got ${JSON.stringify(sha.slice(0, 80))}`);
}
