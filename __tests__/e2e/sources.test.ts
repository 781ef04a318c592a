// Given a token that can read private and internal repositories, when a stranger's issue names one as its source, then the built action refuses it exactly as it refuses a repository that does not exist — same comment, same log, nothing written — unless the maintainer set allow-private-sources.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { REGISTRY, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';
import { registryFile, snapshot } from '../../test-support/observe.js';

const STRANGER = { id: 6601, login: 'mallory' };

let world: World;
let counter = 0;
function freshPackage(overrides: Partial<PackageSource> = {}): PackageSource {
  counter += 1;
  return { owner: `corp${counter}`, repo: `secret${counter}`, id: 9600 + counter, name: `hidden-pkg-${counter}`, version: '2.0.0', ...overrides };
}
const thread = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);

/** Runs the action on a new issue by the stranger; returns what anyone could see of the run, and whether anything was written. */
async function request(pkg: PackageSource, inputs: Record<string, string> = {}) {
  const before = await snapshot(world);
  const seen = world.github.requests.length;
  const { issue, event } = openIssue(world, requestBody(pkg), STRANGER);
  // One run id for every run, so the markers it puts in comments do not differ between them.
  const run = await runAction(world, event, { inputs, runId: '4242' });
  const asked = world.github.requests.slice(seen).map((r) => `${r.method} ${r.route} ${r.status}`);
  return { run, issue, asked, comments: thread(issue).comments.map((c) => c.body), unchanged: JSON.stringify(await snapshot(world)) === JSON.stringify(before) };
}

/** A text with the repository's names and the issue number put back to the nonexistent request's. */
const asIf = (text: string, from: PackageSource, to: PackageSource, issues: [number, number]) =>
  text.replaceAll(`${from.owner}/${from.repo}`, `${to.owner}/${to.repo}`).replaceAll(from.owner, to.owner).replaceAll(from.repo, to.repo)
    .replaceAll(`#${issues[0]}`, `#${issues[1]}`).replaceAll(`issue=${issues[0]}`, `issue=${issues[1]}`);
/** The run's log without the lines that differ by nature between two runs (timings). */
const log = (stdout: string) => stdout.split('\n').filter((line) => !/\d+ ?ms\b/.test(line)).join('\n');

beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

