// Settings are read once and checked; a bad input names the value and the expected form.
import { describe, expect, it } from '@jest/globals';
import { credentialsOf, readSettings } from '../../src/inputs.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';

const env = {
  GITHUB_REPOSITORY: 'acme/registry', GITHUB_EVENT_NAME: 'issues', GITHUB_EVENT_PATH: '/tmp/event.json',
  GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2', KEY_ID: 'AKIA', KEY_SECRET: 'shh',
};
const backends = JSON.stringify([
  { bucket: 'reg-one', credentials: { accessKeyIdEnv: 'KEY_ID', secretAccessKeyEnv: 'KEY_SECRET' } },
  { name: 'mirror', endpoint: 'http://127.0.0.1:9000', bucket: 'reg-two', prefix: 'pkgs/', publicUrl: 'https://dl.example.org' },
]);
const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';

describe('readSettings', () => {
  it('reads every input and the runner environment into one Settings object', () => {
    const settings = readSettings(reader({ 'github-token': 't', backends, limits: '{"entries": 50}' }), env);
    expect(settings.registry).toEqual({ owner: 'acme', repo: 'registry', branch: 'main' });
    expect(settings.tracker).toEqual({ owner: 'acme', repo: 'registry' });
    expect(settings.backends).toEqual([
      { name: 'primary', region: 'us-east-1', bucket: 'reg-one', credentials: { accessKeyId: 'AKIA', secretAccessKey: 'shh' } },
      { name: 'mirror', region: 'us-east-1', bucket: 'reg-two', endpoint: 'http://127.0.0.1:9000', prefix: 'pkgs/', publicUrl: 'https://dl.example.org' },
    ]);
    expect(settings.limits).toEqual({ ...DEFAULT_LIMITS, entries: 50 });
    expect(settings.paceMs).toBe(1000);
    expect(settings.run).toEqual({ id: '77', attempt: 2 });
    expect(settings.manifestFile).toBe('package.json');
  });

  it.each([
    [{ backends: 'not json' }, /`backends` is not valid JSON/],
    [{ backends: '[]' }, /at least one backend/],
    [{ backends: '[{"bucket":"Bad_Bucket"}]' }, /backends\.0\.bucket/],
    [{ backends: '[{"bucket":"abc","secret":"x"}]' }, /backends\.0/],
    [{ backends: '[{"bucket":"abc","credentials":{"accessKeyIdEnv":"MISSING","secretAccessKeyEnv":"KEY_SECRET"}}]' }, /MISSING is not set/],
    [{ backends: '[{"bucket":"abc"},{"bucket":"abd"},{"name":"primary","bucket":"abe"}]' }, /names must differ/],
    [{ limits: '{"entries": -1}' }, /limits\.entries/],
    [{ 'api-pace-ms': 'fast' }, /api-pace-ms/],
    [{ 'manifest-file': '../x.json' }, /manifest-file/],
    [{ 'registry-repository': 'no-slash' }, /owner\/repo/],
  ])('refuses %j with a message naming it', (inputs, message) => {
    const all: Record<string, string> = { 'github-token': 't', backends: '[{"bucket":"abc"}]', ...inputs };
    expect(() => readSettings(reader(all), env)).toThrow(message);
  });

  it('needs a token', () => {
    expect(() => readSettings(reader({ backends: '[{"bucket":"abc"}]' }), env)).toThrow(/github-token/);
  });
});

describe('readSettings for the scheduled modes', () => {
  const base = { 'github-token': 't', backends: '[{"bucket":"abc"}]' };
  it('reads reconcile and audit settings with their defaults', () => {
    const reconcile = readSettings(reader({ ...base, mode: 'reconcile', 'grace-minutes': '5' }), env);
    expect(reconcile).toMatchObject({ mode: 'reconcile', graceMs: 5 * 60_000, stagingTtlMs: 168 * 3_600_000 });
    expect(readSettings(reader({ ...base, mode: 'audit', 'registry-path': 'registry' }), env)).toMatchObject({ mode: 'audit', registryPath: 'registry' });
    expect(readSettings(reader(base), env).mode).toBe('event');
  });

  it.each([
    [{ mode: 'repair' }, /`mode` is "repair"/],
    [{ mode: 'audit' }, /registry-path/],
    [{ 'staging-ttl-hours': '-1' }, /staging-ttl-hours/],
  ])('refuses %j', (inputs, message) => {
    expect(() => readSettings(reader({ ...base, ...inputs }), env)).toThrow(message);
  });
});

