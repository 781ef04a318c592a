// The Tracker port on the GitHub emulator: a report longer than GitHub's comment limit still reaches the author.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { COMMENT_LIMIT, GitHubTracker, fitComment } from '../../src/adapters/github/tracker.js';
import { REGISTRY, openIssue, startWorld, type World } from '../../test-support/world.js';

let world: World;
beforeAll(async () => { world = await startWorld(); });
afterAll(async () => {
  world.github.assertClean();
  await world.close();
});

describe('fitComment', () => {
  it('leaves a body within the limit as it is, and cuts a longer one between characters, with a note', () => {
    expect(fitComment('short')).toBe('short');
    const emoji = '😀'.repeat(COMMENT_LIMIT + 10);
    const cut = fitComment(emoji);
    expect([...cut]).toHaveLength(COMMENT_LIMIT);
    expect(cut).toMatch(/^(😀)+\n\n… \(cut to fit GitHub's comment limit/u);
  });
});

describe('GitHubTracker.upsertComment', () => {
  it('writes a report over 65,536 characters cut to fit, marker first, and finds it again to update it', async () => {
    const tracker = new GitHubTracker(createGitHubClient({ token: 't', baseUrl: world.github.url, paceMs: 1 }), REGISTRY);
    const { issue } = openIssue(world, 'a request');
    const marker = '<!-- registrar:status run=1 attempt=1 -->';
    const id = await tracker.upsertComment(issue, marker, `### report\n${'x'.repeat(70_000)}`);
    const stored = world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments.find((c) => c.id === id)!;
    expect(stored.body.startsWith(marker)).toBe(true);
    expect([...stored.body].length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(stored.body).toContain('cut to fit');
    // Found again by its marker (no known id): updated in place, not a second comment.
    expect(await tracker.upsertComment(issue, marker, 'done')).toBe(id);
    expect(world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments.filter((c) => c.body.includes(marker))).toHaveLength(1);
  });
});
