// Untrusted text in the log must not become a workflow command.
import { describe, expect, it } from '@jest/globals';
import { neutralise } from '../../src/log.js';

describe('neutralise', () => {
  it.each([
    ['::set-output name=x::y', '::set-output'],
    ['fine\n  ::add-mask::secret', '::add-mask'],
    ['##[set-env name=A]b', '##[set-env'],
    ['after U+0085\u0085::add-mask::x', '::add-mask'],
    ['after U+2028\u2028 ::warning::x', '::warning'],
    ['after CR\r::error::x', '::error'],
    ['mid-line ok ##[group]x', '##[group'],
  ])('breaks %j so no line starts a command', (text, command) => {
    const out = neutralise(text);
    expect(out).not.toContain(command);
    // Every line break the runner splits at, not only \n.
    for (const line of out.split(/\r\n|[\n\r\u0085\u2028\u2029]/)) expect(line.trimStart()).not.toMatch(/^::/);
    expect(out).not.toContain('##[');
  });

  it('leaves ordinary text alone', () => {
    expect(neutralise('Publish a::b@1.0.0')).toBe('Publish a::b@1.0.0');
  });
});
