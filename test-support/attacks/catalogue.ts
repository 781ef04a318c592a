// Issue #8's attack catalogue: every trick a stranger (or a careless trustee) can try on Registrar, as data — name, category, stage, event(s), expected outcome.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { PackageSource } from '../world.js';
import { AUTHOR, REGISTRY } from '../world.js';
import { issueCommentCreated } from '../events.js';
import { HOSTILE, gnuLongName, incompressible, manifestOf, manyFiles, packageArchive, rawArchive, topOf, type TestEntry } from './archives.js';
import { measureCosts, type CostReport } from './cost.js';
import { SHAPES } from './cost-shapes.js';
import { OTHER_AUTHOR, STRANGER, TRUSTEE, visibilityOf, type AttackContext, type AttackRow, type Category, type Fixture } from './run.js';

// ---------------------------------------------------------------------------------------------
// Requests

type Request = { name?: unknown; version?: unknown; ref?: unknown; location?: unknown; [key: string]: unknown };

/** The valid request for fresh-pkg@1.0.0 (tagged, never published): each row breaks one thing of it. */
const freshRequest = (over: Request = {}): Request => ({
  name: 'fresh-pkg', version: '1.0.0', ref: 'v1.0.0', location: { githubOwner: 'acme', githubRepo: 'fresh' }, ...over,
});
const freshAt = (location: Record<string, unknown>): Request => freshRequest({ location: { githubOwner: 'acme', githubRepo: 'fresh', ...location } });
const requestOf = (pkg: PackageSource, over: Request = {}): Request => ({
  name: pkg.name, version: pkg.version, ref: pkg.tag ?? `v${pkg.version}`,
  location: { githubOwner: pkg.owner, githubRepo: pkg.repo, ...(pkg.subdir ? { subdir: pkg.subdir } : {}) }, ...over,
});
/** The request in a fenced block, as authors write it. */
const block = (request: unknown) => `Please publish this.\n\n\`\`\`json\n${JSON.stringify(request, null, 2)}\n\`\`\`\n`;
const fenced = (text: string) => `\`\`\`json\n${text}\n\`\`\`\n`;
const hostileRequest = () => requestOf({ ...HOSTILE });

/** A row whose whole attack is one issue opened by the author with `body`. */
function opened(category: Category, name: string, body: (fx: Fixture) => string, extra: Partial<AttackRow> = {}): AttackRow {
  return { name, category, expected: 'refused', attack: async (c) => { await c.open(body(c.fx)); }, ...extra };
}

let seedCounter = 0;
/**
 * A row whose source really holds a package with the hostile name or version (so only Registrar's check stands
 * between it and the registry): the repository is seeded first, then its request is opened.
 */
function seeded(category: Category, name: string, pkg: Omit<PackageSource, 'owner' | 'repo'>, extra: Partial<AttackRow> = {}): AttackRow {
  const where = { owner: 'seeded', repo: `src-${++seedCounter}` };
  return {
    name, category, expected: 'refused',
    setup: async (c) => { await c.seed({ ...where, ...pkg }); },
    attack: async (c) => { await c.open(block(requestOf({ ...where, ...pkg }))); },
    ...extra,
  };
}

/** Rows made by helpers of another category, filed under this one. */
const inCategory = (category: Category, rows: AttackRow[]): AttackRow[] => rows.map((row) => ({ ...row, category }));

/** Creates a tag once (rows may share it). */
async function ensureTag(c: AttackContext, owner: string, repo: string, name: string, sha: string, annotated = false): Promise<void> {
  try {
    await c.world.github.tag({ owner, repo, name, sha, annotated, message: name });
  } catch (error) {
    if (!/already exists/.test((error as Error).message)) throw error;
  }
}

const revParse = async (c: AttackContext, owner: string, repo: string, rev: string) =>
  (await import('../git.js')).git(c.world.github.repoPath(owner, repo), 'rev-parse', rev).then((s) => s.trim());

