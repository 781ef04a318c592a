// Reads the action's inputs and the runner's environment once, into one validated Settings object.
import { z } from 'zod';
import type { S3BackendConfig } from './adapters/s3.js';
import { ECOSYSTEM_IDS, ecosystemFor, isEcosystemId, type Ecosystem } from './core/ecosystem.js';
import { DEFAULT_LIMITS, type Limits } from './core/limits.js';
import { refused } from './errors.js';

export type Mode = 'event' | 'reconcile' | 'audit';

export interface Settings {
  /** `event`: act on the triggering issue event; `reconcile` / `audit`: the scheduled repair and check jobs. */
  mode: Mode;
  token: string;
  registry: { owner: string; repo: string; branch: string };
  /** The repository whose issues carry the requests (where the workflow runs). */
  tracker: { owner: string; repo: string };
  backends: S3BackendConfig[];
  /** The manifest file the default preset reads (`manifest-file`); the other presets read their ecosystem's own. */
  manifestFile: string;
  /** The registry's ecosystem (`ecosystem`): its names, versions, manifests and tarball layout. */
  ecosystem: Ecosystem;
  /** Numeric GitHub user ids of the registry's trustees (ids survive renames; logins do not). */
  trusteeIds: number[];
  /** A GitHub team whose active members are trustees, and the org-scoped token that can read it. */
  trusteeTeam: { org: string; slug: string; token: string } | undefined;
  limits: Limits;
  /** Rule 12's opt-in: publish from private and internal source repositories too (default false). */
  allowPrivateSources: boolean;
  paceMs: number;
  /** A local clone of the registry (fetch-depth 0): audit walks its history; reconcile may plan from it. */
  registryPath: string | undefined;
  stagingTtlMs: number;
  graceMs: number;
  apiUrl: string;
  serverUrl: string;
  /** The triggering event's name and payload file; only `mode: event` has (and needs) one. */
  event: { name: string; path: string } | undefined;
  run: { id: string; attempt: number };
}

/** How the action reads one input: `core.getInput` in production, a plain map in tests. */
export type InputReader = (name: string) => string;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, 'must look like owner/repo');

const backend = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a short lowercase name like "primary"').optional(),
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  region: z.string().min(1).default('us-east-1'),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
  prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]*$/, 'must be a key prefix like "registry/"').optional(),
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  forcePathStyle: z.boolean().optional(),
  /** Names of environment variables holding the keys; absent = the SDK's default chain (e.g. OIDC role). */
  credentials: z.strictObject({
    accessKeyIdEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
    secretAccessKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
    sessionTokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  }).optional(),
});

const limitsShape = z.strictObject(Object.fromEntries(
  Object.keys(DEFAULT_LIMITS).map((key) => [key, z.number().int().positive().optional()]),
) as Record<keyof Limits, z.ZodOptional<z.ZodNumber>>);

function parseJsonInput<T>(input: string, label: string, schema: z.ZodType<T>, example: string): T {
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    throw refused(`The input \`${label}\` is not valid JSON.`, `Write it as JSON, for example: ${example}`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${[label, ...i.path].join('.')}: ${i.message}`).join('; ');
    throw refused(`The input \`${label}\` is not valid: ${problems}.`, `Expected a form like: ${example}`);
  }
  return result.data;
}

const BACKENDS_EXAMPLE = '[{"name":"primary","region":"us-east-1","bucket":"my-registry","publicUrl":"https://downloads.example.org"}]';

