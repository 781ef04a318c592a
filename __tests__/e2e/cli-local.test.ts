// Given a package in a local git repository and nothing else, when a maintainer runs the built CLI (dist/cli.js) on a local registry and a storage directory, then publish, audit, rollback, reconcile and dry-run work with no cloud at all.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IDENTITY, files, registrar } from '../../test-support/cli.js';
import { git } from '../../test-support/git.js';

const sh = async (cwd: string, ...args: string[]) =>
  (await promisify(execFile)('git', args, { cwd, env: { ...process.env, ...IDENTITY } })).stdout.trim();


/** A package source at `<root>/acme/<repo>`: a git repository with a tag per release. */
async function source(root: string, repo: string, name: string, subdir = ''): Promise<{ dir: string; release(version: string, extra?: string): Promise<string> }> {
  const dir = join(root, 'acme', repo);
  await mkdir(join(dir, subdir), { recursive: true });
  await sh(dir, 'init', '-q', '-b', 'main');
  await writeFile(join(dir, 'README.md'), `# ${repo}\n`);
  return {
    dir,
    release: async (version: string, extra = '') => {
      await writeFile(join(dir, subdir, 'package.json'), `${JSON.stringify({ name, version, license: 'MIT' })}\n`);
      await writeFile(join(dir, subdir, 'index.js'), `export default ${JSON.stringify(name + extra)};\n`);
      await sh(dir, 'add', '.');
      await sh(dir, 'commit', '-qm', `Release ${version}`);
      await sh(dir, 'tag', `v${version}`);
      return sh(dir, 'rev-parse', 'HEAD');
    },
  };
}

let root: string;
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'registrar-cli-local-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe('the documented line, with no cloud', () => {
  let work: string;
  let registry: string;
  let storage: string;
  let pkg: Awaited<ReturnType<typeof source>>;
  const line = (version: string) => ['publish', '--registry', registry, '--storage', storage, '--source', pkg.dir, '--ref', `v${version}`, `left-pad@${version}`];
  beforeAll(async () => {
    work = await mkdtemp(join(root, 'story-'));
    registry = join(work, 'registry');
    storage = join(work, 'storage');
    pkg = await source(work, 'left-pad', 'left-pad');
    await pkg.release('1.2.0');
  });

  it('publishes into a registry and a storage that did not exist, printing the outcome as JSON', async () => {
    const run = await registrar(work, [...line('1.2.0'), '--json']);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.out) as Record<string, unknown>;
    expect(outcome).toMatchObject({ command: 'publish', status: 'published', name: 'left-pad', version: '1.2.0', resumed: false,
      steps: ['prepared', 'staged', 'committed', 'promoted', 'cleaned'] });
    expect(run.err).toContain('Published `left-pad@1.2.0`');
    // The registry with git's eyes: the initial commit, then one publish commit whose message carries no issue.
    expect((await git(registry, 'log', '--format=%s', 'main')).trim().split('\n')).toEqual(['Publish left-pad@1.2.0', 'Start the registry']);
    expect((await git(registry, 'rev-parse', 'main')).trim()).toBe(outcome.registryCommit);
    const metadata = JSON.parse(await git(registry, 'show', 'main:metadata/le/ft/left-pad.json')) as { published: Record<string, Record<string, unknown>> };
    expect(metadata.published['1.2.0']).toMatchObject({ sha256: outcome.sha256, ref: 'v1.2.0' });
    expect(metadata.published['1.2.0']).not.toHaveProperty('issue');
    // The storage with the file system's eyes: the final tarball only, no staging left.
    const held = await files(storage);
    expect(Object.keys(held)).toEqual(['left-pad/.1.2.0.tar.gz.sha256', 'left-pad/1.2.0.tar.gz']);
    expect(`sha256-${Buffer.from(held['left-pad/1.2.0.tar.gz']!, 'hex').toString('base64')}`).toBe(outcome.sha256);
  });

  it('audit then reports the version clean', async () => {
    const run = await registrar(work, ['audit', '--registry', registry, '--storage', storage]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('1 package(s), 1 object(s) listed, 1 read and hashed');
    expect(run.out).toContain('No violations of invariants 1, 2 or 5.');
    expect(run.err).toMatch(/^audit: .*1 objects hashed/m);
  });

  it('the same command again converges: it resumes, and writes no second commit', async () => {
    const head = await git(registry, 'rev-parse', 'main');
    const before = await files(storage);
    const run = await registrar(work, [...line('1.2.0'), '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ status: 'published', resumed: true, registryCommit: null });
    expect(await git(registry, 'rev-parse', 'main')).toBe(head);
    expect(await files(storage)).toEqual(before);
  });

  it('rollback removes it with a record naming who and why, and audit is clean again', async () => {
    const run = await registrar(work, ['rollback', '--registry', registry, '--storage', storage, 'left-pad@1.2.0', '--reason', 'leaks a token', '--by', 'trustee-tom']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('Rolled back `left-pad@1.2.0`');
    expect((await git(registry, 'log', '--format=%s', '-2', 'main')).trim().split('\n'))
      .toEqual(['Rollback left-pad@1.2.0: storage cleaned', 'Rollback left-pad@1.2.0']);
    const metadata = JSON.parse(await git(registry, 'show', 'main:metadata/le/ft/left-pad.json')) as Record<string, unknown>;
    expect(metadata.published).toEqual({});
    expect(metadata.rolledBack).toEqual([expect.objectContaining({ version: '1.2.0', by: { login: 'trustee-tom' }, reason: 'leaks a token', cleaned: true })]);
    expect(await files(storage)).toEqual({});
    const audit = await registrar(work, ['audit', '--registry', registry, '--storage', storage, '--json']);
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.out)).toMatchObject({ command: 'audit', status: 'clean', report: { violations: [] } });
  });

  it('the rolled-back bytes are refused when published again (exit 3), writing nothing', async () => {
    const head = await git(registry, 'rev-parse', 'main');
    const run = await registrar(work, line('1.2.0'));
    expect(run.code).toBe(3);
    expect(run.out).toMatch(/Refused left-pad@1\.2\.0: .*rolled-back bytes can never be published again/);
    expect(await git(registry, 'rev-parse', 'main')).toBe(head);
    expect(await files(storage)).toEqual({});
  });

  it('a fixed release publishes', async () => {
    await pkg.release('1.2.1', ' fixed');
    const run = await registrar(work, line('1.2.1'));
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Published left-pad@1\.2\.1: sha256-/);
    expect(Object.keys(await files(storage))).toEqual(['left-pad/.1.2.1.tar.gz.sha256', 'left-pad/1.2.1.tar.gz']);
  });
});