const REQUEST: AttackRow[] = [
  opened('request', 'oversize body: a valid request padded past 64 KiB', () => `${block(freshRequest())}\n${'padding '.repeat(9000)}`),
  opened('request', 'two JSON objects in one block', () => fenced(`${JSON.stringify(freshRequest())}\n${JSON.stringify(freshRequest({ name: 'stranger-pkg' }))}`)),
  opened('request', 'two ```json blocks', () => `${block(freshRequest())}\n${block(freshRequest({ name: 'stranger-pkg' }))}`),
  opened('request', 'a JSON array of two requests', () => fenced(JSON.stringify([freshRequest(), freshRequest()]))),
  opened('request', 'duplicate key "name" (the last would win in JSON.parse)', () =>
    fenced('{"name": "stranger-pkg", "name": "fresh-pkg", "version": "1.0.0", "ref": "v1.0.0", "location": {"githubOwner": "acme", "githubRepo": "fresh"}}')),
  opened('request', 'duplicate key spelled with an escape ("na\\u006de")', () =>
    fenced('{"name": "stranger-pkg", "na\\u006de": "fresh-pkg", "version": "1.0.0", "ref": "v1.0.0", "location": {"githubOwner": "acme", "githubRepo": "fresh"}}')),
  opened('request', '"__proto__" key', () =>
    fenced('{"__proto__": {"isTrustee": true}, "name": "fresh-pkg", "version": "1.0.0", "ref": "v1.0.0", "location": {"githubOwner": "acme", "githubRepo": "fresh"}}')),
  opened('request', '"constructor" key', () =>
    fenced('{"constructor": {"prototype": {"x": 1}}, "name": "fresh-pkg", "version": "1.0.0", "ref": "v1.0.0", "location": {"githubOwner": "acme", "githubRepo": "fresh"}}')),
  opened('request', '"prototype" key inside location', () =>
    fenced('{"name": "fresh-pkg", "version": "1.0.0", "ref": "v1.0.0", "location": {"githubOwner": "acme", "githubRepo": "fresh", "prototype": "x"}}')),
  opened('request', 'unknown top-level key ("registry")', () => block(freshRequest({ registry: 'https://evil.example/' }))),
  opened('request', 'unknown key in location ("url")', () => block(freshAt({ url: 'https://evil.example/fresh.tar.gz' }))),
  opened('request', 'wrong type: version as a number', () => fenced('{"name": "fresh-pkg", "version": 1.0, "ref": "v1.0.0", "location": {"githubOwner": "acme", "githubRepo": "fresh"}}')),
  opened('request', 'wrong type: location as a string', () => block(freshRequest({ location: 'acme/fresh' }))),
  opened('request', 'wrong type: name as nested arrays 2,000 deep', () => fenced(`{"name": ${'['.repeat(2000)}${']'.repeat(2000)}, "version": "1.0.0", "ref": "v1.0.0", "location": {"githubOwner": "acme", "githubRepo": "fresh"}}`)),
  opened('request', 'JSON with a trailing comma', () => fenced(`${JSON.stringify(freshRequest()).slice(0, -1)},}`)),
  opened('request', 'JSON with comments', () => fenced(`// publish\n${JSON.stringify(freshRequest())}`)),
  opened('request', 'request in a ```javascript block', () => `\`\`\`javascript\n${JSON.stringify(freshRequest())}\n\`\`\`\n`),
  seeded('request', 'name with uppercase letters (Fresh-Pkg), and a source that says so', { name: 'Fresh-Pkg', version: '1.0.0' }),
  seeded('request', 'name with a non-ASCII letter (frésh-pkg)', { name: 'frésh-pkg', version: '1.0.0' }),
  seeded('request', 'name with a Cyrillic homoglyph (frеsh-pkg, U+0435)', { name: 'fr\u0435sh-pkg', version: '1.0.0' }),
  seeded('request', 'reserved name "staging" (the storage prefix)', { name: 'staging', version: '1.0.0' }),
  seeded('request', 'reserved name "metadata" (the registry directory)', { name: 'metadata', version: '1.0.0' }),
  seeded('request', 'name of 65 characters', { name: `a${'b'.repeat(64)}`, version: '1.0.0' }),
  seeded('request', 'name with "--"', { name: 'fresh--pkg', version: '1.0.0' }),
  opened('request', 'name with a NUL character', () => block(freshRequest({ name: 'fresh-pkg\u0000' }))),
  seeded('request', 'version "v1.0.0"', { name: 'ver-v', version: 'v1.0.0', tag: 'rel-v' }),
  seeded('request', 'version "01.0.0" (leading zero)', { name: 'ver-zero', version: '01.0.0', tag: 'rel-zero' }),
  seeded('request', 'version "1.0.0-rc1" (prerelease)', { name: 'ver-rc', version: '1.0.0-rc1', tag: 'rel-rc' }),
  seeded('request', 'version "1.0.0+b" (build metadata)', { name: 'ver-build', version: '1.0.0+b', tag: 'rel-build' }),
  seeded('request', 'version with a 20-digit patch', { name: 'ver-huge', version: '1.0.99999999999999999999', tag: 'rel-huge' }),
  seeded('request', 'version "1.0" (two parts)', { name: 'ver-short', version: '1.0', tag: 'rel-short' }),
  opened('request', 'tag with ".."', () => block(freshRequest({ ref: 'v1..0' }))),
  {
    name: 'tag starting with "-" (exists in the source)', category: 'request', expected: 'refused',
    setup: async (c) => ensureTag(c, 'acme', 'fresh', '-v1.0.0', c.fx.freshCommit),
    attack: async (c) => { await c.open(block(freshRequest({ ref: '-v1.0.0' }))); },
  },
  opened('request', 'tag "--upload-pack=touch /tmp/x"', () => block(freshRequest({ ref: '--upload-pack=touch /tmp/x' }))),
  opened('request', 'tag with "@{"', () => block(freshRequest({ ref: 'v1.0.0@{0}' }))),
  opened('request', 'tag with a control character (BEL)', () => block(freshRequest({ ref: 'v1.0.0\u0007' }))),
  opened('request', 'tag of 300 characters', () => block(freshRequest({ ref: `v${'1'.repeat(299)}` }))),
  opened('request', 'tag with percent-encoded traversal ("x%2F..%2Fheads%2Fmain")', () => block(freshRequest({ ref: 'x%2F%2E%2E%2Fheads%2Fmain' }))),
  opened('request', 'tag with "?" and "#" (URL injection)', () => block(freshRequest({ ref: 'v1.0.0?ref=main#x' }))),
  {
    name: 'raw commit SHA as ref (even when a tag of that name exists)', category: 'request', expected: 'refused',
    setup: async (c) => ensureTag(c, 'acme', 'fresh', c.fx.freshCommit, c.fx.freshCommit),
    attack: async (c) => { await c.open(block(freshRequest({ ref: c.fx.freshCommit }))); },
  },
  opened('request', 'location as a URL (githubOwner "https://evil.example/")', () => block(freshAt({ githubOwner: 'https://evil.example/' }))),
  opened('request', 'location at a metadata address (githubOwner "127.0.0.1")', () => block(freshAt({ githubOwner: '127.0.0.1' }))),
  opened('request', 'githubRepo as a URL with credentials', () => block(freshAt({ githubRepo: 'http://user:pass@169.254.169.254/latest' }))),
  opened('request', 'githubOwner with ".." and "/" ("acme/../registry")', () => block(freshAt({ githubOwner: 'acme/../registry' }))),
  opened('request', 'githubOwner percent-encoded ("acme%2F..%2Fregistry")', () => block(freshAt({ githubOwner: 'acme%2F..%2Fregistry' }))),
  opened('request', 'githubRepo ".."', () => block(freshAt({ githubRepo: '..' }))),
  opened('request', 'githubRepo with "/" ("fresh/tarball/v1.0.0")', () => block(freshAt({ githubRepo: 'fresh/tarball/v1.0.0' }))),
  opened('request', 'githubOwner with a Cyrillic homoglyph (аcme)', () => block(freshAt({ githubOwner: '\u0430cme' }))),
  opened('request', 'subdir "../" (escapes the repository)', () => block(freshAt({ subdir: '../' }))),
  opened('request', 'subdir absolute ("/etc")', () => block(freshAt({ subdir: '/etc' }))),
  opened('request', 'subdir with backslashes ("..\\..\\etc")', () => block(freshAt({ subdir: '..\\..\\etc' }))),
  opened('request', 'subdir with a NUL', () => block(freshAt({ subdir: 'pkg\u0000' }))),
];

// ---------------------------------------------------------------------------------------------
// Refs and ownership

