// Given an npm registry on real local servers, when a trustee comments `/rollback` on a scoped package and anyone asks `/status`, then the built action reads every `name@version` by the registry's ecosystem: a scoped target parses exactly, and a bare `/rollback` finds the scoped version its issue published.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ecosystemFor } from '../../src/core/ecosystem.js';
import { metadataPath } from '../../src/core/metadata.js';
import { REGISTRY, commentOn, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';
import { registryFile, snapshot } from '../../test-support/observe.js';

const TRUSTEE = { id: 7101, login: 'tilde' };
const npm = { ecosystem: 'npm', 'trustee-ids': String(TRUSTEE.id) };

let world: World;
let counter = 0;
const thread = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
const lastComment = (issue: number) => thread(issue).comments.at(-1)?.body ?? '';

/** Publishes a scoped package through an issue, as an author would; returns the issue. */
async function published(name: string, version: string): Promise<number> {
  counter += 1;
  const pkg: PackageSource = { name, version, owner: `scoped${counter}`, repo: `src${counter}`, id: 9300 + counter };
  await seedPackage(world, pkg);
  const { issue, event } = openIssue(world, requestBody(pkg));
  const run = await runAction(world, event, { inputs: npm });
  expect(run.outputs.status).toBe('published');
  return issue;
}

async function metadataOf(name: string) {
  return JSON.parse((await registryFile(world, metadataPath(name, ecosystemFor('npm'))))!) as {
    published: Record<string, unknown>; rolledBack: { version: string; cleaned: boolean }[];
  };
}

const finalKeys = async (name: string) => (await world.s3.listRaw(world.buckets[0]!)).map((o) => o.key).filter((k) => k.startsWith(`${name}/`));

beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

describe('comment commands in an npm registry', () => {
  it('a trustee\'s `/rollback @scope/name@version reason` rolls back exactly that scoped version', async () => {
    const issue = await published('@acme/named', '2.0.0-canary.1');
    expect(await finalKeys('@acme/named')).toEqual(['@acme/named/2.0.0-canary.1.tar.gz']);
    const run = await runAction(world, commentOn(world, issue, '/rollback @acme/named@2.0.0-canary.1 it ships a leaked token', TRUSTEE), { inputs: npm });
    expect(run.outputs).toMatchObject({ status: 'rolled-back', name: '@acme/named', version: '2.0.0-canary.1' });
    expect(await finalKeys('@acme/named')).toEqual([]);
    expect((await metadataOf('@acme/named')).rolledBack).toEqual([expect.objectContaining({ version: '2.0.0-canary.1', cleaned: true })]);
  });

  it('a bare `/rollback reason` on the publish issue finds the scoped version that issue published', async () => {
    const issue = await published('@acme/bare', '1.0.0');
    const run = await runAction(world, commentOn(world, issue, '/rollback it ships a leaked token', TRUSTEE), { inputs: npm });
    expect(run.outputs).toMatchObject({ status: 'rolled-back', name: '@acme/bare', version: '1.0.0' });
    expect((await metadataOf('@acme/bare')).published).toEqual({});
  });

  it('a scoped target that does not parse exactly (a look-alike `＠`) is refused, and nothing changes', async () => {
    const issue = await published('@acme/kept', '1.0.0');
    const before = await snapshot(world);
    const run = await runAction(world, commentOn(world, issue, '/rollback @acme/kept＠1.0.0 reason', TRUSTEE), { inputs: npm });
    expect(run.outputs.status).toBe('refused');
    expect(await snapshot(world)).toEqual(before);
    expect(Object.keys((await metadataOf('@acme/kept')).published)).toEqual(['1.0.0']);
  });

  it('`/status` on the publish issue lists the scoped package\'s versions', async () => {
    const issue = await published('@acme/status', '3.1.0-beta.2');
    const run = await runAction(world, commentOn(world, issue, '/status'), { inputs: npm });
    expect(run.outputs.status).toBe('answered');
    expect(lastComment(issue)).toContain('@acme/status');
    expect(lastComment(issue)).toContain('3.1.0-beta.2');
  });
});
