// The terminal entry point: `registrar reconcile|audit` over the same adapters the action uses, printing a markdown report.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createGitHubClient } from './adapters/github/client.js';
import { GitHubRegistry } from './adapters/github/registry.js';
import { GitHubSource } from './adapters/github/source.js';
import { GitRegistry } from './adapters/local/git-registry.js';
import { createS3Storage, type S3BackendConfig } from './adapters/s3.js';
import { RegistrarError } from './errors.js';
import { parseBackends } from './inputs.js';
import { audit } from './pipeline/audit.js';
import type { Log } from './pipeline/publish.js';
import { DEFAULT_GRACE_MS, DEFAULT_STAGING_TTL_MS, reconcile } from './pipeline/reconcile.js';
import type { Registry, Source } from './ports.js';
import { renderAuditReport, renderRepairReport } from './report/repair.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const USAGE = `Usage:
  registrar reconcile (--registry OWNER/REPO [--branch NAME] [--token-env NAME] [--api-url URL] [--server-url URL]
                       | --registry-path DIR [--branch NAME])
                      --backends JSON [--staging-ttl-hours N] [--grace-minutes N] [--api-pace-ms N] [--dry-run]
                      [--allow-private-sources]
  registrar audit --registry-path DIR [--branch NAME] --backends JSON [--staging-ttl-hours N]

  --registry OWNER/REPO   the registry repository on GitHub (token read from the variable --token-env names, default GITHUB_TOKEN)
  --registry-path DIR     a local clone (fetch-depth 0) or bare repository of the registry; read-only; audit needs it (history)
  --backends JSON         the storage backends, the same JSON list as the action's \`backends\` input, e.g.
                          '[{"name":"primary","bucket":"my-registry","credentials":{"accessKeyIdEnv":"AWS_ACCESS_KEY_ID","secretAccessKeyEnv":"AWS_SECRET_ACCESS_KEY"}}]'
  --staging-ttl-hours N   staging objects older than this are garbage (default ${DEFAULT_STAGING_TTL_MS / 3_600_000})
  --grace-minutes N       a commit younger than this may still be promoting: leave it (default ${DEFAULT_GRACE_MS / 60_000})
  --dry-run               report what reconcile would do, write nothing
  --allow-private-sources rebuild from private or internal source repositories too (as the action's input of that name)

Exit status: 0 when nothing needs a person, 1 when something does (or the run failed), 2 on bad usage.`;

class UsageError extends Error {}

const OPTIONS = {
  registry: { type: 'string' },
  'registry-path': { type: 'string' },
  branch: { type: 'string' },
  'token-env': { type: 'string' },
  'api-url': { type: 'string' },
  'server-url': { type: 'string' },
  backends: { type: 'string' },
  'staging-ttl-hours': { type: 'string' },
  'grace-minutes': { type: 'string' },
  'api-pace-ms': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'allow-private-sources': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Command {
  name: 'reconcile' | 'audit';
  values: Values;
}

function parseCommand(argv: string[]): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('No command given: expected `reconcile` or `audit`.');
  if (name !== 'reconcile' && name !== 'audit') throw new UsageError(`Unknown command ${JSON.stringify(name)}: expected \`reconcile\` or \`audit\`.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${JSON.stringify(extra[0])} after \`${name}\`.`);
  if (values.registry !== undefined && values['registry-path'] !== undefined) {
    throw new UsageError('Give either --registry OWNER/REPO or --registry-path DIR, not both.');
  }
  if (name === 'audit' && values['registry-path'] === undefined) {
    throw new UsageError('audit walks the registry\'s history, so it needs --registry-path DIR (a clone with fetch-depth 0, or a bare repository).');
  }
  if (name === 'reconcile' && values.registry === undefined && values['registry-path'] === undefined) {
    throw new UsageError('reconcile needs the registry: --registry OWNER/REPO (or --registry-path DIR for a read-only run).');
  }
  if (values.backends === undefined) throw new UsageError('--backends JSON is required (the same list as the action\'s `backends` input).');
  if (values.registry !== undefined && !/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(values.registry)) {
    throw new UsageError(`--registry is ${JSON.stringify(values.registry)}; expected OWNER/REPO, like acme/registry.`);
  }
  if (values.branch !== undefined && !/^[A-Za-z0-9._/-]{1,200}$/.test(values.branch)) {
    throw new UsageError(`--branch is ${JSON.stringify(values.branch)}; expected a branch name, like main.`);
  }
  return { name, values };
}

