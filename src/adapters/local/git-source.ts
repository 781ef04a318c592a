// The Source port on a local git repository: its identity derived from the directory, tags resolved by git, archives from `git archive` (in a clean clone) in GitHub's shape.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { checkGithubOwner, checkGithubRepo, quote } from '../../core/names.js';
import { RegistrarError, notFound, refused } from '../../errors.js';
import type { Source, SourceRepository } from '../../ports.js';

/** Where a local source stands in a request: the owner and repo its directory gives it, and its id. */
export interface LocalSourceIdentity {
  owner: string;
  repo: string;
  id: number;
}

/**
 * The identity of a source directory, as a request and the registry's binding see it:
 * - `repo`: the directory's name without a `.git` suffix, `owner`: its parent directory's name (`/work/acme/left-pad`
 *   → `acme/left-pad`), each with every character GitHub would not allow replaced by `-`; `local` when nothing usable is left;
 * - `id`: the first 52 bits of the sha256 of the directory's real path, plus one: stable for that directory, different
 *   for a copy elsewhere (as a fork has another id on GitHub). Moving the directory gives it a new id, so a package
 *   published from it is then refused as coming from another repository.
 */
export function localSourceIdentity(path: string): LocalSourceIdentity {
  const real = realpathSync(path);
  const id = Number.parseInt(createHash('sha256').update(real).digest('hex').slice(0, 13), 16) + 1;
  const clean = (text: string, check: (value: string) => string | undefined) => {
    const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 39);
    return cleaned !== '' && check(cleaned) === undefined ? cleaned : 'local';
  };
  return {
    owner: clean(basename(dirname(real)), checkGithubOwner),
    repo: clean(basename(real).replace(/\.git$/, ''), checkGithubRepo),
    id,
  };
}

function git(path: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', path, ...args], { encoding: 'utf8', maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(new Error(String(stderr || error.message).trim().split('\n')[0] ?? ''), { code: error.code }));
      else resolve(stdout);
    });
  });
}

export class GitSource implements Source {
  readonly identity: LocalSourceIdentity;

  constructor(private readonly path: string) {
    this.identity = localSourceIdentity(path);
  }

  /** Only the one repository this directory is: any other owner/repo is `not-found`, as on GitHub. */
  async repository(owner: string, repo: string): Promise<SourceRepository> {
    this.assertOwn(owner, repo);
    try {
      await git(this.path, ['rev-parse', '--git-dir']);
    } catch (error) {
      throw notFound(`The source directory ${this.path} is not a git repository (${(error as Error).message}).`,
        'Pass --source the directory of a git repository (a clone or a bare repository).');
    }
    return { id: this.identity.id, owner: this.identity.owner, repo: this.identity.repo, visibility: 'public' };
  }

  /** The commit a tag names, annotated tags peeled; a tag naming a tree or a blob is refused, a missing one `not-found`. */
  async resolveTag(owner: string, repo: string, tag: string): Promise<string> {
    this.assertOwn(owner, repo);
    // `ref` was validated by the request schema (git's ref-format rules, no leading `-`); the full ref name leaves no doubt it is a tag.
    let type: string;
    try {
      type = (await git(this.path, ['cat-file', '-t', `refs/tags/${tag}^{}`])).trim();
    } catch {
      throw notFound(`The tag ${quote(tag)} does not exist in ${quote(`${owner}/${repo}`)} (${this.path}).`,
        `Create it (\`git -C ${this.path} tag ${tag}\`), or pass the right --ref.`);
    }
    if (type !== 'commit') throw refused(`The tag ${quote(tag)} points to a ${type}, not a commit.`, 'Tag a commit and publish that tag.');
    return (await git(this.path, ['rev-parse', '--verify', `refs/tags/${tag}^{commit}`])).trim();
  }

  /**
   * `git archive` of the commit, streamed and gzipped here, under one top directory `<repo>-<sha>/` as GitHub's
   * tarballs have one: the same canonical-tarball rules apply to both. The archive is made in a bare clone with
   * Registrar's own (empty) configuration: a repository's `.git/config` can name commands git runs while archiving
   * (`tar.<format>.command`, smudge filters its `.gitattributes` select), and a source directory is someone else's
   * repository. git failing mid-way fails the stream; the clone goes when the stream ends, whatever the outcome.
   */
  async archive(owner: string, repo: string, commit: string): Promise<Readable> {
    this.assertOwn(owner, repo);
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new TypeError(`expected a 40-hex commit SHA, got ${JSON.stringify(commit.slice(0, 80))}`);
    const scratch = await mkdtemp(join(tmpdir(), 'registrar-source-'));
    const clone = join(scratch, 'source.git');
    try {
      await git(scratch, ['clone', '--quiet', '--bare', '--no-hardlinks', '--', realpathSync(this.path), clone]);
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw new RegistrarError('not-found', `git clone of ${this.path} failed: ${(error as Error).message}`, undefined, { reason: 'missing' });
    }
    const child = spawn('git', ['-C', clone, 'archive', '--format=tar', `--prefix=${this.identity.repo}-${commit}/`, commit],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    const gzip = createGzip();
    const out = new PassThrough();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout.pipe(gzip).pipe(out, { end: false });
    const failed = (why: string) => out.destroy(new RegistrarError('not-found',
      `git archive of ${commit.slice(0, 12)} in ${this.path} failed: ${why}`, undefined, { reason: 'missing' }));
    child.on('error', (error) => failed(error.message));
    // A reader that stops early (a cap reached) stops git too.
    out.on('close', () => {
      if (child.exitCode === null) child.kill();
      void rm(scratch, { recursive: true, force: true });
    });
    // git's exit and the gzip's end both come before the stream may end: every byte has reached `out` by then.
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const flushed = new Promise<void>((resolve) => gzip.on('end', resolve));
    void exited.then(async (code) => {
      if (code !== 0) return failed(stderr.trim().split('\n')[0] || `exit ${String(code)}`);
      await flushed;
      out.end();
    });
    return out;
  }

  private assertOwn(owner: string, repo: string): void {
    if (owner !== this.identity.owner || repo !== this.identity.repo) {
      throw notFound(`The source repository ${owner}/${repo} does not exist or is not public.`,
        `The --source directory is ${this.identity.owner}/${this.identity.repo}; the request must name that.`);
    }
  }
}
