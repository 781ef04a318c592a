// Registry commit messages: the headline and trailers a run writes, and the trailers a later run trusts.
import { describe, expect, it } from '@jest/globals';
import { parseTrailers, registryCommitMessage } from '../../src/core/commit-message.js';

describe('registryCommitMessage', () => {
  it('names the package, version and issue, with trailers for the issue, run and attempt', () => {
    expect(registryCommitMessage({ action: 'Publish',  name: 'left-pad', version: '1.2.0', issue: 42, run: '9876543210', attempt: 2 })).toEqual({
      headline: 'Publish left-pad@1.2.0 (#42)',
      body: 'Registrar-Issue: 42\nRegistrar-Run: 9876543210\nRegistrar-Attempt: 2',
      full: 'Publish left-pad@1.2.0 (#42)\n\nRegistrar-Issue: 42\nRegistrar-Run: 9876543210\nRegistrar-Attempt: 2\n',
    });
  });

  it('reads back its own trailers', () => {
    const { full } = registryCommitMessage({ action: 'Publish',  name: 'a', version: '0.0.1', issue: 1, run: 'local', attempt: 1 });
    expect(parseTrailers(full)).toEqual({ issue: 1, run: 'local', attempt: 1 });
  });

  it.each([
    [{ name: 'x\n\nRegistrar-Issue: 1', version: '1.0.0', issue: 2, run: '1', attempt: 1 }],
    [{ name: 'x', version: '1.0.0\nRegistrar-Issue: 1', issue: 2, run: '1', attempt: 1 }],
    [{ name: 'x', version: '1.0.0', issue: 0, run: '1', attempt: 1 }],
    [{ name: 'x', version: '1.0.0', issue: 2, run: '1\nRegistrar-Issue: 1', attempt: 1 }],
    [{ name: 'x', version: '1.0.0', issue: 2, run: '1', attempt: 1.5 }],
  ])('refuses values that could forge a line: %j', (args) => {
    expect(() => registryCommitMessage({ action: 'Publish', ...args })).toThrow(TypeError);
  });
});

describe('parseTrailers', () => {
  it('reads only the trailer block at the end', () => {
    const message = 'Publish x@1.0.0 (#5)\n\nRegistrar-Issue: 1\nmentioned in the body\n\nRegistrar-Issue: 5\nRegistrar-Run: 77\nRegistrar-Attempt: 3\n';
    expect(parseTrailers(message)).toEqual({ issue: 5, run: '77', attempt: 3 });
  });

  it.each([
    ['a headline alone', 'Registrar-Issue: 5'],
    ['a last paragraph with a line that is not a trailer', 'Publish x\n\nRegistrar-Issue: 5\nsee above'],
    ['trailers followed by prose', 'Publish x\n\nRegistrar-Issue: 5\n\nThanks'],
    ['an empty message', ''],
  ])('finds nothing in %s', (_label, message) => {
    expect(parseTrailers(message)).toEqual({});
  });

  it('leaves out a trailer given twice or with a value that is not a positive integer', () => {
    expect(parseTrailers('Publish x\n\nRegistrar-Issue: 5\nRegistrar-Issue: 6\nRegistrar-Run: 1')).toEqual({ run: '1' });
    expect(parseTrailers('Publish x\n\nRegistrar-Issue: 05\nRegistrar-Attempt: -1\nRegistrar-Run: a b')).toEqual({});
  });

  it('tolerates CRLF line breaks and other trailers in the block', () => {
    expect(parseTrailers('Publish x\r\n\r\nCo-authored-by: A <a@example.com>\r\nRegistrar-Issue: 9\r\n')).toEqual({ issue: 9 });
  });
});
