// The commands the fault matrix exercises, each set up in a fresh world with the event that starts it and the one that repeats it.
import type { Scenario } from './matrix.js';
import { commentOn, openIssue, requestBody, seedPackage } from './world.js';

/** An author publishes left-pad@1.2.0 from an issue to `backends` backends; `/retry` repeats it. */
export function publishScenario(backends = 1): Scenario {
  return {
    name: backends === 1 ? 'publish' : `publish to ${backends} backends`,
    backends,
    async setup(world) {
      const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0', subdir: 'pkg' };
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