const REFS: AttackRow[] = [
  opened('refs', 'a tag that does not exist', () => block(freshRequest({ ref: 'v9.9.9' }))),
  opened('refs', 'a branch name instead of a tag ("main")', () => block(freshRequest({ ref: 'main' }))),
  opened('refs', 'a full branch ref ("refs/heads/main")', () => block(freshRequest({ ref: 'refs/heads/main' }))),
  {
    name: 'a tag pointing to a tree', category: 'refs', expected: 'refused',
    setup: async (c) => ensureTag(c, 'acme', 'fresh', 'tree-tag', await revParse(c, 'acme', 'fresh', `${c.fx.freshCommit}^{tree}`)),
    attack: async (c) => { await c.open(block(freshRequest({ ref: 'tree-tag' }))); },
  },
  {
    name: 'a tag pointing to a blob (the manifest)', category: 'refs', expected: 'refused',
    setup: async (c) => ensureTag(c, 'acme', 'fresh', 'blob-tag', await revParse(c, 'acme', 'fresh', `${c.fx.freshCommit}:package.json`)),
    attack: async (c) => { await c.open(block(freshRequest({ ref: 'blob-tag' }))); },
  },
  {
    name: 'an annotated tag of a blob', category: 'refs', expected: 'refused',
    setup: async (c) => ensureTag(c, 'acme', 'fresh', 'annotated-blob', await revParse(c, 'acme', 'fresh', `${c.fx.freshCommit}:package.json`), true),
    attack: async (c) => { await c.open(block(freshRequest({ ref: 'annotated-blob' }))); },
  },
  {
    name: 'a chain of six annotated tags', category: 'refs', expected: 'refused',
    setup: async (c) => {
      let target = c.fx.freshCommit;
      for (let i = 1; i <= 6; i++) {
        const name = `chain-${i}`;
        await ensureTag(c, 'acme', 'fresh', name, target, true);
        target = await revParse(c, 'acme', 'fresh', `refs/tags/${name}`);
      }
    },
    attack: async (c) => { await c.open(block(freshRequest({ ref: 'chain-6' }))); },
  },
  {
    name: 'a fork of the bound repository (other id) publishes the next version', category: 'refs', expected: 'refused',
    setup: async (c) => { await c.seed({ owner: 'mallory', repo: 'bound', id: 8201, name: 'bound-pkg', version: '1.1.0' }); },
    attack: async (c) => { await c.open(block(requestOf({ owner: 'mallory', repo: 'bound', name: 'bound-pkg', version: '1.1.0' })), { user: STRANGER }); },
  },
  {
    name: 'a look-alike repository (acme/bound-pkg)', category: 'refs', expected: 'refused',
    setup: async (c) => { await c.seed({ owner: 'acme', repo: 'bound-pkg', id: 8202, name: 'bound-pkg', version: '1.1.0' }); },
    attack: async (c) => { await c.open(block(requestOf({ owner: 'acme', repo: 'bound-pkg', name: 'bound-pkg', version: '1.1.0' })), { user: STRANGER }); },
  },
  {
    name: 'a deleted and re-created repository (same owner/repo, new id)', category: 'refs', expected: 'refused',
    setup: async (c) => {
      await c.world.github.renameRepository('orig', 'recreated', 'orig', 'recreated-gone');
      c.world.sources.delete('orig/recreated');
      await c.seed({ owner: 'orig', repo: 'recreated', id: 8501, name: 'recreated-pkg', version: '1.1.0' });
    },
    attack: async (c) => { await c.open(block(requestOf({ owner: 'orig', repo: 'recreated', name: 'recreated-pkg', version: '1.1.0' })), { user: STRANGER }); },
  },
  {
    name: 'a private repository: the same words as a missing one (repository, then a missing tag)', category: 'refs', expected: ['refused', 'refused', 'refused'],
    attack: async (c) => {
      const pkg = { owner: 'ghost', repo: 'hidden', id: 8801, name: 'hidden-pkg', version: '1.0.0' };
      await c.open(block(requestOf(pkg)), { user: STRANGER });
      await c.seed({ ...pkg, visibility: 'private' });
      await c.open(block(requestOf(pkg)), { user: STRANGER });
      await c.open(block(requestOf(pkg, { ref: 'v9.9.9' })), { user: STRANGER });
    },
    check: (c) => {
      // Each run links its own workflow run: the run number is not the repository's to reveal, so it is left out.
      const texts = c.runs.map((r) => lastRegistrarComment(c, r.issue).replace(/<!-- registrar:[^\n]*?-->/g, '').replace(/v9\.9\.9/g, 'v1.0.0')
        .replace(/\[workflow run [^\]]*\]\([^)]*\)/g, '[workflow run]'));
      const problems: string[] = [];
      if (texts[1] !== texts[0]) problems.push(`the private repository's refusal differs from a missing one's: ${JSON.stringify(firstDifference(texts[0]!, texts[1]!))}`);
      if (texts[2] !== texts[0]) problems.push(`a missing tag of the private repository reads differently from a missing repository: ${JSON.stringify(firstDifference(texts[0]!, texts[2]!))}`);
      return problems;
    },
  },
  {
    name: 'an internal repository', category: 'refs', expected: 'refused',
    setup: async (c) => { await internalSource(c, 'corp', 'internal', 8802, 'internal-pkg', true); },
    attack: async (c) => { await c.open(block(requestOf({ owner: 'corp', repo: 'internal', name: 'internal-pkg', version: '1.0.0' })), { user: STRANGER }); },
  },
  {
    name: 'an internal repository reported with private: false', category: 'refs', expected: 'refused',
    setup: async (c) => { await internalSource(c, 'corp', 'internal-flag', 8803, 'internal-flag-pkg', false); },
    attack: async (c) => { await c.open(block(requestOf({ owner: 'corp', repo: 'internal-flag', name: 'internal-flag-pkg', version: '1.0.0' })), { user: STRANGER }); },
  },
  {
    name: 'a published version asked again by another user, same tag', category: 'refs', expected: 'refused', mayClose: true,
    attack: async (c) => { await c.open(block(requestOf(c.fx.victim.pkg)), { user: STRANGER }); },
  },
  {
    name: 'a published version from a moved tag (new commit, other bytes)', category: 'refs', expected: 'refused', mayClose: true,
    setup: async (c) => {
      const sha = await c.world.github.commitFiles({ owner: 'vic', repo: 'victim', branch: 'main', files: { 'index.js': 'export const evil = 1;\n' }, message: 'Evil' });
      await ensureTag(c, 'vic', 'victim', 'v1.0.0-moved', sha);
    },
    attack: async (c) => { await c.open(block(requestOf(c.fx.victim.pkg, { ref: 'v1.0.0-moved' })), { user: STRANGER }); },
  },
];

/** A public repository that GitHub shows as internal: the emulator's own visibility when it has one, else the proxy's rewrite of its answer. */
async function internalSource(c: AttackContext, owner: string, repo: string, id: number, name: string, privateFlag: boolean): Promise<void> {
  if (!c.world.sources.has(`${owner}/${repo}`)) await c.seed({ owner, repo, id, name, version: '1.0.0', ...(privateFlag ? { visibility: 'internal' as const } : {}) });
  const shown = await visibilityOf(c.world, owner, repo);
  if (shown === 'internal' && privateFlag) return;
  c.notes.push('internal via proxy');
  c.github.mutate((request, status, body) => {
    if (request.method !== 'GET' || status !== 200 || request.url.split('?')[0]!.toLowerCase() !== `/repos/${owner}/${repo}`) return undefined;
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    return Buffer.from(JSON.stringify({ ...json, private: privateFlag, visibility: 'internal' }));
  });
}

