// Given publish issues on the emulator and s3rver, when people comment /help, /status, /dry-run or an unknown /word, then each gets one clear answer, and nothing is written but that answer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { registryCommits, registryFile, snapshot } from '../../test-support/observe.js';
import { FaultPlan, githubRoute, startFaultProxy } from '../../test-support/faults/index.js';
import { REGISTRY, commentOn, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';

const TRUSTEE = { id: 6101, login: 'trudy' };
const STRANGER = { id: 6666, login: 'mallory' };
const inputs = { 'trustee-ids': String(TRUSTEE.id) };
const ANSWER = '<!-- registrar:answer -->';
const DRY_RUN = '<!-- registrar:dry-run -->';

let world: World;
let counter = 0;
function freshPackage(): PackageSource {
  counter += 1;
  return { owner: `cmd${counter}`, repo: `lib${counter}`, id: 8400 + counter, name: `command-pkg-${counter}`, version: '1.0.0',
    files: { 'lib/a.js': 'export const a = 1;\n', 'lib/b.js': 'export const b = 2;\n' } };
}
const thread = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
const botComments = (issue: number) => thread(issue).comments.filter((c) => c.user.type === 'Bot');
const withMarker = (issue: number, marker: string) => botComments(issue).filter((c) => c.body.startsWith(marker));
const reactionsOn = (issue: number, event: { payload: unknown }) =>
  thread(issue).comments.find((c) => c.id === (event.payload as { comment: { id: number } }).comment.id)!.reactions.map((r) => r.content);
const metadataPath = (name: string) => `metadata/${name.slice(0, 2)}/${name.slice(2, 4)}/${name}.json`;

beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

describe('/help', () => {
  it('lists what this person may do here: the author, a trustee and a stranger each see their own commands', async () => {
    const pkg = freshPackage();
    const { issue } = openIssue(world, requestBody(pkg));
    const answer = () => withMarker(issue, ANSWER).map((c) => c.body);

    expect((await runAction(world, commentOn(world, issue, '/help'), { inputs })).outputs.status).toBe('answered');
    const forAuthor = answer()[0]!;
    expect(forAuthor).toContain('As the author of this issue');
    for (const usage of ['`/retry`', '`/dry-run`', '`/status`', '`/help`', 'a corrected request']) expect(forAuthor).toContain(`| ${usage}`);
    expect(forAuthor).not.toContain('| `/rollback');
    expect(forAuthor).toContain('Not for you here: `/rollback name@version reason`');

    await runAction(world, commentOn(world, issue, '/help', TRUSTEE), { inputs });
    const forTrustee = answer()[0]!;
    expect(forTrustee).toContain('As a registry trustee');
    expect(forTrustee).toContain('| `/rollback name@version reason`');
    expect(forTrustee).not.toContain('Not for you here');

    await runAction(world, commentOn(world, issue, '/help', STRANGER), { inputs });
    const forStranger = answer()[0]!;
    expect(forStranger).toContain('| `/status`');
    expect(forStranger).not.toMatch(/\| `\/retry`|\| `\/dry-run`|\| `\/rollback/);
    expect(forStranger).toContain('open a new issue with its request');
    // One answer comment per issue, updated in place.
    expect(answer()).toHaveLength(1);
  });
});

describe("anyone's commands are cheap and cannot be spammed", () => {
  it("a stranger's /help, /status and unknown /words cost edits of one answer comment: no reactions, no second comment, no write", async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue } = openIssue(world, requestBody(pkg));
    const before = await snapshot(world);
    const events = [];
    for (const body of ['/help', '/status', '/frobnicate now', '/help', '/Status', '/status']) {
      const event = commentOn(world, issue, body, STRANGER);
      events.push(event);
      const seen = world.github.requests.length;
      const run = await runAction(world, event, { inputs });
      expect(run.code).toBe(0);
      expect(run.outputs.status).toBe('answered');
      // What each costs: at most a comment listing, one registry snapshot, and one comment write.
      const requests = world.github.requests.slice(seen);
      expect(requests.length).toBeLessThanOrEqual(3);
      expect(requests.filter((r) => r.method !== 'GET' && !r.route.startsWith('graphql:'))).toHaveLength(1);
    }
    expect(botComments(issue)).toHaveLength(1);
    for (const event of events) expect(reactionsOn(issue, event)).toEqual([]);
    expect(await snapshot(world)).toEqual(before);
  });

  it('answers an unknown /word with a pointer to /help, naming it inertly', async () => {
    const { issue } = openIssue(world, requestBody(freshPackage()));
    const run = await runAction(world, commentOn(world, issue, '/publish-now @everyone'), { inputs });
    expect(run.outputs.status).toBe('answered');
    const [answer] = withMarker(issue, ANSWER);
    expect(answer!.body).toContain('`/publish-now` is not a Registrar command');
    expect(answer!.body).toContain('Comment `/help`');
    expect(answer!.body).not.toContain('@everyone');
  });
});

describe('/status', () => {
  it("shows the package's versions and rollbacks at one registry commit, and this issue's attempts from Registrar's own comments only", async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg, { ref: 'v9.9.9-missing' }));
    expect((await runAction(world, event, { inputs })).code).not.toBe(0);
    expect((await runAction(world, commentOn(world, issue, requestBody(pkg)), { inputs })).outputs.status).toBe('published');
    // A stranger pastes a marker of a "published" attempt: it must count for nothing.
    commentOn(world, issue, '<!-- registrar:status run=1 attempt=7 -->\n<!-- registrar:state published -->', STRANGER);

    const run = await runAction(world, commentOn(world, issue, '/status', STRANGER), { inputs });
    expect(run.outputs.status).toBe('answered');
    const body = withMarker(issue, ANSWER)[0]!.body;
    const head = (await registryCommits(world))[0]!.sha;
    const { sha256 } = JSON.parse((await registryFile(world, metadataPath(pkg.name)))!).published['1.0.0'];
    expect(body).toContain(`### 📋 Status of \`${pkg.name}\``);
    expect(body).toContain(`At registry commit \`${head.slice(0, 12)}\``);
    expect(body).toContain(`| \`1.0.0\` |`);
    expect(body).toContain(sha256);
    expect(body).toContain('this issue');
    // Two attempts, the refused one and the published one; the stranger's forged attempt 7 is not among them.
    expect(body).toContain("**This issue's attempts** (2)");
    expect(body).toMatch(/attempt 1\]\(#issuecomment-\d+\): ❌ refused/);
    expect(body).toMatch(/attempt 1\]\(#issuecomment-\d+\): ✅ published/);
    expect(body).not.toContain('attempt 7');
    expect(body).toContain('Nothing to do: the version is published.');
  });
});

describe('/dry-run', () => {
  it('reports what a publish would do — fresh, files, size, sha256 — and writes nothing: no storage object, no registry commit', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event: opened } = openIssue(world, requestBody(pkg));
    const before = await snapshot(world);
    const event = commentOn(world, issue, '/dry-run');
    const run = await runAction(world, event, { inputs });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('dry-run-fresh');
    // Every bucket listed and every ref read: exactly as before.
    expect(await snapshot(world)).toEqual(before);
    expect(reactionsOn(issue, event)).toEqual(['eyes', 'rocket']);
    const report = withMarker(issue, DRY_RUN)[0]!.body;
    expect(report).toContain(`### 🧪 Dry run of \`${pkg.name}@1.0.0\``);
    expect(report).toContain('**A publish would commit this version fresh**');
    expect(report).toContain('**What to do:**');
    for (const file of ['README.md', 'index.js', 'lib/a.js', 'lib/b.js', 'package.json']) expect(report).toContain(`- \`${file}\``);
    expect(report).toContain('**Files** (5)');

    // The publish that follows stages exactly the bytes the dry run announced.
    expect((await runAction(world, opened, { inputs })).outputs.status).toBe('published');
    const { sha256, bytes } = JSON.parse((await registryFile(world, metadataPath(pkg.name)))!).published['1.0.0'];
    expect(report).toContain(`| sha256 | \`${sha256}\` |`);
    expect(report).toContain(`| size | ${bytes} bytes |`);
  });

  it('on a version another issue published, says a publish would be refused and why, and writes nothing', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const first = openIssue(world, requestBody(pkg));
    expect((await runAction(world, first.event, { inputs })).outputs.status).toBe('published');
    const { issue } = openIssue(world, requestBody(pkg));
    const before = await snapshot(world);
    const event = commentOn(world, issue, '/dry-run');
    const run = await runAction(world, event, { inputs });
    expect(run.outputs.status).toBe('dry-run-refuse');
    expect(await snapshot(world)).toEqual(before);
    const report = withMarker(issue, DRY_RUN)[0]!.body;
    expect(report).toContain('**A publish would be refused:**');
    expect(report).toContain(`issue #${first.issue}`);
    expect(report).toContain('**What to do:**');
    expect(reactionsOn(issue, event)).toEqual(['eyes', 'confused']);
  });

  it("is the author's or a trustee's: a stranger's /dry-run is denied, costs no build, and writes nothing", async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue } = openIssue(world, requestBody(pkg));
    const before = await snapshot(world);
    const seen = world.github.requests.length;
    const event = commentOn(world, issue, '/dry-run', STRANGER);
    const run = await runAction(world, event, { inputs });
    expect(run.outputs.status).toBe('denied');
    // No 👀: nothing was picked up, and a stranger's commands must not multiply the bot's writes.
    expect(reactionsOn(issue, event)).toEqual([]);
    expect(world.github.requests.slice(seen).some((r) => r.route.includes('tarball') || r.route.includes('codeload'))).toBe(false);
    expect(await snapshot(world)).toEqual(before);
    expect(withMarker(issue, DRY_RUN)).toHaveLength(0);
    expect(botComments(issue)[0]!.body).toContain('`/dry-run`');
  });
});

