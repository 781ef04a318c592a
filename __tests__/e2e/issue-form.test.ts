// Given an issue opened from the publish form (the markdown GitHub renders for it), when the built action runs, then it publishes like a JSON request, and a tampered form is refused by its labels with nothing written.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { snapshot } from '../../test-support/observe.js';
import { REGISTRY, openIssue, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';

let world: World;
beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

/** The body GitHub writes for a submitted publish form, with the CRLF line ends a browser's text fields send. */
function renderedForm(pkg: PackageSource, extra = ''): string {
  const fields: [string, string][] = [
    ['Package name', pkg.name], ['Version', pkg.version], ['Git tag', pkg.tag ?? `v${pkg.version}`],
    ['Source repository', `${pkg.owner}/${pkg.repo}`], ['Subdirectory', pkg.subdir ?? '_No response_'],
  ];
  return (fields.map(([label, value]) => `### ${label}\n\n${value}`).join('\n\n') + extra).replaceAll('\n', '\r\n');
}

const comments = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments;

describe('an issue opened from the publish form', () => {
  it('publishes through the built action', async () => {
    const pkg = { owner: 'formed', repo: 'left-pad', id: 7101, name: 'formed-pad', version: '1.2.0', subdir: 'pkg' };
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, renderedForm(pkg), undefined, 'Publish formed-pad 1.2.0');
    const run = await runAction(world, event);
    expect(run.outputs).toMatchObject({ status: 'published', name: 'formed-pad', version: '1.2.0' });
    expect(run.code).toBe(0);
    expect(world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).state).toBe('closed');
    const keys = (await world.s3.listRaw(world.buckets[0]!)).map((o) => o.key);
    expect(keys).toContain('formed-pad/1.2.0.tar.gz');
  });

  it('with a field given twice is refused by the field\'s label, and nothing is written', async () => {
    const pkg = { owner: 'formed', repo: 'twice', id: 7102, name: 'formed-twice', version: '1.0.0' };
    await seedPackage(world, pkg);
    const before = await snapshot(world);
    const { issue, event } = openIssue(world, renderedForm(pkg, '\n\n### Version\n\n9.9.9'));
    const run = await runAction(world, event);
    expect(run.outputs.status).toBe('refused');
    expect(run.code).not.toBe(0);
    expect(await snapshot(world)).toEqual(before);
    const said = comments(issue).map((c) => c.body).join('\n');
    expect(said).toContain('Version');
    expect(said).toContain('appears more than once');
  });
});