function lastRegistrarComment(c: AttackContext, issue: number): string {
  return c.world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments.filter((x) => x.user.id === c.world.github.botUser.id).at(-1)?.body ?? '';
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 30), i + 50)}… vs …${b.slice(Math.max(0, i - 30), i + 50)}…`;
}

// ---------------------------------------------------------------------------------------------
// Archives: the emulator's tag and commit are real; the proxy serves these bytes as the archive of that commit.

function archive(name: string, make: (commit: string) => Buffer, extra: Partial<AttackRow> = {}): AttackRow {
  return {
    name, category: 'archive', expected: 'refused',
    setup: async (c) => { c.serveArchive(HOSTILE.owner, HOSTILE.repo, make(c.fx.hostileCommit)); },
    attack: async (c) => { await c.open(block(hostileRequest()), { user: STRANGER }); },
    ...extra,
  };
}
const withEntries = (entries: TestEntry[], options: { manifest?: string | null } = {}) => (commit: string) => packageArchive(commit, entries, options);
const MiB = 1024 * 1024;
let bomb: Buffer | undefined;
const MEGA_VALUE = incompressible(MiB).toString('latin1');
let oversized: Buffer | undefined;
let tooMany: Buffer | undefined;

const ARCHIVE: AttackRow[] = [
  archive('symlink to /etc/passwd', withEntries([{ path: 'passwd', kind: 'symlink', linkpath: '/etc/passwd' }])),
  archive('package.json as a symlink out of the package', withEntries([{ path: 'package.json', kind: 'symlink', linkpath: '../../../../etc/hostname' }], { manifest: null })),
  archive('hardlink', withEntries([{ path: 'shadow', kind: 'hardlink', linkpath: 'index.js' }])),
  archive('character device', withEntries([{ path: 'tty', kind: 'chardev' }])),
  archive('block device', withEntries([{ path: 'sda', kind: 'blockdev' }])),
  archive('FIFO', withEntries([{ path: 'pipe', kind: 'fifo' }])),
  archive('unknown entry type ("Z")', withEntries([{ path: 'mystery', typeflag: 'Z', body: 'x' }])),
  archive('".." path (../../evil.js)', withEntries([{ path: '../../evil.js', body: 'evil\n' }])),
  archive('absolute path (/etc/cron.d/evil)', (commit) => rawArchive(commit, [
    { path: `${topOf(commit)}/`, kind: 'dir' }, { path: `${topOf(commit)}/package.json`, body: manifestOf() },
    { path: `${topOf(commit)}/index.js`, body: 'x\n' }, { path: '/etc/cron.d/evil', body: '* * * * * root evil\n' }])),
  archive('an entry outside the top directory', (commit) => rawArchive(commit, [
    { path: `${topOf(commit)}/`, kind: 'dir' }, { path: `${topOf(commit)}/package.json`, body: manifestOf() },
    { path: `${topOf(commit)}/index.js`, body: 'x\n' }, { path: 'other-top/evil.js', body: 'evil\n' }])),
  archive('backslashes in a name (lib\\..\\..\\evil.js)', withEntries([{ path: 'lib\\..\\..\\evil.js', body: 'evil\n' }])),
  archive('duplicate paths after case folding (README.md, readme.md)', withEntries([{ path: 'README.md', body: 'a\n' }, { path: 'readme.md', body: 'b\n' }])),
  archive('duplicate paths after NFC (café.js twice)', withEntries([{ path: 'caf\u00e9.js', body: 'a\n' }, { path: 'cafe\u0301.js', body: 'b\n' }])),
  archive('duplicate paths after full case folding (straße.js, STRASSE.js)', withEntries([{ path: 'stra\u00dfe.js', body: 'a\n' }, { path: 'STRASSE.js', body: 'b\n' }])),
  archive('the same path twice with other bytes', withEntries([{ path: 'index.js', body: 'export const evil = true;\n' }])),
  archive('Windows reserved name (con.js)', withEntries([{ path: 'con.js', body: 'x\n' }])),
  archive('Windows reserved directory (aux/x.js)', withEntries([{ path: 'aux/x.js', body: 'x\n' }])),
  archive('trailing dot (evil.)', withEntries([{ path: 'evil.', body: 'x\n' }])),
  archive('trailing space ("evil ")', withEntries([{ path: 'evil ', body: 'x\n' }])),
  archive('control characters in a name (ESC[31m)', withEntries([{ path: 'evil\u001b[31m.js', body: 'x\n' }])),
  archive('a name that is not UTF-8', withEntries([{ path: Buffer.from([0x65, 0x76, 0xff, 0xfe, 0x2e, 0x6a, 0x73]), body: 'x\n' }])),
  archive('huge pax header (100 KiB record)', withEntries([{ path: 'big-pax.js', body: 'x\n', pax: { comment: 'x'.repeat(100 * 1024) } }])),
  archive('pax path pointing out of the package', withEntries([{ path: 'harmless.js', body: 'x\n', pax: { path: '../../evil.js' } }])),
  archive('GNU long name with ".."', (commit) => rawArchive(commit, [
    { path: `${topOf(commit)}/`, kind: 'dir' }, { path: `${topOf(commit)}/package.json`, body: manifestOf() }, { path: `${topOf(commit)}/index.js`, body: 'x\n' },
    ...gnuLongName(`${topOf(commit)}/${'a/'.repeat(60)}${'../'.repeat(70)}evil.js`, { path: 'placeholder', body: 'evil\n' })])),
  archive('too many entries (10,001 files)', (commit) => (tooMany ??= packageArchive(commit, manyFiles(10_001)))),
  archive('a file over the size cap (21 MiB, incompressible)', (commit) => (oversized ??= packageArchive(commit, [{ path: 'big.bin', body: incompressible(21 * MiB) }]))),
  archive('a zip-bomb ratio (8 files of 16 MiB of zeros: each under the file cap)', (commit) =>
    (bomb ??= packageArchive(commit, Array.from({ length: 8 }, (_, i) => ({ path: `zeros-${i}.bin`, body: Buffer.alloc(16 * MiB) }))))),
  archive('a path of 300 characters', withEntries([{ path: `${'p'.repeat(296)}.js`, body: 'x\n' }])),
  archive('a path 40 levels deep', withEntries([{ path: `${'d/'.repeat(40)}x.js`, body: 'x\n' }])),
  archive('manifest name does not match the request', withEntries([], { manifest: manifestOf({ name: 'victim' }) })),
  archive('manifest version does not match the request', withEntries([], { manifest: manifestOf({ version: '9.9.9' }) })),
  archive('manifest without a license', withEntries([], { manifest: JSON.stringify({ name: HOSTILE.name, version: HOSTILE.version }) })),
  archive('manifest with duplicate "name" keys', withEntries([], {
    manifest: `{"name": "victim", "name": "${HOSTILE.name}", "version": "${HOSTILE.version}", "license": "MIT"}` })),
  // Under the 1 MiB manifest cap and the ratio floor, so it is the license check that answers: unbounded, the SPDX
  // parser's quadratic time made this about 3.5 s, and 2.8 MB 36 s.
  archive('manifest license "MIT OR " repeated to 900 KB (SPDX parse cost)', withEntries([], {
    manifest: JSON.stringify({ name: HOSTILE.name, version: HOSTILE.version, license: `${'MIT OR '.repeat(128_000)}MIT` }) })),
  archive('manifest that is not JSON', withEntries([], { manifest: "module.exports = { name: 'hostile-pkg' }" })),
  // Incompressible, so it is the manifest check that answers, not the ratio cap; a quote of it is capped at 8 KiB (the comment limit is 64).
  archive('manifest with a 1 MiB field value (quoted capped)', withEntries([], { manifest: manifestOf({ name: MEGA_VALUE }) }), {
    check: (c) => {
      const quoted = Math.max(0, ...c.touchedComments().map((body) => {
        const at = body.indexOf(MEGA_VALUE.slice(0, 40));
        let n = 0;
        while (at >= 0 && n < MEGA_VALUE.length && body[at + n] === MEGA_VALUE[n]) n++;
        return n;
      }));
      c.notes.push(`quotes ${quoted.toLocaleString('en')} characters of it`);
      return quoted > 8192 ? [`a comment quotes ${quoted.toLocaleString('en')} characters of the 1 MiB value (cap 8,192: the value must be cut, not just the comment)`] : [];
    },
  }),
];

// ---------------------------------------------------------------------------------------------
// Events Registrar must not act on

const BOT = { id: 9001, login: 'helper[bot]', type: 'Bot' as const };
const ACTIONS_BOT = { id: 41898282, login: 'github-actions[bot]', type: 'Bot' as const };

const EVENTS: AttackRow[] = [
  { name: 'issues.edited with a valid request', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.open(block(freshRequest()), { mutate: (p) => { p.action = 'edited'; p.changes = { body: { from: 'hello' } }; } }); } },
  { name: 'issues.reopened with a valid request', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.open(block(freshRequest()), { mutate: (p) => { p.action = 'reopened'; } }); } },
  { name: 'issues.labeled with a valid request', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.open(block(freshRequest()), { mutate: (p) => { p.action = 'labeled'; p.label = { id: 1, name: 'publish', color: 'ffffff' }; } }); } },
  { name: 'an old comment edited into a trustee /rollback', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.comment(c.fx.victim.issue, '/rollback victim@1.0.0 ships malware', { user: TRUSTEE, action: 'edited' }); } },
  { name: 'an old comment edited into a corrected request', category: 'events', expected: 'ignored',
    attack: async (c) => {
      const issue = c.issue(block(freshRequest({ version: 'v1.0.0' })));
      await c.comment(issue, block(freshRequest()), { action: 'edited' });
    } },
  { name: 'issue_comment.deleted of a /retry', category: 'events', expected: 'ignored',
    attack: async (c) => {
      const issue = c.issue(block(freshRequest()));
      await c.comment(issue, '/retry', { action: 'edited', mutate: (p) => { p.action = 'deleted'; delete p.changes; } });
    } },
  { name: "a trustee's /rollback on a pull request", category: 'events', expected: 'ignored',
    attack: async (c) => {
      await c.comment(c.fx.victim.issue, '/rollback victim@1.0.0 ships malware', { user: TRUSTEE,
        mutate: (p) => { p.issue.pull_request = { url: `${c.world.github.url}/repos/registry/registry/pulls/${c.fx.victim.issue}`, html_url: 'x', diff_url: 'x', patch_url: 'x' }; } });
    } },
  { name: "a bot's comment holding a request", category: 'events', expected: 'ignored',
    attack: async (c) => {
      const issue = c.issue(block(freshRequest({ version: 'v1.0.0' })));
      await c.comment(issue, block(freshRequest()), { user: BOT });
    } },
  { name: "a bot's /rollback (the bot's id listed as a trustee)", category: 'events', expected: 'ignored',
    attack: async (c) => { await c.comment(c.fx.victim.issue, '/rollback victim@1.0.0 ships malware', { user: BOT, inputs: { 'trustee-ids': `${TRUSTEE.id},${BOT.id}` } }); } },
  { name: "the action's own identity comments /retry", category: 'events', expected: 'ignored',
    attack: async (c) => { await c.comment(c.issue(block(freshRequest())), '/retry', { user: ACTIONS_BOT }); } },
  { name: "a /retry carrying Registrar's hidden marker", category: 'events', expected: 'ignored',
    attack: async (c) => { await c.comment(c.issue(block(freshRequest())), '/retry\n<!-- registrar:status run=1 attempt=1 -->'); } },
  { name: "a trustee's /rollback carrying Registrar's hidden marker", category: 'events', expected: 'ignored',
    attack: async (c) => { await c.comment(c.fx.victim.issue, '/rollback victim@1.0.0 ships malware\n<!-- registrar:rollback comment=1 -->', { user: TRUSTEE }); } },
  { name: "an issue whose request carries Registrar's hidden marker", category: 'events', expected: 'ignored',
    attack: async (c) => { await c.open(`${block(freshRequest())}\n<!-- registrar:package fresh-pkg@1.0.0 -->`); } },
  { name: 'an ordinary issue with no request (a bug report)', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.open('The download link for left-pad 1.2.0 gives a 404 since this morning. Can someone look?', { user: OTHER_AUTHOR, title: 'Download broken' }); } },
  { name: 'a bug report with a stack trace in a code block', category: 'events', expected: 'ignored',
    attack: async (c) => {
      await c.open('Install fails:\n\n```\nTypeError: Cannot read properties of undefined (reading \'name\')\n    at resolve (index.js:10:5)\n```\n\nAny idea?',
        { user: OTHER_AUTHOR, title: 'Install fails' });
    } },
  { name: 'an issue with an empty body', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.open('', { user: OTHER_AUTHOR, title: 'Question' }); } },
  { name: 'an ordinary comment', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.comment(c.fx.victim.issue, 'Thanks for publishing this!', { user: STRANGER }); } },
  { name: "an issue opened by the action's own identity with a request", category: 'events', expected: 'ignored',
    attack: async (c) => { await c.open(block(freshRequest()), { user: ACTIONS_BOT }); } },
  { name: 'a workflow_dispatch event', category: 'events', expected: 'ignored',
    attack: async (c) => { await c.send({ name: 'workflow_dispatch', payload: { inputs: { request: JSON.stringify(freshRequest()) }, ref: 'refs/heads/main', sender: { id: STRANGER.id, login: STRANGER.login, type: 'User' } } }, 0); } },
];