describe('more of the CLI on local backends', () => {
  it('publishes a package from a subdirectory with --subdir', async () => {
    const work = await mkdtemp(join(root, 'subdir-'));
    const pkg = await source(work, 'monorepo', 'inner-pkg', 'packages/inner');
    await pkg.release('0.1.0');
    const run = await registrar(work, ['publish', '--registry', 'reg', '--storage', 'store', '--source', pkg.dir, '--ref', 'v0.1.0',
      '--subdir', 'packages/inner', 'inner-pkg@0.1.0', '--json']);
    expect(run.code).toBe(0);
    const metadata = JSON.parse(await git(join(work, 'reg'), 'show', 'main:metadata/in/ne/inner-pkg.json')) as
      { location: Record<string, unknown>; published: Record<string, Record<string, unknown>> };
    expect(metadata.location).toMatchObject({ githubOwner: 'acme', githubRepo: 'monorepo' });
    expect(metadata.published['0.1.0']).toMatchObject({ subdir: 'packages/inner' });
    expect(Object.keys(await files(join(work, 'store')))).toContain('inner-pkg/0.1.0.tar.gz');
  });

  it('reconcile finishes a publish that stopped between commit and promote', async () => {
    const work = await mkdtemp(join(root, 'reconcile-'));
    const pkg = await source(work, 'half-done', 'half-done');
    await pkg.release('3.0.0');
    const store = join(work, 'store');
    const published = JSON.parse((await registrar(work, ['publish', '--registry', 'reg', '--storage', store, '--source', pkg.dir, '--ref', 'v3.0.0',
      'half-done@3.0.0', '--json'])).out) as { sha256: string };
    // Put the storage back as a run that crashed after its commit left it: the tarball at its staging key, no final object.
    const hex = Buffer.from(published.sha256.slice('sha256-'.length), 'base64').toString('hex');
    const staging = join(store, 'staging', 'half-done', '3.0.0');
    await mkdir(staging, { recursive: true });
    await rename(join(store, 'half-done', '3.0.0.tar.gz'), join(staging, `${hex}.tar.gz`));
    await rename(join(store, 'half-done', '.3.0.0.tar.gz.sha256'), join(staging, `.${hex}.tar.gz.sha256`));
    const broken = await registrar(work, ['audit', '--registry', 'reg', '--storage', store]);
    expect(broken.code).toBe(0); // a version in its promote window is no violation, and its staging object is still needed

    const run = await registrar(work, ['reconcile', '--registry', 'reg', '--storage', store, '--grace-minutes', '0', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as { status: string; report: { actions: { kind: string }[] } };
    expect(report.status).toBe('clean');
    expect(report.report.actions.map((a) => a.kind)).toEqual(['promoted', 'staging-deleted']);
    expect(Object.keys(await files(store))).toEqual(['half-done/.3.0.0.tar.gz.sha256', 'half-done/3.0.0.tar.gz']);
    const audit = await registrar(work, ['audit', '--registry', 'reg', '--storage', store]);
    expect(audit.code).toBe(0);
    expect(audit.out).toContain('1 read and hashed');
  });

  it('reconcile without the bytes anywhere needs a person (exit 4); given the source, it rebuilds them from the recorded commit', async () => {
    const work = await mkdtemp(join(root, 'rebuild-'));
    const pkg = await source(work, 'lost-bytes', 'lost-bytes');
    await pkg.release('2.0.0');
    const store = join(work, 'store');
    const published = JSON.parse((await registrar(work, ['publish', '--registry', 'reg', '--storage', store, '--source', pkg.dir, '--ref', 'v2.0.0',
      'lost-bytes@2.0.0', '--json'])).out) as { sha256: string };
    const held = await files(store);
    await rm(join(store, 'lost-bytes'), { recursive: true });
    // The tag moves on; the metadata's commit is what a rebuild uses.
    await pkg.release('2.0.1');

    const stuck = await registrar(work, ['reconcile', '--registry', 'reg', '--storage', store, '--grace-minutes', '0']);
    expect(stuck.code).toBe(4);
    expect(stuck.out).toContain('#### Needs a person (1)');
    expect(stuck.out).toContain('promote failed');

    const run = await registrar(work, ['reconcile', '--registry', 'reg', '--storage', store, '--source', pkg.dir, '--grace-minutes', '0', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ status: 'clean', report: { actions: [{ kind: 'promoted', sha256: published.sha256 }] } });
    // The same bytes as the publish stored (the record beside them names the new file, so it differs).
    const rebuilt = await files(store);
    expect(Object.keys(rebuilt)).toEqual(Object.keys(held));
    expect(rebuilt['lost-bytes/2.0.0.tar.gz']).toBe(held['lost-bytes/2.0.0.tar.gz']);
  });

  it('two publishes started at once on a registry that does not exist yet both land', async () => {
    const work = await mkdtemp(join(root, 'race-'));
    const one = await source(work, 'racer-one', 'racer-one');
    const two = await source(work, 'racer-two', 'racer-two');
    await one.release('1.0.0');
    await two.release('1.0.0');
    const publishing = [one, two].map((pkg, i) => registrar(work, ['publish', '--registry', 'reg', '--storage', 'store', '--source', pkg.dir,
      '--ref', 'v1.0.0', `racer-${i === 0 ? 'one' : 'two'}@1.0.0`, '--json']));
    const runs = await Promise.all(publishing);
    for (const run of runs) expect(JSON.parse(run.out)).toMatchObject({ status: 'published' });
    expect((await git(join(work, 'reg'), 'ls-tree', '-r', '--name-only', 'main')).trim().split('\n'))
      .toEqual(['README.md', 'metadata/ra/ce/racer-one.json', 'metadata/ra/ce/racer-two.json']);
    expect((await registrar(work, ['audit', '--registry', 'reg', '--storage', 'store'])).code).toBe(0);
  });

  it('a rollback of a version never published is refused (exit 3) and changes nothing', async () => {
    const work = await mkdtemp(join(root, 'no-such-'));
    const run = await registrar(work, ['rollback', '--registry', 'reg', '--storage', 'store', 'ghost@1.0.0', '--reason', 'typo', '--by', 'tom']);
    expect(run.code).toBe(3);
    expect(run.out).toContain('Could not roll back `ghost@1.0.0`');
    expect((await git(join(work, 'reg'), 'log', '--format=%s', 'main')).trim()).toBe('Start the registry');
    expect(await files(join(work, 'store'))).toEqual({});
  });

  it('dry-run shows the files, size and sha256 a publish would store, and writes nothing', async () => {
    const work = await mkdtemp(join(root, 'dry-run-'));
    const pkg = await source(work, 'dry', 'dry-pkg');
    await pkg.release('1.0.0');
    const first = await registrar(work, ['dry-run', '--registry', 'reg', '--source', pkg.dir, '--ref', 'v1.0.0', 'dry-pkg@1.0.0', '--json']);
    expect(first.code).toBe(0);
    const plan = JSON.parse(first.out) as Record<string, unknown>;
    expect(plan).toMatchObject({ command: 'dry-run', status: 'would-publish', name: 'dry-pkg', files: ['README.md', 'index.js', 'package.json'] });
    // No registry yet: the dry run planned the registry's first package, and started nothing.
    expect(plan.registryHead).toBeNull();
    expect(await readdir(work)).toEqual(['acme']);
    const published = JSON.parse((await registrar(work, ['publish', '--registry', 'reg', '--storage', 'store', '--source', pkg.dir, '--ref', 'v1.0.0',
      'dry-pkg@1.0.0', '--json'])).out) as Record<string, unknown>;
    expect(published.sha256).toBe(plan.sha256);
    expect(published.bytes).toBe(plan.bytes);
    // On the registry that now exists, the same dry run sees the version committed by the CLI, and writes nothing.
    const head = await git(join(work, 'reg'), 'rev-parse', 'main');
    const again = await registrar(work, ['dry-run', '--registry', 'reg', '--source', pkg.dir, '--ref', 'v1.0.0', 'dry-pkg@1.0.0']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^dry-pkg@1\.0\.0 is already committed from the command line/);
    expect(again.out).toContain(`${plan.bytes as number} bytes, ${plan.sha256 as string}`);
    expect(await git(join(work, 'reg'), 'rev-parse', 'main')).toBe(head);
  });
});

describe('help and usage', () => {
  const COMMANDS = ['publish', 'dry-run', 'rollback', 'reconcile', 'audit'];

  it('registrar --help lists all five commands; each command has its own usage', async () => {
    const general = await registrar(root, ['--help']);
    expect(general.code).toBe(0);
    for (const command of COMMANDS) expect(general.out).toMatch(new RegExp(`^  ${command} `, 'm'));
    const usages = new Set<string>([general.out]);
    for (const command of COMMANDS) {
      const own = await registrar(root, [command, '--help']);
      expect(own.code).toBe(0);
      expect(own.out).toContain(`Usage: registrar ${command} `);
      expect(own.out).toContain('Exit status: 0 done');
      usages.add(own.out);
    }
    expect(usages.size).toBe(COMMANDS.length + 1);
  });

  it.each([
    ['a version that is not one', ['publish', '--registry', 'r', '--storage', 's', '--source', '.', '--ref', 'v1', 'left-pad@1.2'], /<version> is "1\.2"/],
    ['no --ref', ['publish', '--registry', 'r', '--storage', 's', '--source', '.', 'left-pad@1.2.0'], /--ref TAG is required/],
    ['no name@version', ['publish', '--registry', 'r', '--storage', 's', '--source', '.', '--ref', 'v1'], /publish needs the version: <name>@<version>/],
    ['no storage', ['publish', '--registry', 'r', '--source', '.', '--ref', 'v1.2.0', 'left-pad@1.2.0'], /No storage given/],
    ['a rollback with no reason', ['rollback', '--registry', 'r', '--storage', 's', 'left-pad@1.2.0'], /--reason is ""; expected why/],
    ['an unknown flag', ['audit', '--registry', 'r', '--storage', 's', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['an audit of a registry that is not there', ['audit', '--registry', 'r', '--storage', 's'], /--registry is "r", which is missing or empty: there is no registry to audit/],
    ['a source that is no directory', ['publish', '--registry', 'r', '--storage', 's', '--source', 'nowhere', '--ref', 'v1.2.0', 'left-pad@1.2.0'], /--source is "nowhere", which is not a directory/],
  ])('%s: exit 2, the flag and what is expected named, nothing created', async (_what, args, says) => {
    const cwd = await mkdtemp(join(root, 'usage-'));
    await mkdir(join(cwd, 'acme', 'x'), { recursive: true });
    const run = await registrar(join(cwd, 'acme', 'x'), args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(says);
    expect(run.err).toContain(`Usage: registrar ${args[0]} `);
    expect(run.out).toBe('');
    expect(await readdir(join(cwd, 'acme', 'x'))).toEqual([]);
  });
});
