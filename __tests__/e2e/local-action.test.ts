// Given the demo world, when a person runs `npx local-action run . src/main.ts <env file>` (@github/local-action 7, its @actions/core stub in place), then the action publishes.
import { describe, expect, it } from '@jest/globals';
import { proveLocalAction } from '../../scripts/local-action.js';

describe('@github/local-action', () => {
  it('runs src/main.ts\'s run() and publishes in the demo world', async () => {
    const { published, output } = await proveLocalAction();
    if (!published) console.log(output);
    expect(output).toContain('Running Action');
    expect(published).toBe(true);
  }, 180_000);
});