describe('a private or internal source repository (rule 12)', () => {
  it.each(['private', 'internal'] as const)('is refused like a repository that does not exist: same comment, same log, nothing written (%s)', async (visibility) => {
    // The same name, version and tag in both requests: only the repository differs.
    const hidden = freshPackage({ visibility });
    await seedPackage(world, hidden);
    const nowhere = { ...hidden, owner: `ghost${counter}`, repo: `nothing${counter}`, visibility: undefined };

    const missing = await request(nowhere);
    const refused = await request(hidden);

    for (const outcome of [missing, refused]) {
      expect(outcome.run.code).not.toBe(0);
      expect(outcome.run.outputs.status).toBe('refused');
      expect(outcome.unchanged).toBe(true);
      expect(thread(outcome.issue).state).toBe('open');
    }
    expect(missing.comments).toHaveLength(1);
    expect(missing.comments[0]).toContain(`${nowhere.owner}/${nowhere.repo} does not exist or is not public`);
    const same = (text: string) => asIf(text, hidden, nowhere, [refused.issue, missing.issue]);
    expect(refused.comments.map(same)).toEqual(missing.comments);
    expect(same(log(refused.run.stdout))).toBe(log(missing.run.stdout));
    expect(refused.run.outputs).toEqual(missing.run.outputs);
    // Nothing the private repository holds reaches the comment or the log: not its id, its tag's commit, its manifest.
    const visible = refused.comments.join('\n') + refused.run.stdout + refused.run.stderr;
    expect(visible).not.toContain(String(hidden.id));
    expect(visible).not.toContain(await world.github.head(hidden.owner, hidden.repo, 'main'));
    expect(visible).not.toContain('index.js');
    // The same requests (GitHub's answer to the first differs: 200, not 404): the repository's identity, and nothing else of it (no tag, no archive).
    // Sorted: the registry snapshot is read alongside the source's identity, so those two may arrive in either order.
    const routes = (asked: string[]) => asked.map((r) => r.replace(/ \d+$/, '')).sort();
    expect(routes(refused.asked)).toEqual(routes(missing.asked));
    // The source repository's requests (the registry repository's issues and labels are the report's).
    expect(refused.asked.filter((r) => r.includes('{owner}/{repo}') && !r.includes('/issues') && !r.includes('/labels'))).toEqual(['GET /repos/{owner}/{repo} 200']);
    if (process.env['SHOW_REFUSAL']) process.stdout.write(`${refused.comments.join('\n---\n')}\n${refused.run.stdout}\n${refused.asked.join('\n')}\n`);
  });

  it.each(['private', 'internal'] as const)('is published when the maintainer sets allow-private-sources: true (%s)', async (visibility) => {
    const pkg = freshPackage({ visibility });
    await seedPackage(world, pkg);
    const { run, issue } = await request(pkg, { 'allow-private-sources': 'true' });
    expect({ code: run.code, status: run.outputs.status, stderr: run.stderr }).toEqual({ code: 0, status: 'published', stderr: '' });
    const metadata = JSON.parse((await registryFile(world, `metadata/${pkg.name.slice(0, 2)}/${pkg.name.slice(2, 4)}/${pkg.name}.json`))!);
    expect(metadata.location).toEqual({ githubOwner: pkg.owner, githubRepo: pkg.repo, repositoryId: pkg.id });
    expect(metadata.published[pkg.version].issue).toBe(issue);
    expect((await world.s3.listRaw(world.buckets[0]!)).map((o) => o.key)).toContain(`${pkg.name}/${pkg.version}.tar.gz`);
  });

  it('is refused when allow-private-sources is false, said explicitly', async () => {
    const pkg = freshPackage({ visibility: 'private' });
    await seedPackage(world, pkg);
    const { run, unchanged } = await request(pkg, { 'allow-private-sources': 'false' });
    expect(run.outputs.status).toBe('refused');
    expect(unchanged).toBe(true);
  });
});

describe('credentials', () => {
  it('masks every credential before anything else is printed: the GitHub token, the team token, each key id, secret and session token', async () => {
    const secrets = { github: 'ghs_registry_token_1234', team: 'ghs_team_token_5678', id: 'AKIAEXAMPLEKEYID', secret: 'wJalrXUtnFEMI/EXAMPLEKEY', session: 'FwoGZXIvYXdzEXAMPLESESSION' };
    // A bot's issue is ignored, so nothing is written with the made-up keys; the masks come first anyway.
    const { event } = openIssue(world, 'not a request', { id: 41898282, login: 'github-actions[bot]', type: 'Bot' });
    const run = await runAction(world, event, {
      inputs: {
        'github-token': secrets.github,
        'trustee-team': 'registry/trustees',
        'trustee-team-token': secrets.team,
        backends: JSON.stringify([{ name: 'primary', endpoint: world.s3.endpoint, bucket: world.buckets[0],
          credentials: { accessKeyIdEnv: 'KEY_ID', secretAccessKeyEnv: 'KEY_SECRET', sessionTokenEnv: 'KEY_SESSION' } }]),
      },
      env: { KEY_ID: secrets.id, KEY_SECRET: secrets.secret, KEY_SESSION: secrets.session },
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const masks = lines.filter((line) => line.startsWith('::add-mask::')).map((line) => line.slice('::add-mask::'.length));
    expect(masks.sort()).toEqual(Object.values(secrets).sort());
    expect(lines.slice(0, masks.length).every((line) => line.startsWith('::add-mask::'))).toBe(true);
  });
});