describe('allow-private-sources (rule 12)', () => {
  const base = { 'github-token': 't', backends: '[{"bucket":"abc"}]' };
  it('is false unless the maintainer opts in', () => {
    expect(readSettings(reader(base), env).allowPrivateSources).toBe(false);
    for (const text of ['false', 'False', 'FALSE']) expect(readSettings(reader({ ...base, 'allow-private-sources': text }), env).allowPrivateSources).toBe(false);
    for (const text of ['true', 'True', 'TRUE', ' true ']) expect(readSettings(reader({ ...base, 'allow-private-sources': text }), env).allowPrivateSources).toBe(true);
  });

  it.each(['yes', '1', 'on', 'tru'])('refuses %j, naming the input', (text) => {
    expect(() => readSettings(reader({ ...base, 'allow-private-sources': text }), env))
      .toThrow(`The input \`allow-private-sources\` is "${text}"; it must be true or false.`);
  });
});

describe('credentialsOf', () => {
  it('lists every credential: the GitHub token, the team token, and each backend\'s key id, secret and session token', () => {
    const settings = readSettings(reader({
      'github-token': 'ghs_registry_token',
      'trustee-team': 'acme/trustees',
      'trustee-team-token': 'ghs_team_token',
      backends: JSON.stringify([
        { bucket: 'reg-one', credentials: { accessKeyIdEnv: 'KEY_ID', secretAccessKeyEnv: 'KEY_SECRET' } },
        { bucket: 'reg-two', credentials: { accessKeyIdEnv: 'ID_2', secretAccessKeyEnv: 'SECRET_2', sessionTokenEnv: 'TOKEN_2' } },
        { bucket: 'reg-three' },
      ]),
    }), { ...env, ID_2: 'ASIA-two', SECRET_2: 'secret-two', TOKEN_2: 'session-two' });
    expect(credentialsOf(settings)).toEqual(['ghs_registry_token', 'ghs_team_token', 'AKIA', 'shh', 'ASIA-two', 'secret-two', 'session-two']);
  });
});

describe('the ecosystem input', () => {
  const base = { 'github-token': 't', backends: '[{"bucket":"abc"}]' };

  it('is the default preset, reading manifest-file, when not given', () => {
    const settings = readSettings(reader({ ...base, 'manifest-file': 'manifest.json' }), env);
    expect(settings.ecosystem.id).toBe('default');
    expect(settings.ecosystem.manifestFiles).toEqual(['manifest.json']);
    expect(settings.manifestFile).toBe('manifest.json');
  });

  it.each([['npm', ['package.json']], ['crates', ['Cargo.toml']], ['purescript', ['purs.json', 'spago.yaml', 'bower.json']]] as const)(
    'selects the %s preset and the manifests it reads', (id, manifests) => {
      const settings = readSettings(reader({ ...base, ecosystem: id }), env);
      expect(settings.ecosystem.id).toBe(id);
      expect(settings.ecosystem.manifestFiles).toEqual(manifests);
    });

  it('refuses an unknown ecosystem, listing the known ones', () => {
    expect(() => readSettings(reader({ ...base, ecosystem: 'pypi' }), env)).toThrow(/`ecosystem` is "pypi"; it must be one of default, purescript, npm, crates/);
  });

  it('refuses manifest-file beside a preset that reads its own manifests, rather than ignore it', () => {
    expect(() => readSettings(reader({ ...base, ecosystem: 'crates', 'manifest-file': 'package.json' }), env))
      .toThrow(/`manifest-file` is set, but the `crates` ecosystem reads its own manifests \(Cargo\.toml\)/);
  });
});