/** The `backends` input (also the CLI's --backends): a JSON list, credentials named by environment variables. */
export function parseBackends(json: string, env: NodeJS.ProcessEnv): S3BackendConfig[] {
  const required = (key: string, value: string | undefined): string => {
    if (!value) throw refused(`The ${key} is not set.`, 'Set it in the workflow step\'s env (from a secret).');
    return value;
  };
  const backendList = parseJsonInput(json, 'backends',
    z.array(backend).min(1, 'needs at least one backend'), BACKENDS_EXAMPLE);
  const backends = backendList.map((b, index): S3BackendConfig => {
    const credentials = b.credentials && {
      accessKeyId: required(`environment variable ${b.credentials.accessKeyIdEnv}`, env[b.credentials.accessKeyIdEnv]),
      secretAccessKey: required(`environment variable ${b.credentials.secretAccessKeyEnv}`, env[b.credentials.secretAccessKeyEnv]),
      ...(b.credentials.sessionTokenEnv ? { sessionToken: env[b.credentials.sessionTokenEnv] } : {}),
    };
    return {
      name: b.name ?? (index === 0 ? 'primary' : `backend-${index + 1}`),
      region: b.region,
      bucket: b.bucket,
      ...(b.endpoint ? { endpoint: b.endpoint } : {}),
      ...(b.prefix ? { prefix: b.prefix } : {}),
      ...(b.publicUrl ? { publicUrl: b.publicUrl } : {}),
      ...(b.forcePathStyle !== undefined ? { forcePathStyle: b.forcePathStyle } : {}),
      ...(credentials ? { credentials } : {}),
    };
  });
  const names = backends.map((b) => b.name);
  if (new Set(names).size !== names.length) throw refused(`Backend names must differ; got ${names.join(', ')}.`);
  return backends;
}

/** A boolean input in YAML 1.2's core schema (what `core.getBooleanInput` accepts); empty means the default. */
function booleanInput(input: InputReader, key: string, fallback: boolean): boolean {
  const text = input(key).trim();
  if (text === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw refused(`The input \`${key}\` is "${text}"; it must be true or false.`);
}

/**
 * The `ecosystem` input (default `default`) and, for the default preset only, `manifest-file`: the other presets read
 * the manifests their ecosystem defines, so a `manifest-file` beside them would be silently ignored — it is refused.
 */
function ecosystemInput(input: InputReader): { ecosystem: Ecosystem; manifestFile: string } {
  const id = input('ecosystem').trim() || 'default';
  if (!isEcosystemId(id)) {
    throw refused(`The input \`ecosystem\` is "${id.slice(0, 40)}"; it must be one of ${ECOSYSTEM_IDS.join(', ')}.`,
      'Leave it out for the default rules, or name the registry kind whose rules to follow.');
  }
  const given = input('manifest-file');
  if (given && id !== 'default') {
    throw refused(`The input \`manifest-file\` is set, but the \`${id}\` ecosystem reads its own manifests (${ecosystemFor(id).manifestFiles.join(', ')}).`,
      'Remove `manifest-file` from the workflow step.');
  }
  const manifestFile = given || 'package.json';
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(manifestFile) || manifestFile.startsWith('.')) {
    throw refused(`The input \`manifest-file\` is "${manifestFile}"; it must be a plain file name like package.json.`);
  }
  return { ecosystem: ecosystemFor(id, { manifestFile }), manifestFile: id === 'default' ? manifestFile : ecosystemFor(id).manifestFiles[0] ?? manifestFile };
}

