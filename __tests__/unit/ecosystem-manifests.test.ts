// Each preset's manifest: which file wins, what it must say, and why a refusal names the fix.
import { describe, expect, it } from '@jest/globals';
import { ecosystemFor } from '../../src/core/ecosystem.js';
import { planPublish } from '../../src/core/plan.js';
import type { PackageMetadata, PublishRequest } from '../../src/core/types.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const files = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([file, text]) => [file, bytes(text)]));

describe('purescript manifests', () => {
  const purescript = ecosystemFor('purescript');
  const expected = { name: 'prelude', version: '6.0.1', ref: 'v6.0.1' };
  // purescript-prelude v6.0.1's bower.json, in its real shape: the prefixed name, no version, a license string.
  const bower = JSON.stringify({ name: 'purescript-prelude', homepage: 'https://github.com/purescript/purescript-prelude', license: 'BSD-3-Clause',
    repository: { type: 'git', url: 'https://github.com/purescript/purescript-prelude.git' }, ignore: ['**/.*', 'bower_components'] }, null, 2);

  it('reads a bower.json with no version: the version is the tag\'s, and the prefix is dropped', () => {
    expect(purescript.checkManifest(files({ 'bower.json': bower }), expected)).toEqual({ ok: true, license: 'BSD-3-Clause', file: 'bower.json' });
  });

  it('refuses a bower.json without a version when the tag is not v<version>', () => {
    const check = purescript.checkManifest(files({ 'bower.json': bower }), { ...expected, ref: 'release-6.0.1' });
    expect(check).toMatchObject({ ok: false, file: 'bower.json' });
    if (!check.ok) expect(check.problems.join(' ')).toMatch(/no `version`, so the version is the tag's.*`v6\.0\.1`/);
  });

  it('reads a bower.json license list as all of them', () => {
    const check = purescript.checkManifest(files({ 'bower.json': JSON.stringify({ name: 'purescript-prelude', license: ['MIT', 'Apache-2.0'] }) }), expected);
    expect(check).toEqual({ ok: true, license: '(MIT) AND (Apache-2.0)', file: 'bower.json' });
  });

  it('refuses a bower.json naming another package', () => {
    const check = purescript.checkManifest(files({ 'bower.json': JSON.stringify({ name: 'purescript-arrays', license: 'MIT' }) }), expected);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problems[0]).toMatch(/package `arrays`.*drops the `purescript-` prefix/);
  });

  it('follows the registry\'s order: purs.json, then spago.yaml, then bower.json', () => {
    const purs = JSON.stringify({ name: 'prelude', version: '6.0.1', license: 'BSD-3-Clause' });
    const spago = 'package:\n  name: prelude\n  publish:\n    version: 6.0.1\n    license: BSD-3-Clause\n';
    expect(purescript.checkManifest(files({ 'bower.json': '{', 'spago.yaml': spago, 'purs.json': purs }), expected)).toMatchObject({ ok: true, file: 'purs.json' });
    expect(purescript.checkManifest(files({ 'bower.json': '{', 'spago.yaml': spago }), expected)).toMatchObject({ ok: true, file: 'spago.yaml' });
    expect(purescript.checkManifest(files({ 'bower.json': '{' }), expected)).toMatchObject({ ok: false, file: 'bower.json' });
    const none = purescript.checkManifest(files({ 'package.json': '{}' }), expected);
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.problems[0]).toMatch(/none of purs\.json, spago\.yaml or bower\.json/);
  });

  it('refuses a spago.yaml without package.publish, or with duplicate keys', () => {
    const missing = purescript.checkManifest(files({ 'spago.yaml': 'package:\n  name: prelude\n' }), expected);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.problems[0]).toMatch(/no `package\.publish` section/);
    const twice = purescript.checkManifest(files({ 'spago.yaml': 'package:\n  name: prelude\n  name: other\n' }), expected);
    expect(twice.ok).toBe(false);
    if (!twice.ok) expect(twice.problems[0]).toMatch(/not valid YAML/);
    const wrong = purescript.checkManifest(files({ 'spago.yaml': 'package:\n  name: prelude\n  publish:\n    version: 6.0.2\n    license: MIT\n' }), expected);
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.problems[0]).toMatch(/`package\.publish\.version` `6\.0\.2`/);
  });
});

