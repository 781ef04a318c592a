// Untrusted text in the log must not become a workflow command.
import { describe, expect, it } from '@jest/globals';
import { neutralise } from '../../src/log.js';

describe('neutralise', () => {
  it.each([
    ['::set-output name=x::y', '::set-output'],
    ['fine\n  ::add-mask::secret', '::add-mask'],
    ['##[set-env name=A]b', '##[set-env'],
  ])('breaks %j so no line starts a command', (text, command) => {
    const out = neutralise(text);
    expect(out).not.toContain(command);
    for (const line of out.split('\n')) expect(line.trimStart()).not.toMatch(/^(::|##\[)/);
  });

  it('leaves ordinary text alone', () => {
    expect(neutralise('Publish a::b@1.0.0')).toBe('Publish a::b@1.0.0');
  });
});
