// The commands the fault matrix exercises, each set up in a fresh world with the event that starts it and the one that repeats it.
import { runAttempt, type Scenario } from './matrix.js';
import { registryFile, snapshot, type Snapshot } from './observe.js';
import { commentOn, openIssue, requestBody, seedPackage, type World } from './world.js';

const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0', subdir: 'pkg' };
const TRUSTEE = { id: 7001, login: 'tess' };

/** Setting up: left-pad@1.2.0 published cleanly from its own issue, whose number is returned. */
async function publishedBefore(world: World, scenario: string, inputs: Record<string, string> = {}): Promise<number> {
  await seedPackage(world, pkg);
  const { issue, event } = openIssue(world, requestBody(pkg));
  const published = await runAttempt(world, event, [], inputs);
  if (published.status !== 'published') throw new Error(`setting up the ${scenario} scenario: the publish ended ${published.status}`);
  return issue;
}

/** An author publishes left-pad@1.2.0 from an issue to `backends` backends; `/retry` repeats it. */
export function publishScenario(backends = 1): Scenario {
  return {
    name: backends === 1 ? 'publish' : `publish to ${backends} backends`,
    backends,
    success: 'published',
    async setup(world) {
      await seedPackage(world, pkg);
      const { issue, event } = openIssue(world, requestBody(pkg));
      return {
        first: event,
        repeat: () => commentOn(world, issue, '/retry'),
        expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }],
      };
    },
  };
}

/** A trustee rolls back a version published to `backends` backends; a second `/rollback` repeats it. */
export function rollbackScenario(backends = 2): Scenario {
  const inputs = { 'trustee-ids': String(TRUSTEE.id) };
  return {
    name: `rollback on ${backends} backends`,
    backends,
    success: 'rolled-back',
    async setup(world) {
      const issue = await publishedBefore(world, 'rollback', inputs);
      const rollback = () => commentOn(world, issue, `/rollback ${pkg.name}@${pkg.version} a broken build`, TRUSTEE);
      return { first: rollback(), repeat: rollback, inputs, expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'absent' }] };
    },
    async verify(world) {
      const text = await registryFile(world, 'metadata/le/ft/left-pad.json');
      const records = text ? (JSON.parse(text) as { rolledBack: { version: string; cleaned: boolean }[] }).rolledBack : [];
      const mine = records.filter((r) => r.version === pkg.version);
      return mine.length === 1 && mine[0]!.cleaned ? [] : [{ invariant: 7, message: `expected one cleaned rollback record of ${pkg.version}, found ${JSON.stringify(mine)}` }];
    },
  };
}

/** An author publishes left-pad@1.3.0 while 1.2.0 is already published: the metadata read finds a file, and must keep it. */
export function secondVersionScenario(): Scenario {
  return {
    name: 'publish a second version',
    backends: 1,
    success: 'published',
    async setup(world) {
      const earlier = await publishedBefore(world, 'second-version');
      const next = { ...pkg, version: '1.3.0' };
      await seedPackage(world, next);
      const { issue, event } = openIssue(world, requestBody(next));
      return {
        first: event,
        repeat: () => commentOn(world, issue, '/retry'),
        expect: [
          { name: pkg.name, version: pkg.version, issue: earlier, outcome: 'published' },
          { name: next.name, version: next.version, issue, outcome: 'published' },
        ],
      };
    },
  };
}

/**
 * A second issue asks for a version another issue already published: every attempt is refused, and whatever
 * fails on the way, the registry's refs and every stored object stay exactly as they were (invariant 6).
 */
export function refusalScenario(): Scenario {
  // Cases of one scenario run concurrently, each in its own world: the snapshot belongs to the world.
  const before = new WeakMap<World, Snapshot>();
  return {
    name: 'refuse an already-published version',
    backends: 1,
    success: 'refused',
    async setup(world) {
      const earlier = await publishedBefore(world, 'refusal');
      const { issue, event } = openIssue(world, requestBody(pkg));
      before.set(world, await snapshot(world));
      return {
        first: event,
        repeat: () => commentOn(world, issue, '/retry'),
        expect: [{ name: pkg.name, version: pkg.version, issue: earlier, outcome: 'published' }],
      };
    },
    async verify(world) {
      const after = await snapshot(world);
      const earlier = before.get(world);
      if (earlier === undefined) return [{ invariant: 6, message: 'no snapshot was taken before the refused request' }];
      const problems = [];
      if (after.refs !== earlier.refs) problems.push({ invariant: 6 as const, message: `registry refs changed:\n${earlier.refs}\n→\n${after.refs}` });
      if (JSON.stringify(after.storage) !== JSON.stringify(earlier.storage)) {
        problems.push({ invariant: 6 as const, message: `storage changed: ${JSON.stringify(earlier.storage)} → ${JSON.stringify(after.storage)}` });
      }
      return problems;
    },
  };
}

/** Every scenario the matrix runs, in the order the table shows them. */
export const SCENARIOS: Scenario[] = [publishScenario(1), publishScenario(2), rollbackScenario(2), secondVersionScenario(), refusalScenario()];