function number(values: Values, flag: 'staging-ttl-hours' | 'grace-minutes' | 'api-pace-ms', fallback: number, min: number): number {
  const text = values[flag];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min) {
    throw new UsageError(`--${flag} is ${JSON.stringify(text)}; expected a number${min > 0 ? ' greater than 0' : ' of 0 or more'}.`);
  }
  return value;
}

/** The backends, validated exactly as the action validates its `backends` input (credentials named by env variables). */
function backendConfigs(json: string, env: NodeJS.ProcessEnv): S3BackendConfig[] {
  try {
    return parseBackends(json, env);
  } catch (error) {
    if (error instanceof RegistrarError) {
      const text = `${error.message}${error.hint ? ` ${error.hint}` : ''}`.replace(/[Tt]he input `backends`/g, '--backends');
      throw new UsageError(text);
    }
    throw error;
  }
}

function serverUrlFor(apiUrl: string): string {
  const url = apiUrl.replace(/\/+$/, '');
  if (url === 'https://api.github.com') return 'https://github.com';
  return url.replace(/\/api\/v3$/, '');
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let command: Command | 'help';
  let backends: S3BackendConfig[];
  try {
    command = parseCommand(argv);
    if (command === 'help') {
      io.out(`${USAGE}\n`);
      return 0;
    }
    backends = backendConfigs(command.values.backends ?? '', env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`registrar: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  const { name, values } = command;
  const log: Log = { info: (m) => io.err(`${m}\n`), warning: (m) => io.err(`warning: ${m}\n`) };
  const storages = backends.map(createS3Storage);
  let local: GitRegistry | undefined;
  try {
    const stagingTtlMs = number(values, 'staging-ttl-hours', DEFAULT_STAGING_TTL_MS / 3_600_000, Number.MIN_VALUE) * 3_600_000;
    const branch = values.branch ?? 'main';
    if (name === 'audit') {
      local = new GitRegistry({ path: values['registry-path'] ?? '.', branch });
      const report = await audit({ history: local, backends: storages }, { now: () => new Date(), stagingTtlMs });
      io.out(`${renderAuditReport(report)}\n`);
      return report.violations.length === 0 ? 0 : 1;
    }
    const graceMs = number(values, 'grace-minutes', DEFAULT_GRACE_MS / 60_000, 0) * 60_000;
    const paceMs = number(values, 'api-pace-ms', 1000, 0);
    let registry: Registry;
    let source: Source | undefined;
    if (values.registry !== undefined) {
      const tokenEnv = values['token-env'] ?? 'GITHUB_TOKEN';
      const token = env[tokenEnv];
      if (!token) throw new UsageError(`The environment variable ${tokenEnv} (named by --token-env) holds no token for the GitHub API.`);
      const apiUrl = values['api-url'] ?? env.GITHUB_API_URL ?? 'https://api.github.com';
      const [owner = '', repo = ''] = values.registry.split('/');
      const client = createGitHubClient({ token, baseUrl: apiUrl, paceMs });
      registry = new GitHubRegistry(client, { owner, repo, branch, serverUrl: values['server-url'] ?? env.GITHUB_SERVER_URL ?? serverUrlFor(apiUrl) });
      source = new GitHubSource(client, { allowPrivate: values['allow-private-sources'] ?? false });
    } else {
      local = new GitRegistry({ path: values['registry-path'] ?? '.', branch });
      registry = local;
    }
    const report = await reconcile({ registry, backends: storages, ...(source ? { source } : {}), log }, {
      now: () => new Date(), stagingTtlMs, graceMs, paceMs, dryRun: values['dry-run'] ?? false,
      run: { id: env.GITHUB_RUN_ID || 'local', attempt: Number(env.GITHUB_RUN_ATTEMPT || '1') || 1 },
    });
    io.out(`${renderRepairReport(report)}\n`);
    return report.needsHuman.length === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`registrar: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    const text = error instanceof RegistrarError ? `${error.message}${error.hint ? ` ${error.hint}` : ''}` : String((error as Error)?.stack ?? error);
    io.err(`registrar ${name} failed: ${text}\n`);
    return 1;
  } finally {
    local?.close();
    for (const storage of storages) storage.destroy();
  }
}

/** True when this module is the program node was asked to run (not when a test imports it). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  runCli(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) })
    .then((code) => { process.exitCode = code; }, (error: unknown) => {
      process.stderr.write(`registrar: ${String((error as Error)?.stack ?? error)}\n`);
      process.exitCode = 1;
    });
}
