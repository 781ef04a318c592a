// The CLI's shared option reader: flags parsed and checked once per command, and the backends they name built behind the same ports the action uses.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createGitHubClient, type GitHubClient } from '../adapters/github/client.js';
import { GitHubRegistry } from '../adapters/github/registry.js';
import { GitHubSource } from '../adapters/github/source.js';
import { FsStorage } from '../adapters/local/fs-storage.js';
import { GitRegistry, initRegistryRepository } from '../adapters/local/git-registry.js';
import { GitSource } from '../adapters/local/git-source.js';
import { createS3Storage, type S3Storage } from '../adapters/s3.js';
import { ECOSYSTEM_IDS, ecosystemFor, isEcosystemId, type Ecosystem } from '../core/ecosystem.js';
import { RegistrarError } from '../errors.js';
import { parseBackends } from '../inputs.js';
import type { Registry, Source, Storage } from '../ports.js';

/** Bad usage: exit 2, the message naming the flag, the value and what is expected. */
export class UsageError extends Error {}

/** Where a command writes: stdout for its result, stderr for logs and progress. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flags every command shares. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const REGISTRY_OPTIONS = {
  registry: { type: 'string' },
  'registry-repository': { type: 'string' },
  branch: { type: 'string' },
  'token-env': { type: 'string' },
  'api-url': { type: 'string' },
  'server-url': { type: 'string' },
  'api-pace-ms': { type: 'string' },
} as const satisfies OptionSpec;

export const STORAGE_OPTIONS = {
  storage: { type: 'string' },
  backends: { type: 'string' },
} as const satisfies OptionSpec;

export const SOURCE_OPTIONS = {
  source: { type: 'string' },
  'source-repository': { type: 'string' },
  'allow-private-sources': { type: 'boolean' },
} as const satisfies OptionSpec;

/** `--ecosystem NAME`: whose rules the registry follows (names, versions, manifests, the tarball's top directory). */
export const ECOSYSTEM_OPTIONS = {
  ecosystem: { type: 'string' },
} as const satisfies OptionSpec;

export const ECOSYSTEM_HELP = `  --ecosystem NAME               the registry's rules for names, versions, manifests and the tarball's top
                                 directory: ${ECOSYSTEM_IDS.join(', ')} (default default); give every command of
                                 one registry the same one`;

/**
 * The ecosystem the flags name, checked as the action's `ecosystem` input is: an unknown name, or a
 * `--manifest-file` beside a preset that reads its own manifests (it would be silently ignored), is bad usage.
 */
export function ecosystemOf(values: { ecosystem?: string; 'manifest-file'?: string }): { ecosystem: Ecosystem; manifestFile: string } {
  const id = values.ecosystem ?? 'default';
  if (!isEcosystemId(id)) {
    throw new UsageError(`--ecosystem is ${JSON.stringify(id.slice(0, 40))}; expected one of ${ECOSYSTEM_IDS.join(', ')} `
      + '(leave it out for the default rules, or name the registry kind whose rules to follow).');
  }
  const given = values['manifest-file'];
  if (given !== undefined && id !== 'default') {
    throw new UsageError(`--manifest-file is set, but the ${id} ecosystem reads its own manifests (${ecosystemFor(id).manifestFiles.join(', ')}); `
      + 'leave --manifest-file out.');
  }
  const manifestFile = given ?? 'package.json';
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(manifestFile) || manifestFile.startsWith('.')) {
    throw new UsageError(`--manifest-file is ${JSON.stringify(manifestFile)}; expected a plain file name, like package.json.`);
  }
  return { ecosystem: ecosystemFor(id, { manifestFile }), manifestFile };
}

export const REGISTRY_HELP = `  --registry DIR                 the registry as a local git repository (bare or not); a missing or empty
                                 directory becomes a new repository with an initial commit on main
  --registry-repository O/R      the registry repository on GitHub (token from the variable --token-env names)
  --branch NAME                  the registry branch (default main)
  --token-env NAME               the environment variable holding the GitHub token (default GITHUB_TOKEN)
  --api-url URL                  the GitHub API (default $GITHUB_API_URL, else https://api.github.com)
  --server-url URL               where commit links point (default: derived from --api-url)
  --api-pace-ms N                milliseconds between GitHub writes, also the unit of back-off (default 1000; 50 locally)`;

export const STORAGE_HELP = `  --storage DIR                  storage in a local directory (created if missing); with --backends too,
                                 it is one more backend, the primary
  --backends JSON                S3 backends, the same JSON list as the action's \`backends\` input, e.g.
                                 '[{"name":"primary","bucket":"my-registry","credentials":{"accessKeyIdEnv":"AWS_ACCESS_KEY_ID","secretAccessKeyEnv":"AWS_SECRET_ACCESS_KEY"}}]'`;

