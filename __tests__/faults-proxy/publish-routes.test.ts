// The built action publishes through the two fault proxies untouched, and the routes it uses recur unchanged for another package: the ground a crash-point matrix stands on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FaultPlan, githubRoute, s3Route, startFaultProxy, type FaultProxy } from '../../test-support/faults/index.js';
import { openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';

let world: World;
let github: FaultProxy;
let storage: FaultProxy;
const plan = new FaultPlan();

beforeAll(async () => {
  world = await startWorld();
  github = await startFaultProxy({ name: 'github', target: world.github.url, plan, classify: githubRoute });
  storage = await startFaultProxy({ name: 's3', target: world.s3.endpoint, plan, classify: s3Route });
});

afterAll(async () => {
  await github?.close();
  await storage?.close();
  await world?.close();
});

/** Publishes `pkg` with the action pointed at the proxies; returns the (route, occurrence) points it went through. */
async function publishThroughProxies(pkg: PackageSource): Promise<string[]> {
  await seedPackage(world, pkg);
  const { event } = openIssue(world, requestBody(pkg));
  plan.set([]);
  const run = await runAction(world, event, {
    env: { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: github.url },
    inputs: {
      backends: JSON.stringify([
        {
          name: 'primary',
          endpoint: storage.url,
          region: world.s3.region,
          bucket: world.buckets[0],
          credentials: { accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY' },
        },
      ]),
    },
  });
  expect(run.stderr).toBe('');
  // The action's own account of what went wrong, when it did.
  expect({ code: run.code, stdout: run.code === 0 ? '' : run.stdout }).toEqual({ code: 0, stdout: '' });
  expect(run.outputs['status']).toBe('published');
  expect(plan.log.every((r) => r.outcome === 'passed')).toBe(true);
  return plan.log.map((r) => `${r.route} #${r.occurrence}`);
}

describe('a publish through the fault proxies', () => {
  it('goes through both proxies, archive download included, and names the same points for another package', async () => {
    const first = await publishThroughProxies({ owner: 'acme', repo: 'left-pad', id: 8101, name: 'left-pad', version: '1.2.0', subdir: 'pkg' });
    if (process.env['SHOW_ROUTES']) process.stdout.write(`${first.join('\n')}\n`);
    expect(first).toContain('GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha} #1');
    expect(first).toContain('POST graphql:createCommitOnBranch #1');
    expect(first).toContain('PUT s3:PutObject registry-primary/staging #1');
    expect(first).toContain('PUT s3:CopyObject registry-primary/final #1');
    expect(first.filter((point) => point.includes(' unknown:'))).toEqual([]);
    // Fewest round trips: the PUT's answer proves the staged bytes and the copy's answer the promoted ones, the
    // staging key is deleted by name (listed alongside, for an earlier attempt's leftovers), the re-check is one read.
    expect(first.filter((point) => /GetObject|HeadObject \S+\/staging/.test(point))).toEqual([]);
    expect(first.filter((point) => point.startsWith('POST graphql:repository'))).toHaveLength(2);

    const second = await publishThroughProxies({ owner: 'zed', repo: 'zz-top', id: 8102, name: 'zz-top', version: '0.3.1' });
    // Parallel requests may arrive in another order; the set of (route, occurrence) points must not change.
    expect([...second].sort()).toEqual([...first].sort());
  });
});