export function readSettings(input: InputReader, env: NodeJS.ProcessEnv): Settings {
  const required = (key: string, value: string | undefined): string => {
    if (!value) throw refused(`The ${key} is not set.`, 'Run Registrar from a GitHub Actions workflow, or set it as the runner would.');
    return value;
  };
  const registryRepo = input('registry-repository') || required('GITHUB_REPOSITORY environment variable', env.GITHUB_REPOSITORY);
  const trackerRepo = required('GITHUB_REPOSITORY environment variable', env.GITHUB_REPOSITORY);
  for (const [label, value] of [['registry-repository', registryRepo], ['GITHUB_REPOSITORY', trackerRepo]] as const) {
    const check = name.safeParse(value);
    if (!check.success) throw refused(`\`${label}\` is "${value}", which ${check.error.issues[0]?.message}.`);
  }
  const [registryOwner, registryName] = registryRepo.split('/') as [string, string];
  const [trackerOwner, trackerName] = trackerRepo.split('/') as [string, string];

  const backends = parseBackends(required('input `backends`', input('backends')), env);

  const limitsInput = input('limits');
  const limits = { ...DEFAULT_LIMITS, ...(limitsInput ? parseJsonInput(limitsInput, 'limits', limitsShape, '{"archiveBytes": 52428800}') : {}) };

  const paceInput = input('api-pace-ms') || '1000';
  const paceMs = Number(paceInput);
  if (!Number.isInteger(paceMs) || paceMs < 0 || paceMs > 60_000) {
    throw refused(`The input \`api-pace-ms\` is "${paceInput}"; it must be a whole number of milliseconds from 0 to 60000.`);
  }
  const { ecosystem, manifestFile } = ecosystemInput(input);

  const trusteeInput = input('trustee-ids').trim();
  const trusteeIds = trusteeInput === '' ? [] : trusteeInput.split(/[\s,]+/).map((id) => {
    if (!/^[1-9][0-9]{0,11}$/.test(id)) {
      throw refused(`The input \`trustee-ids\` holds "${id}", which is not a numeric GitHub user id.`,
        'List numeric ids (e.g. from https://api.github.com/users/<login>), separated by commas or spaces.');
    }
    return Number(id);
  });

  const teamInput = input('trustee-team').trim();
  let trusteeTeam: Settings['trusteeTeam'];
  if (teamInput) {
    const match = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([a-z0-9][a-z0-9_-]{0,99})$/.exec(teamInput);
    if (!match) throw refused(`The input \`trustee-team\` is "${teamInput}"; it must be org/team-slug, like acme/registry-trustees.`);
    const teamToken = input('trustee-team-token');
    if (!teamToken) {
      throw refused('The input `trustee-team` is set but `trustee-team-token` is not.',
        "Give a token that can read the org's team memberships (the workflow's GITHUB_TOKEN cannot), e.g. a GitHub App token with members: read.");
    }
    trusteeTeam = { org: match[1] ?? '', slug: match[2] ?? '', token: teamToken };
  }

  const allowPrivateSources = booleanInput(input, 'allow-private-sources', false);

  const modeInput = input('mode') || 'event';
  if (modeInput !== 'event' && modeInput !== 'reconcile' && modeInput !== 'audit') {
    throw refused(`The input \`mode\` is "${modeInput}"; it must be event, reconcile or audit.`);
  }
  const hours = (name: string, fallback: number, unitMs: number): number => {
    const text = input(name);
    if (!text) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw refused(`The input \`${name}\` is "${text}"; it must be a positive number.`);
    return value * unitMs;
  };
  const registryPath = input('registry-path') || undefined;
  if (modeInput === 'audit' && !registryPath) {
    throw refused('Audit walks the registry\'s history, so it needs the input `registry-path`.',
      'Check the registry out with actions/checkout (fetch-depth: 0) and pass its path.');
  }

  return {
    mode: modeInput,
    registryPath,
    stagingTtlMs: hours('staging-ttl-hours', 7 * 24 * 3_600_000, 3_600_000),
    graceMs: hours('grace-minutes', 60 * 60_000, 60_000),
    token: required('input `github-token`', input('github-token')),
    registry: { owner: registryOwner, repo: registryName, branch: input('registry-branch') || 'main' },
    tracker: { owner: trackerOwner, repo: trackerName },
    backends,
    manifestFile,
    ecosystem,
    trusteeIds,
    trusteeTeam,
    limits,
    allowPrivateSources,
    paceMs,
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    // The scheduled jobs (reconcile, audit) act on no event: a schedule or workflow_dispatch run, or a terminal, needs none.
    event: modeInput === 'event' ? {
      name: required('GITHUB_EVENT_NAME environment variable', env.GITHUB_EVENT_NAME),
      path: required('GITHUB_EVENT_PATH environment variable', env.GITHUB_EVENT_PATH),
    } : undefined,
    run: { id: env.GITHUB_RUN_ID || 'local', attempt: Number(env.GITHUB_RUN_ATTEMPT || '1') || 1 },
  };
}

/**
 * Every credential the settings hold: the GitHub token, the trustee team's token, and each backend's access
 * key id, secret access key and session token. The entry point registers each (masked in the log, cut from
 * every text Registrar writes); a new credential in Settings belongs in this list.
 */
export function credentialsOf(settings: Pick<Settings, 'token' | 'trusteeTeam' | 'backends'>): string[] {
  const values = [settings.token, settings.trusteeTeam?.token];
  for (const backend of settings.backends) {
    values.push(backend.credentials?.accessKeyId, backend.credentials?.secretAccessKey, backend.credentials?.sessionToken);
  }
  return values.filter((value): value is string => value !== undefined && value !== '');
}