export const SOURCE_HELP = `  --source DIR                   the package source as a local git repository; a request names it by its
                                 parent directory and its name (/work/acme/left-pad is acme/left-pad)
  --source-repository O/R        the package source on GitHub (through the same token)`;

export const EXIT_HELP = `Exit status: 0 done (or clean), 1 failed (running it again may help), 2 bad usage,
3 refused (the request or the package must change), 4 needs a person (reconcile or audit found something).`;

/** Parses one command's flags strictly; unknown flags and missing values are usage errors naming the flag. */
export function parseFlags<T extends OptionSpec>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const OWNER_REPO = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

export function ownerRepo(flag: string, value: string): { owner: string; repo: string } {
  if (!OWNER_REPO.test(value)) throw new UsageError(`--${flag} is ${JSON.stringify(value)}; expected OWNER/REPO, like acme/registry.`);
  const [owner = '', repo = ''] = value.split('/');
  return { owner, repo };
}

/** A number flag at least `min` (exclusive when `above`), or the fallback when absent. */
export function numberFlag(flag: string, text: string | undefined, fallback: number, min: number, above = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (above ? value <= min : value < min)) {
    throw new UsageError(`--${flag} is ${JSON.stringify(text)}; expected a number ${above ? `greater than ${min}` : `of ${min} or more`}.`);
  }
  return value;
}

/** `name@version`, split at the last `@` (a scoped name has one of its own first). */
export function nameAtVersion(positionals: string[], command: string): { name: string; version: string } {
  const [target, ...extra] = positionals;
  if (target === undefined) throw new UsageError(`${command} needs the version: <name>@<version>, like left-pad@1.2.0.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${JSON.stringify(extra[0])}: ${command} takes one <name>@<version>.`);
  const at = target.lastIndexOf('@');
  if (at <= 0 || at === target.length - 1) throw new UsageError(`${JSON.stringify(target)} is not <name>@<version>; expected something like left-pad@1.2.0.`);
  return { name: target.slice(0, at), version: target.slice(at + 1) };
}

/** Everything a command opened, closed when it ends (processes, connection pools). */
export class Resources {
  private readonly closers: Array<() => void> = [];
  add<T>(value: T, close: (value: T) => void): T {
    this.closers.push(() => close(value));
    return value;
  }
  close(): void {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        close();
      } catch {
        // closing is best effort
      }
    }
  }
}