describe('crates manifests', () => {
  const crates = ecosystemFor('crates');
  const expected = { name: 'serde_json', version: '1.0.0-rc.1', ref: 'v1.0.0-rc.1' };

  it('reads [package] name, version and license from Cargo.toml', () => {
    const toml = '[package]\nname = "serde_json"\nversion = "1.0.0-rc.1"\nlicense = "MIT OR Apache-2.0"\nedition = "2021"\n\n[dependencies]\nserde = "1"\n';
    expect(crates.checkManifest(files({ 'Cargo.toml': toml }), expected)).toEqual({ ok: true, license: 'MIT OR Apache-2.0', file: 'Cargo.toml' });
  });

  it('refuses fields inherited from a workspace, saying what to write instead', () => {
    const toml = '[package]\nname = "serde_json"\nversion.workspace = true\nlicense = { workspace = true }\n';
    const check = crates.checkManifest(files({ 'Cargo.toml': toml }), expected);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.problems).toHaveLength(2);
      expect(check.problems[0]).toMatch(/inherits `package\.version` from the workspace.*Write the version in the crate's own Cargo\.toml/);
    }
  });

  it('refuses a workspace manifest, invalid TOML and a custom license file', () => {
    const workspace = crates.checkManifest(files({ 'Cargo.toml': '[workspace]\nmembers = ["a"]\n' }), expected);
    if (!workspace.ok) expect(workspace.problems[0]).toMatch(/no `\[package\]` table \(it is a workspace manifest/);
    const broken = crates.checkManifest(files({ 'Cargo.toml': '[package]\nname = "a"\nname = "b"\n' }), expected);
    if (!broken.ok) expect(broken.problems[0]).toMatch(/not valid TOML/);
    const custom = crates.checkManifest(files({ 'Cargo.toml': '[package]\nname = "serde_json"\nversion = "1.0.0-rc.1"\nlicense-file = "LICENSE"\n' }), expected);
    if (!custom.ok) expect(custom.problems[0]).toMatch(/custom license file/);
    expect([workspace.ok, broken.ok, custom.ok]).toEqual([false, false, false]);
    expect(crates.checkManifest(new Map(), expected)).toMatchObject({ ok: false, file: 'Cargo.toml' });
  });
});

describe('crates names are unique ignoring case and "-"/"_"', () => {
  const crates = ecosystemFor('crates');
  const existing: PackageMetadata = {
    name: 'serde', location: { githubOwner: 'serde-rs', githubRepo: 'serde', repositoryId: 7 },
    published: { '1.0.0': { sha256: `sha256-${Buffer.alloc(32).toString('base64')}`, bytes: 10, ref: 'v1.0.0', commit: 'a'.repeat(40), publishedTime: '2026-01-01T00:00:00.000Z', issue: 1 } },
    rolledBack: [],
  };
  const request: PublishRequest = { name: 'Serde', version: '2.0.0', ref: 'v2.0.0', location: { githubOwner: 'serde-rs', githubRepo: 'serde' } };

  it('refuses Serde when serde exists, naming the existing package, even from its own repository', () => {
    const plan = planPublish({ request, issue: 2, repositoryId: 7, built: { sha256: existing.published['1.0.0']!.sha256, bytes: 10, commit: 'b'.repeat(40) },
      current: existing, now: '2026-02-01T00:00:00.000Z', ecosystem: crates });
    expect(plan).toMatchObject({ kind: 'refuse', final: true });
    if (plan.kind === 'refuse') {
      expect(plan.reason).toMatch(/name `Serde` is taken: the registry already holds the package `serde`, and crate names are the same package whatever their case/);
      expect(plan.hint).toMatch(/Publish under serde/);
    }
  });
});