// ---------------------------------------------------------------------------------------------
// Comment commands

/** A trustee's /rollback on the victim's own publish issue: the victim must stay published. */
const trusteeSays = (name: string, body: string | ((c: AttackContext) => string), expected: AttackRow['expected'] = 'refused'): AttackRow => ({
  name, category: 'commands', expected,
  attack: async (c) => { await c.comment(c.fx.victim.issue, typeof body === 'string' ? body : body(c), { user: TRUSTEE }); },
});

const COMMANDS: AttackRow[] = [
  { name: '/rollback by a non-trustee', category: 'commands', expected: 'denied',
    attack: async (c) => { await c.comment(c.fx.victim.issue, '/rollback victim@1.0.0 I do not like it', { user: STRANGER }); } },
  { name: "/rollback by the package's own author (not a trustee)", category: 'commands', expected: 'denied',
    attack: async (c) => { await c.comment(c.fx.bound.issue, '/rollback bound-pkg@1.0.0 changed my mind', { user: AUTHOR }); } },
  { name: "/rollback by a stranger holding a trustee's login (other id)", category: 'commands', expected: 'denied',
    attack: async (c) => {
      const id = c.say(c.fx.recreated.issue, '/rollback recreated-pkg@1.0.0 malware', STRANGER);
      const thread = c.world.github.issue(REGISTRY.owner, REGISTRY.repo, c.fx.recreated.issue);
      const payload = issueCommentCreated({ repository: REGISTRY, issue: { number: thread.number, title: thread.title, body: thread.body ?? '', user: AUTHOR },
        comment: { id, body: '/rollback recreated-pkg@1.0.0 malware', user: { id: 7667, login: TRUSTEE.login } } });
      await c.send({ name: 'issue_comment', payload }, c.fx.recreated.issue);
    } },
  { name: '/rollback by a stranger whose author_association says OWNER', category: 'commands', expected: 'denied',
    attack: async (c) => { await c.comment(c.fx.recreated.issue, '/rollback recreated-pkg@1.0.0 malware', { user: STRANGER, mutate: (p) => { p.comment.author_association = 'OWNER'; p.issue.author_association = 'OWNER'; } }); } },
  trusteeSays('trustee: /rollback victim@v1.0.0 reason (a "v")', '/rollback victim@v1.0.0 ships malware'),
  trusteeSays('trustee: zero-width space after "@" (copied from an old comment)', '/rollback victim@\u200b1.0.0 ships malware'),
  trusteeSays('trustee: zero-width joiner inside the name', '/rollback vic\u200dtim@1.0.0 ships malware'),
  trusteeSays('trustee: word joiner inside the name', '/rollback vic\u2060tim@1.0.0 ships malware'),
  trusteeSays('trustee: BOM inside the name', '/rollback vic\ufefftim@1.0.0 ships malware'),
  trusteeSays('trustee: Cyrillic homoglyph in the name (vіctim)', '/rollback v\u0456ctim@1.0.0 ships malware'),
  trusteeSays('trustee: fullwidth "＠"', '/rollback victim\uff201.0.0 ships malware'),
  trusteeSays('trustee: /rollback victim@1.0 (two parts)', '/rollback victim@1.0 ships malware'),
  trusteeSays('trustee: /rollback Victim@1.0.0 (case)', '/rollback Victim@1.0.0 ships malware'),
  trusteeSays('trustee: /rollback victim@1.0.0 with no reason', '/rollback victim@1.0.0'),
  trusteeSays('trustee: /rollback @1.0.0 (no name)', '/rollback @1.0.0 ships malware'),
  trusteeSays('trustee: /rollback victim@@1.0.0', '/rollback victim@@1.0.0 ships malware'),
  trusteeSays('trustee: /rollback victim@1.0.0.0', '/rollback victim@1.0.0.0 ships malware'),
  trusteeSays('trustee: no space between target and reason', '/rollback victim@1.0.0ships malware'),
  trusteeSays('trustee: target in backticks (copied from a code span)', '/rollback `victim@1.0.0` ships malware'),
  trusteeSays('trustee: the target on a second line', '/rollback\nvictim@1.0.0 ships malware'),
  trusteeSays('trustee: /rollback followed by a 64 KiB line', `/rollback ${'x'.repeat(64 * 1024)}`),
  trusteeSays('trustee: /ROLLBACK victim@1.0.0', '/ROLLBACK victim@1.0.0 ships malware'),
  trusteeSays('trustee: "/rollback name@version reason" copied from the help', '/rollback name@version reason'),
  trusteeSays('trustee: /rollback mid-comment', 'I think we should /rollback victim@1.0.0 ships malware', 'ignored'),
  trusteeSays('trustee: a quoted /rollback in a reply', '> /rollback victim@1.0.0 ships malware\n\nAgreed, but let us wait.', 'ignored'),
  { name: "trustee: Registrar's status heading copied verbatim, on another issue", category: 'commands', expected: 'refused',
    attack: async (c) => {
      const status = c.world.github.issue(REGISTRY.owner, REGISTRY.repo, c.fx.victim.issue).comments.find((x) => x.user.id === c.world.github.botUser.id)?.body ?? '';
      // What a reader copies from the rendered heading: no "###", no backticks, invisible characters and all.
      const heading = (status.split('\n').find((l) => /Published/.test(l)) ?? '').replace(/^#+\s*/, '').replace(/`/g, '');
      const issue = c.issue('Trustee business', OTHER_AUTHOR, 'Rollbacks');
      await c.comment(issue, `/rollback ${heading} ships malware`, { user: TRUSTEE });
    } },
  { name: "trustee: bare /rollback where the only marker is another bot's", category: 'commands', expected: 'refused',
    attack: async (c) => {
      const issue = c.issue('Deploy log', OTHER_AUTHOR, 'Deploys');
      c.say(issue, 'Deployed.\n<!-- registrar:package victim@1.0.0 -->', { id: 9003, login: 'other-bot[bot]', type: 'Bot' });
      await c.comment(issue, '/rollback ships malware', { user: TRUSTEE });
    } },
  { name: '/retry by a stranger', category: 'commands', expected: 'denied',
    attack: async (c) => { await c.comment(c.issue(block(freshRequest())), '/retry', { user: STRANGER }); } },
  { name: 'five /retry by a stranger (still one denial comment)', category: 'commands', expected: 'denied',
    attack: async (c) => {
      const issue = c.issue(block(freshRequest()));
      for (let i = 0; i < 5; i++) await c.comment(issue, '/retry', { user: STRANGER });
    } },
  { name: "a stranger's corrected request on someone's issue", category: 'commands', expected: 'denied',
    attack: async (c) => { await c.comment(c.issue(block(freshRequest({ version: 'v1.0.0' }))), block(requestOf(c.fx.stranger)), { user: STRANGER }); } },
  { name: "a stranger's corrected request, then the author's /retry (the author's request is used)", category: 'commands', expected: ['denied', 'refused'],
    attack: async (c) => {
      const issue = c.issue(block(freshRequest({ version: 'v1.0.0' })));
      await c.comment(issue, block(requestOf(c.fx.stranger)), { user: STRANGER });
      await c.comment(issue, '/retry');
    },
    check: (c) => {
      const last = lastRegistrarComment(c, c.runs.at(-1)!.issue);
      return [
        ...(/stranger-pkg/.test(last) ? ["the author's /retry answered about the stranger's package"] : []),
        ...(/v1\.0\.0/.test(last) ? [] : ["the author's /retry did not answer about the author's own request (its version \"v1.0.0\")"]),
      ];
    } },
];

// ---------------------------------------------------------------------------------------------
// Rendering: hostile text must reach comments inert (the inertness check runs on every row; these rows aim at it)

const rendered = (name: string, request: (fx: Fixture) => Request) => opened('rendering', name, (fx) => block(request(fx)));

const RENDERING: AttackRow[] = inCategory('rendering', [
  rendered('a markdown link in the name', () => freshRequest({ name: '[click me](https://evil.example/login)' })),
  rendered('an image in the tag', () => freshRequest({ ref: '![x](https://evil.example/pixel.png)' })),
  rendered('an @mention in the name', () => freshRequest({ name: 'hey @octocat and @registry/trustees' })),
  rendered('an owner/repo#123 reference in githubRepo', () => freshAt({ githubRepo: 'registry/registry#1' })),
  rendered('an issue reference #1 in the tag', () => freshRequest({ ref: '#1' })),
  rendered('raw HTML <img onerror> in the name', () => freshRequest({ name: '<img src=x onerror=alert(1)>' })),
  rendered('<details> in the tag', () => freshRequest({ ref: '<details open><summary>ok</summary>' })),
  rendered('U+202E (right-to-left override) in the name', () => freshRequest({ name: 'fresh-\u202egkp' })),
  rendered('zero-width characters in githubOwner', () => freshAt({ githubOwner: 'ac\u200bme\u200c\u200d' })),
  rendered('bidi isolates and U+061C in the tag', () => freshRequest({ ref: 'v1\u2066.0\u2069.0\u061c' })),
  rendered('BOM and U+200E in subdir', () => freshAt({ subdir: '\ufeffpkg\u200e' })),
  rendered('a single backtick breaking out of a code span', () => freshRequest({ name: 'a` [x](https://evil.example/) `b' })),
  rendered('a triple-backtick fence and @mention in the name', () => freshRequest({ name: '```\n@octocat ![x](https://evil.example/p.png)\n```' })),
  rendered('a newline, a heading and a link in the name', () => freshRequest({ name: 'x\n\n# Approved\n[details](https://evil.example/)' })),
  rendered('a bare URL and a www. link in githubRepo', () => freshAt({ githubRepo: 'https://evil.example/ www.evil.example' })),
  rendered('an unknown key named like a link', () => ({ ...freshRequest(), '[x](https://evil.example/)': 1 })),
  opened('rendering', 'a syntax error next to a mention', () => fenced('{"name": "fresh-pkg", @octocat <img src=x>')),
  opened('rendering', 'a 70,000-character request value (over the size cap)', () => block(freshRequest({ name: '@a '.repeat(23_334) }))),
  archive('a 70,000-character manifest value: the comment stays under 65,536 and answers', withEntries([], { manifest: manifestOf({ name: '@a [x](https://evil.example/) '.repeat(2_500) }) }), { category: 'rendering' }),
  seeded('rendering', 'a manifest name with a link (in the source)', { name: 'render-link', version: '1.0.0', files: { 'package.json': JSON.stringify({ name: '[x](https://evil.example/) @octocat', version: '1.0.0', license: 'MIT' }) } }),
  seeded('rendering', 'a manifest license with raw HTML', { name: 'render-license', version: '1.0.0', license: '<img src=x onerror=alert(1)> #1' }),
  seeded('rendering', 'a manifest version with a mention and owner/repo#1', { name: 'render-version', version: '1.0.0', files: { 'package.json': JSON.stringify({ name: 'render-version', version: '@octocat registry/registry#1', license: 'MIT' }) } }),
  archive('an archive path with an image and a backslash', withEntries([{ path: '![x](https:\\\\evil.example\\p.png)', body: 'x\n' }]), { category: 'rendering' }),
  trusteeSays('a rollback reason with links, mentions, HTML and bidi (misparsed target)', '/rollback victim@v1.0.0 see [this](https://evil.example/) @octocat #1 <img src=x> \u202eevil'),
  { name: "the author's corrected request with hostile values, in a comment", category: 'rendering', expected: 'refused',
    attack: async (c) => {
      const issue = c.issue(block(freshRequest({ version: 'v1.0.0' })));
      await c.comment(issue, block(freshRequest({ name: '@octocat ![x](https://evil.example/p.png) <b>', ref: 'registry/registry#1 \u202e' })));
    } },
]);

// ---------------------------------------------------------------------------------------------
// Regex cost: every parser a stranger's text reaches, timed in a child process (so a hang is killed, not waited for)

let costs: Promise<CostReport> | undefined;
/** One measurement of every shape and parser per process, shared by the rows. */
export const costReport = () => (costs ??= measureCosts(SHAPES.map((s) => s.name)));

const COST: AttackRow[] = [
  ...SHAPES.map((shape): AttackRow => ({
    name: `64 KiB of ${shape.name}: every parser (${shape.why})`, category: 'cost', expected: 'fast',
    attack: async (c) => {
      const report = await costReport();
      const results = report.results.filter((r) => r.shape === shape.name);
      if (results.length === 0) c.problems.push(`no parser was measured (parsers found: ${report.parsers.join(', ') || 'none'})`);
      const slow = results.filter((r) => r.ms === undefined || r.ms > c.budgets.parserMs);
      for (const r of slow) c.problems.push(r.ms === undefined ? `${r.parser} did not answer within 15 s` : `${r.parser} took ${r.ms.toFixed(1)} ms (budget ${c.budgets.parserMs} ms)`);
      const worst = results.reduce((a, b) => ((b.ms ?? Infinity) > (a?.ms ?? -1) ? b : a), results[0]);
      c.notes.push(slow.length === 0 ? `fast (slowest ${worst?.parser} ${worst?.ms?.toFixed(2)} ms of ${results.length} parsers)` : 'slow');
    },
  })),
  { name: 'a 64 KiB pathological comment, end to end through the built action', category: 'cost', expected: 'ignored',
    attack: async (c) => { await c.comment(c.fx.victim.issue, `Thanks! ${' \n'.repeat(12_000)}x${'@a'.repeat(6_000)}${'[![]('.repeat(3_000)}${'\u2028\u0085::'.repeat(2_000)}`, { user: STRANGER }); },
    check: (c) => endToEnd(c) },
  { name: 'a 64 KiB pathological issue body, end to end through the built action', category: 'cost', expected: 'refused',
    attack: async (c) => { await c.open(`\`\`\`json\n${'{"a":'.repeat(6_000)}${'\u2028\u0085::'.repeat(5_000)}`, { user: STRANGER }); },
    check: (c) => endToEnd(c) },
];

function endToEnd(c: AttackContext): string[] {
  const run = c.runs.at(-1);
  if (!run) return [];
  const extra = run.ms - c.fx.baselineMs;
  c.notes.push(`${Math.round(run.ms)} ms (an ordinary comment: ${Math.round(c.fx.baselineMs)} ms)`);
  return extra > c.budgets.endToEndMs ? [`took ${Math.round(extra)} ms more than an ordinary comment (budget ${c.budgets.endToEndMs} ms)`] : [];
}

// ---------------------------------------------------------------------------------------------
// CPU: a package at every cap builds in seconds (npm run attack only: each build takes a while)

const CAP_ARCHIVE = resolve(import.meta.dirname, '..', 'cap-archive.ts');
/** Where the CPU rows come from: test-support/cap-archive.ts's measureCapBuild, when that module is there. */
export const CAP_BUILD_HOOK = CAP_ARCHIVE;
/** "Builds in seconds": under 20 s on this 2-core machine (scripts/caps.ts fails only past 60 s). */
const CAP_SECONDS = 20;

const CPU: AttackRow[] = existsSync(CAP_ARCHIVE)
  ? ['mixed', 'low-entropy'].map((variant): AttackRow => ({
    name: `a package at every cap builds in seconds (${variant})`, category: 'cpu', expected: 'fast', scriptOnly: true,
    attack: async (c) => {
      const module = (await import(pathToFileURL(CAP_ARCHIVE).href)) as { measureCapBuild?: (v: string) => Promise<{ seconds: number; peakRssMiB?: number }> };
      if (!module.measureCapBuild) {
        c.problems.push('test-support/cap-archive.ts has no measureCapBuild');
        return;
      }
      const t = performance.now();
      const build = await module.measureCapBuild(variant);
      c.notes.push(`${build.seconds.toFixed(2)} s build, ${build.peakRssMiB?.toFixed(0) ?? '?'} MiB peak (${((performance.now() - t) / 1000).toFixed(1)} s with the archive)`);
      if (build.seconds > CAP_SECONDS) c.problems.push(`the build took ${build.seconds.toFixed(1)} s (budget ${CAP_SECONDS} s)`);
    },
  }))
  : [];

// ---------------------------------------------------------------------------------------------
// Secrets: nothing a comment or the log says may hold a credential or a signature

const SIG = 'f3b1c0ffee5e1f7a9d8c7b6a5f4e3d2c1b0a99887766554433221100aabbccdd';
const TOK = 'FQoGZXIvYXdzEXAMPLESESSIONTOKENvalue0123456789abcdefSECRET';
const SIGNED = `https://registry-bucket.s3.amazonaws.com/left-pad/1.2.0.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${SIG}&x-amz-security-token=${TOK}`;
const GHP = `ghp_${'A1b2C3d4E5'.repeat(4).slice(0, 36)}`;
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWdpc3RyYXIifQ.c2lnbmF0dXJlLXNlY3JldA';

/**
 * The credentials (the GitHub token, the S3 key id and secret key) are masked in the log (`::add-mask::` before any
 * other line shows them, so the runner hides them) and in no comment; `service` secrets (what a service's answer
 * quoted: signatures, session tokens) appear in neither the log nor a comment; `authored` ones (what the attacker
 * wrote into the request: public already) in no comment.
 */
function secretChecks(service: string[], authored: string[] = []): (c: AttackContext) => string[] {
  return (c) => {
    const problems: string[] = [];
    const credentials = [...new Set(['test-token', c.world.s3.credentials.secretAccessKey, c.world.s3.credentials.accessKeyId])];
    for (const [i, run] of c.runs.entries()) {
      const lines = `${run.run.stdout}\n${run.run.stderr}`.split('\n');
      for (const secret of credentials) {
        const first = lines.findIndex((l) => l.includes(secret));
        if (first < 0 || !lines[first]!.startsWith(`::add-mask::${secret}`)) {
          problems.push(`run ${i + 1}: the log does not mask ${JSON.stringify(secret)} before it shows it${first < 0 ? ' (no ::add-mask::)' : `: ${JSON.stringify(lines[first]!.slice(0, 120))}`}`);
        }
      }
      for (const secret of service) {
        const line = lines.find((l) => l.includes(secret));
        if (line !== undefined) problems.push(`run ${i + 1}: the log quotes ${JSON.stringify(secret.slice(0, 16))}…: ${JSON.stringify(line.slice(0, 160))}`);
      }
    }
    for (const body of c.touchedComments()) {
      for (const secret of [...service, ...authored]) if (body.includes(secret)) problems.push(`a comment quotes ${JSON.stringify(secret.slice(0, 16))}…`);
    }
    return problems;
  };
}

const SECRETS: AttackRow[] = inCategory('secrets', [
  opened('secrets', 'a signed URL (X-Amz-Signature, x-amz-security-token) in a request field', () => block(freshAt({ githubRepo: SIGNED })), { check: secretChecks([], [SIG, TOK]) }),
  opened('secrets', 'tokens in request fields (ghp_…, Bearer JWT, AKIA…)', () => block(freshRequest({ name: GHP, ref: `Bearer ${JWT}`, location: { githubOwner: 'AKIAIOSFODNN7EXAMPLE', githubRepo: 'fresh' } })),
    { check: secretChecks([], [GHP, JWT, 'AKIAIOSFODNN7EXAMPLE']) }),
  { name: "GitHub's error quoting the token and a signed URL (403 on the repository)", category: 'secrets', expected: 'failed',
    setup: async (c) => {
      c.github.intercept((r) => (r.method === 'GET' && r.url.split('?')[0] === '/repos/secretleak/one'
        ? { status: 403, headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: `Resource not accessible by integration: authorization: token test-token; S3RVER; see ${SIGNED}`, documentation_url: 'https://docs.github.com/rest' }) }
        : undefined));
    },
    attack: async (c) => { await c.open(block(freshAt({ githubOwner: 'secretleak', githubRepo: 'one' })), { user: STRANGER }); },
    check: secretChecks([SIG, TOK]) },
  { name: "GitHub's 500 echoing the request's Authorization header (tag read)", category: 'secrets', expected: 'failed',
    setup: async (c) => {
      c.github.intercept((r) => (r.method === 'GET' && r.url.startsWith('/repos/acme/fresh/git/ref')
        ? { status: 500, headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: `Server Error (request headers: authorization: token ${r.headers.authorization?.replace(/^token /i, '') ?? ''}; x-amz-security-token: ${TOK})` }) }
        : undefined));
    },
    attack: async (c) => { await c.open(block(freshRequest()), { user: STRANGER }); },
    check: secretChecks([TOK]) },
  { name: 'the archive redirects to a signed URL that answers 403 quoting its signature', category: 'secrets', expected: 'failed',
    setup: async (c) => {
      const signedHere = `${c.github.url}/_signed/archive.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${SIG}&x-amz-security-token=${TOK}`;
      c.github.intercept((r) => (r.method === 'GET' && r.url.startsWith(`/repos/${HOSTILE.owner}/${HOSTILE.repo}/tarball/`)
        ? { status: 302, headers: { location: signedHere } } : undefined));
      c.github.intercept((r) => (r.url.startsWith('/_signed/')
        ? { status: 403, headers: { 'content-type': 'application/xml' },
          body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired: X-Amz-Signature=${SIG} x-amz-security-token=${TOK} key S3RVER</Message><RequestId>1</RequestId></Error>` }
        : undefined));
    },
    attack: async (c) => { await c.open(block(hostileRequest()), { user: STRANGER }); },
    check: secretChecks([SIG, TOK]) },
  { name: "S3's AccessDenied quoting the secret key, the signed URL and the Authorization header (every PUT)", category: 'secrets', expected: 'failed',
    setup: async (c) => {
      if (!c.world.sources.has('leaky/pkg')) await c.seed({ owner: 'leaky', repo: 'pkg', id: 8900, name: 'leak-pkg', version: '1.0.0' });
      c.s3.intercept((r) => (r.method === 'PUT' || r.method === 'POST'
        ? { status: 403, headers: { 'content-type': 'application/xml' },
          body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied for ${c.world.s3.credentials.accessKeyId}:${c.world.s3.credentials.secretAccessKey} at ${c.s3.url}${r.url}&X-Amz-Signature=${SIG} (Authorization: ${String(r.headers.authorization ?? '')}; x-amz-security-token=${TOK})</Message><RequestId>1</RequestId></Error>` }
        : undefined));
    },
    attack: async (c) => { await c.open(block(requestOf({ owner: 'leaky', repo: 'pkg', name: 'leak-pkg', version: '1.0.0' })), { user: STRANGER, s3Proxy: true }); },
    check: secretChecks([SIG, TOK]) },
]);