type RegistryValues = { [K in keyof typeof REGISTRY_OPTIONS]?: (typeof REGISTRY_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
type StorageValues = { storage?: string; backends?: string };
type SourceValues = { source?: string; 'source-repository'?: string; 'allow-private-sources'?: boolean };

/** The GitHub client the flags describe, made once and only when a GitHub backend needs it. */
export class GitHubAccess {
  private client: GitHubClient | undefined;
  constructor(private readonly values: RegistryValues, private readonly env: NodeJS.ProcessEnv, readonly paceMs: number) {}

  get apiUrl(): string {
    return this.values['api-url'] ?? this.env.GITHUB_API_URL ?? 'https://api.github.com';
  }

  get(): GitHubClient {
    if (this.client) return this.client;
    const tokenEnv = this.values['token-env'] ?? 'GITHUB_TOKEN';
    const token = this.env[tokenEnv];
    if (!token) throw new UsageError(`The environment variable ${tokenEnv} (named by --token-env) holds no token for the GitHub API.`);
    this.client = createGitHubClient({ token, baseUrl: this.apiUrl, paceMs: this.paceMs });
    return this.client;
  }
}

/** The pacing: GitHub's default when the registry is on GitHub, a short unit when everything is local. */
export function paceOf(values: RegistryValues): number {
  return numberFlag('api-pace-ms', values['api-pace-ms'], values['registry-repository'] !== undefined ? 1000 : 50, 0);
}

export interface RegistryChoice {
  registry: Registry;
  /** The local repository, when the registry is one (audit reads its history). */
  local: GitRegistry | undefined;
}

/**
 * For a command that only reads: the registry, or undefined when `--registry DIR` is missing or empty (a command that
 * writes nothing starts no registry there; it finds none).
 */
export async function openRegistryToRead(values: RegistryValues, github: GitHubAccess, resources: Resources,
  ecosystem?: Ecosystem): Promise<RegistryChoice | undefined> {
  if (values.registry !== undefined && values['registry-repository'] === undefined && isVacant(values.registry)) return undefined;
  return openRegistry(values, github, resources, ecosystem);
}

/** `--registry DIR` or `--registry-repository OWNER/REPO`, exactly one. A missing or empty DIR becomes a new registry repository. */
export async function openRegistry(values: RegistryValues, github: GitHubAccess, resources: Resources, ecosystem?: Ecosystem): Promise<RegistryChoice> {
  const branch = values.branch ?? 'main';
  if (!/^[A-Za-z0-9._/-]{1,200}$/.test(branch) || branch.startsWith('-')) {
    throw new UsageError(`--branch is ${JSON.stringify(branch)}; expected a branch name, like main.`);
  }
  if (values.registry !== undefined && values['registry-repository'] !== undefined) {
    throw new UsageError('Give either --registry DIR or --registry-repository OWNER/REPO, not both.');
  }
  if (values['registry-repository'] !== undefined) {
    const { owner, repo } = ownerRepo('registry-repository', values['registry-repository']);
    const serverUrl = values['server-url'] ?? github.apiUrl.replace(/\/+$/, '').replace(/^https:\/\/api\.github\.com$/, 'https://github.com').replace(/\/api\/v3$/, '');
    return { registry: new GitHubRegistry(github.get(), { owner, repo, branch, serverUrl, ...(ecosystem ? { ecosystem } : {}) }), local: undefined };
  }
  if (values.registry === undefined) throw new UsageError('No registry given: expected --registry DIR (a local git repository) or --registry-repository OWNER/REPO.');
  const dir = values.registry;
  const created = await initRegistryRepository(dir, branch).catch((error: unknown) => {
    throw new UsageError(`--registry is ${JSON.stringify(dir)}, which cannot be made a git repository: ${(error as Error).message}.`);
  });
  if (!created && !(await isGitRepository(dir))) {
    throw new UsageError(`--registry is ${JSON.stringify(dir)}, which is neither a git repository nor empty; expected a git repository, or a missing or empty directory to start one in.`);
  }
  const local = resources.add(new GitRegistry({ path: dir, branch, ...(ecosystem ? { ecosystem } : {}) }), (r) => r.close());
  return { registry: local, local };
}

/** A directory that does not exist or holds nothing. */
function isVacant(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function isGitRepository(dir: string): Promise<boolean> {
  return new Promise((resolve) => execFile('git', ['-C', dir, 'rev-parse', '--git-dir'], (error) => resolve(!error)));
}

/** `--storage DIR`, `--backends JSON`, or both (the directory first: it is then the primary). */
export function openStorage(values: StorageValues, env: NodeJS.ProcessEnv, resources: Resources): Storage[] {
  if (values.storage === undefined && values.backends === undefined) {
    throw new UsageError('No storage given: expected --storage DIR (a local directory) or --backends JSON (S3 backends).');
  }
  const storages: Storage[] = [];
  if (values.storage !== undefined) {
    const dir = values.storage;
    if (existsSync(dir) && !isDirectory(dir)) throw new UsageError(`--storage is ${JSON.stringify(dir)}, which is not a directory; expected a directory (created if missing).`);
    storages.push(new FsStorage({ path: dir, name: 'local' }));
  }
  if (values.backends !== undefined) {
    let configs;
    try {
      configs = parseBackends(values.backends, env);
    } catch (error) {
      if (!(error instanceof RegistrarError)) throw error;
      throw new UsageError(`${error.message}${error.hint ? ` ${error.hint}` : ''}`.replace(/[Tt]he input `backends`/g, '--backends'));
    }
    for (const config of configs) storages.push(resources.add<S3Storage>(createS3Storage(config), (s) => s.destroy()));
  }
  const names = storages.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new UsageError(`Backend names must differ; got ${names.join(', ')} (--storage is named "local").`);
  return storages;
}

function isDirectory(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

export interface SourceChoice {
  source: Source;
  /** Where requests say the package is: the directory's derived owner/repo, or the GitHub repository. */
  owner: string;
  repo: string;
}

/** `--source DIR` or `--source-repository OWNER/REPO`; undefined when neither is given and `required` is false. */
export function openSource(values: SourceValues, github: GitHubAccess, required: boolean): SourceChoice | undefined {
  if (values.source !== undefined && values['source-repository'] !== undefined) {
    throw new UsageError('Give either --source DIR or --source-repository OWNER/REPO, not both.');
  }
  if (values['source-repository'] !== undefined) {
    const { owner, repo } = ownerRepo('source-repository', values['source-repository']);
    return { source: new GitHubSource(github.get(), { allowPrivate: values['allow-private-sources'] ?? false }), owner, repo };
  }
  if (values.source !== undefined) {
    const dir = values.source;
    if (!isDirectory(dir)) throw new UsageError(`--source is ${JSON.stringify(dir)}, which is not a directory; expected a local git repository.`);
    const source = new GitSource(dir);
    return { source, owner: source.identity.owner, repo: source.identity.repo };
  }
  if (required) throw new UsageError('No source given: expected --source DIR (a local git repository) or --source-repository OWNER/REPO.');
  return undefined;
}
