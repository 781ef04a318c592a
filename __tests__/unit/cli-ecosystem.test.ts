// The CLI's `--ecosystem` and `<name>@<version>` readers: the action input's rules, and a scoped name's own "@" kept.
import { describe, expect, it } from '@jest/globals';
import { UsageError, ecosystemOf, nameAtVersion } from '../../src/cli/options.js';

describe('--ecosystem', () => {
  it('defaults to the default preset reading package.json, or the --manifest-file given', () => {
    expect(ecosystemOf({})).toMatchObject({ ecosystem: { id: 'default', manifestFiles: ['package.json'] }, manifestFile: 'package.json' });
    expect(ecosystemOf({ 'manifest-file': 'registrar.json' })).toMatchObject({ ecosystem: { id: 'default', manifestFiles: ['registrar.json'] } });
  });

  it.each(['npm', 'crates', 'purescript'] as const)('names the %s preset', (id) => {
    expect(ecosystemOf({ ecosystem: id }).ecosystem.id).toBe(id);
  });

  it.each([
    [{ ecosystem: 'NPM' }, '--ecosystem is "NPM"; expected one of default, purescript, npm, crates'],
    [{ ecosystem: '' }, '--ecosystem is ""; expected one of default, purescript, npm, crates'],
    [{ ecosystem: 'crates', 'manifest-file': 'Cargo.toml' }, '--manifest-file is set, but the crates ecosystem reads its own manifests (Cargo.toml)'],
    [{ 'manifest-file': '../package.json' }, '--manifest-file is "../package.json"; expected a plain file name'],
  ])('%j is bad usage', (values, message) => {
    expect(() => ecosystemOf(values)).toThrow(UsageError);
    expect(() => ecosystemOf(values)).toThrow(message);
  });
});

describe('<name>@<version>', () => {
  it.each([
    ['@acme/left-pad@2.0.0-canary.1', '@acme/left-pad', '2.0.0-canary.1'],
    ['left-pad@1.2.0', 'left-pad', '1.2.0'],
    ['Left_Pad@1.0.1', 'Left_Pad', '1.0.1'],
  ])('%s splits at the last "@"', (target, name, version) => {
    expect(nameAtVersion([target], 'publish')).toEqual({ name, version });
  });

  it.each(['@acme/left-pad', '@acme/left-pad@', 'left-pad'])('%s without a version is bad usage', (target) => {
    expect(() => nameAtVersion([target], 'publish')).toThrow(UsageError);
  });
});