// ---------------------------------------------------------------------------------------------
// Rollback durability: rolled@1.0.0 was rolled back by a trustee; its bytes never come back, whoever asks, however

const rolledRequest = (fx: Fixture, over: Request = {}) => requestOf(fx.rolled.pkg, over);

const DURABILITY: AttackRow[] = [
  opened('durability', 'the same tag again, by a new issue of the author', (fx) => block(rolledRequest(fx)), { mayClose: true }),
  { name: '/retry on the original issue', category: 'durability', expected: 'refused', mayClose: true,
    attack: async (c) => { await c.comment(c.fx.rolled.issue, '/retry'); } },
  { name: 'a new issue by another user', category: 'durability', expected: 'refused', mayClose: true,
    attack: async (c) => { await c.open(block(rolledRequest(c.fx)), { user: OTHER_AUTHOR }); } },
  { name: 'the same bytes under a new tag of the same commit', category: 'durability', expected: 'refused', mayClose: true,
    setup: async (c) => ensureTag(c, 'rb', 'rolled', 'v1.0.0-again', c.fx.rolled.commit),
    attack: async (c) => { await c.open(block(rolledRequest(c.fx, { ref: 'v1.0.0-again' }))); } },
  { name: 'the same bytes under an annotated tag', category: 'durability', expected: 'refused', mayClose: true,
    setup: async (c) => ensureTag(c, 'rb', 'rolled', 'v1.0.0-signed', c.fx.rolled.commit, true),
    attack: async (c) => { await c.open(block(rolledRequest(c.fx, { ref: 'v1.0.0-signed' }))); } },
  { name: 'the same bytes from another commit with the same tree', category: 'durability', expected: 'refused', mayClose: true,
    setup: async (c) => {
      const sha = await c.world.github.commitFiles({ owner: 'rb', repo: 'rolled', branch: 'main', files: {}, message: 'Nothing changed' });
      await ensureTag(c, 'rb', 'rolled', 'v1.0.0-same-tree', sha);
    },
    attack: async (c) => { await c.open(block(rolledRequest(c.fx, { ref: 'v1.0.0-same-tree' }))); } },
  { name: 'a corrected request on the original issue naming a new tag of the same commit', category: 'durability', expected: 'refused', mayClose: true,
    setup: async (c) => ensureTag(c, 'rb', 'rolled', 'v1.0.0-again', c.fx.rolled.commit),
    attack: async (c) => { await c.comment(c.fx.rolled.issue, block(rolledRequest(c.fx, { ref: 'v1.0.0-again' }))); } },
  { name: 'a /retry dated before the rollback', category: 'durability', expected: 'refused', mayClose: true,
    attack: async (c) => { await c.comment(c.fx.rolled.issue, '/retry', { mutate: (p) => { p.comment.created_at = '2001-01-01T00:00:00Z'; } }); } },
  { name: "a trustee's /retry on the original issue", category: 'durability', expected: 'refused', mayClose: true,
    attack: async (c) => { await c.comment(c.fx.rolled.issue, '/retry', { user: TRUSTEE }); } },
];

/** The whole catalogue, in table order. */
export const CATALOGUE: AttackRow[] = [...REQUEST, ...REFS, ...ARCHIVE, ...EVENTS, ...COMMANDS, ...RENDERING, ...COST, ...CPU, ...SECRETS, ...DURABILITY];

const names = new Set<string>();
for (const row of CATALOGUE) {
  if (names.has(row.name)) throw new Error(`two attacks are named ${JSON.stringify(row.name)}`);
  names.add(row.name);
}