describe('the end of a run, at a glance', () => {
  it('labels the issue failed then published (the stale label taken off), creating the labels once, and reacts 😕 then 🚀', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg, { ref: 'v0.0.0-typo' }));
    const failed = await runAction(world, event, { inputs });
    expect(failed.code).not.toBe(0);
    expect(thread(issue).labels).toEqual(['registrar/failed']);
    // An opened issue is its own trigger: the reactions go on the issue.
    expect(thread(issue).reactions.map((r) => r.content)).toEqual(['eyes', 'confused']);

    const corrected = commentOn(world, issue, requestBody(pkg));
    expect((await runAction(world, corrected, { inputs })).outputs.status).toBe('published');
    expect(thread(issue).labels).toEqual(['registrar/published']);
    expect(reactionsOn(issue, corrected)).toEqual(['eyes', 'rocket']);

    const status = botComments(issue).filter((c) => c.body.includes('<!-- registrar:status ')).at(-1)!.body;
    // The run link, the registry commit and the tarball, and a ledger with durations.
    expect(status).toMatch(new RegExp(`\\[workflow run \\d+, attempt 1\\]\\(${world.github.url}/${REGISTRY.owner}/${REGISTRY.repo}/actions/runs/\\d+\\)`));
    expect(status).toMatch(/\| registry commit \| \[[0-9a-f]{12}\]\(/);
    expect(status).toContain(`| tarball (primary) |`);
    expect(status).toMatch(/✅ prepared \(\d+(\.\d)? m?s\) · ✅ staged \(\d+(\.\d)? m?s\)/);

    const trustee = commentOn(world, issue, '/rollback it was a test', TRUSTEE);
    expect((await runAction(world, trustee, { inputs })).outputs.status).toBe('rolled-back');
    expect(thread(issue).labels).toEqual(['registrar/rolled-back']);
    expect(reactionsOn(issue, trustee)).toEqual(['eyes', 'rocket']);
  });

  it('never fails a publish over a label: with every label creation answering 5xx, the version is still published', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    const plan = new FaultPlan();
    const proxy = await startFaultProxy({ name: 'github', target: world.github.url, plan, classify: githubRoute });
    try {
      // Every label creation answers 5xx, the client's own retries included.
      plan.set([{ route: 'POST /repos/{owner}/{repo}/labels', occurrence: 1, mode: 'exhausted' }]);
      const run = await runAction(world, event, { inputs, via: { github: proxy.url, s3: world.s3.endpoint } });
      expect(plan.log.some((r) => r.route === 'POST /repos/{owner}/{repo}/labels' && r.outcome === 'answered')).toBe(true);
      expect(run.code).toBe(0);
      expect(run.outputs.status).toBe('published');
      expect(run.stdout).toContain('Could not set the label registrar/published');
      expect(thread(issue).state).toBe('closed');
      expect(thread(issue).labels).toEqual([]);
      expect(thread(issue).reactions.map((r) => r.content)).toEqual(['eyes', 'rocket']);
    } finally {
      await proxy.close();
    }
  });
});
