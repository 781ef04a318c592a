// A whole Registrar world on 127.0.0.1 — GitHub emulator, S3 server, a registry, package sources — and a way to run the built action in it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, type GitHubEmulator } from './github/emulator.js';
import { startS3, type S3TestServer } from './s3.js';
import { issueCommentCreated, issueOpened, type EventUser } from './events.js';
import { git } from './git.js';

export const REGISTRY = { owner: 'registry', repo: 'registry', id: 1000 } as const;
export const AUTHOR: EventUser = { id: 5001, login: 'ada' };
const ACTION = resolve(import.meta.dirname, '..', 'dist', 'index.js');

export interface World {
  github: GitHubEmulator;
  s3: S3TestServer;
  buckets: string[];
  /** The source repositories seeded so far, as owner/repo. */
  sources: Set<string>;
  /** The bare git repository of the registry, for checking with git's own eyes. */
  registryPath: string;
  close(): Promise<void>;
}

export async function startWorld(options: { root?: string; s3Directory?: string; registryPath?: string; buckets?: string[] } = {}): Promise<World> {
  const github = await startEmulator({
    ...(options.root ? { root: options.root } : {}),
    ...(options.registryPath ? { repoPaths: { [`${REGISTRY.owner}/${REGISTRY.repo}`]: options.registryPath } } : {}),
  });
  const s3 = await startS3(options.s3Directory ? { directory: options.s3Directory } : {});
  const buckets: string[] = [];
  for (const bucket of options.buckets ?? ['registry-primary']) buckets.push(await s3.createBucket(bucket));
  github.addUser({ ...AUTHOR, type: 'User' });
  await github.createRepository({ owner: REGISTRY.owner, repo: REGISTRY.repo, id: REGISTRY.id,
    initialFiles: { 'README.md': '# Package registry\n\nOne metadata file per package, written by Registrar.\n' } });
  return {
    github, s3, buckets, sources: new Set(), registryPath: github.repoPath(REGISTRY.owner, REGISTRY.repo),
    close: async () => { await github.close(); await s3.close(); },
  };
}

export interface PackageSource {
  owner: string;
  repo: string;
  id?: number;
  name: string;
  version: string;
  tag?: string;
  license?: string;
  subdir?: string;
  annotated?: boolean;
  /** The source repository's visibility when it is created (default public). */
  visibility?: 'public' | 'private' | 'internal';
  /** Extra files of the package (paths relative to the package directory). */
  files?: Record<string, string>;
}

/** Creates (or extends) a source repository holding a package, tags it, and returns the tagged commit. */
export async function seedPackage(world: World, pkg: PackageSource): Promise<string> {
  const { github } = world;
  const prefix = pkg.subdir ? `${pkg.subdir}/` : '';
  const manifest = JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license ?? 'MIT' }, null, 2) + '\n';
  const files: Record<string, string> = {
    'README.md': `# ${pkg.repo}\n`,
    [`${prefix}package.json`]: manifest,
    [`${prefix}index.js`]: `export const name = ${JSON.stringify(pkg.name)};\n`,
    ...Object.fromEntries(Object.entries(pkg.files ?? {}).map(([path, content]) => [`${prefix}${path}`, content])),
  };
  if (!world.sources.has(`${pkg.owner}/${pkg.repo}`)) {
    world.sources.add(`${pkg.owner}/${pkg.repo}`);
    await github.createRepository({ owner: pkg.owner, repo: pkg.repo, ...(pkg.id ? { id: pkg.id } : {}),
      ...(pkg.visibility ? { visibility: pkg.visibility } : {}), initialFiles: files });
  } else {
    await github.commitFiles({ owner: pkg.owner, repo: pkg.repo, branch: 'main', files, message: `Release ${pkg.version}` });
  }
  const sha = await github.head(pkg.owner, pkg.repo, 'main');
  await github.tag({ owner: pkg.owner, repo: pkg.repo, name: pkg.tag ?? `v${pkg.version}`, sha,
    annotated: pkg.annotated ?? false, message: `Release ${pkg.version}` });
  return sha;
}

/** The request an author writes, as JSON in a fenced block. */
export function requestBody(pkg: PackageSource, overrides: Record<string, unknown> = {}): string {
  const request = {
    name: pkg.name, version: pkg.version, ref: pkg.tag ?? `v${pkg.version}`,
    location: { githubOwner: pkg.owner, githubRepo: pkg.repo, ...(pkg.subdir ? { subdir: pkg.subdir } : {}) },
    ...overrides,
  };
  return `Please publish this version.\n\n\`\`\`json\n${JSON.stringify(request, null, 2)}\n\`\`\`\n`;
}

/** Opens a publish issue on the registry repository and returns the event GitHub would send. */
export function openIssue(world: World, body: string, user: EventUser = AUTHOR, title = 'Publish request') {
  world.github.addUser({ id: user.id, login: user.login, type: user.type ?? 'User' });
  const issue = world.github.createIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, title, body, user: user.login });
  return {
    issue: issue.number,
    event: { name: 'issues', payload: issueOpened({ repository: REGISTRY, number: issue.number, title, body, user }) },
  };
}

/** Comments on an issue (as a person would) and returns the `issue_comment` event GitHub would send. */
export function commentOn(world: World, issue: number, body: string, user: EventUser = AUTHOR, action: 'created' | 'edited' = 'created') {
  world.github.addUser({ id: user.id, login: user.login, type: user.type ?? 'User' });
  const thread = world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
  const comment = world.github.addComment({ owner: REGISTRY.owner, repo: REGISTRY.repo, issue, body, user: user.login });
  const issueUser = { id: thread.user.id, login: thread.user.login, type: thread.user.type === 'Bot' ? 'Bot' as const : 'User' as const };
  return {
    name: 'issue_comment',
    payload: issueCommentCreated({ repository: REGISTRY, action,
      issue: { number: issue, title: thread.title, body: thread.body ?? '', user: issueUser },
      comment: { id: comment.id, body, user } }),
  };
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

let runCounter = 0;

/** Runs dist/index.js — the file GitHub runs — with the environment a runner gives it. */
export async function runAction(world: World, event: { name: string; payload: unknown },
  options: { inputs?: Record<string, string>; env?: Record<string, string>; runId?: string;
    /** Where the action reaches GitHub's API and S3, when not directly (e.g. through fault proxies). */
    via?: { github: string; s3: string };
    /** Variables the runner's environment lacks this time (e.g. GITHUB_EVENT_PATH for a scheduled job run by hand). */
    without?: string[] } = {}): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), 'registrar-run-'));
  const eventPath = join(dir, 'event.json');
  const outputPath = join(dir, 'output');
  const summaryPath = join(dir, 'summary');
  await writeFile(eventPath, JSON.stringify(event.payload));
  await writeFile(outputPath, '');
  await writeFile(summaryPath, '');
  const inputs: Record<string, string> = {
    'github-token': 'test-token',
    'registry-repository': `${REGISTRY.owner}/${REGISTRY.repo}`,
    'registry-branch': 'main',
    backends: JSON.stringify(world.buckets.map((bucket, i) => ({
      name: i === 0 ? 'primary' : `mirror-${i}`, endpoint: options.via?.s3 ?? world.s3.endpoint, region: world.s3.region, bucket,
      credentials: { accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY' },
    }))),
    'api-pace-ms': '1',
    ...options.inputs,
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    // Runners use node24; this machine's Node 20 would make the AWS SDK print a support notice on stderr.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: `${REGISTRY.owner}/${REGISTRY.repo}`,
    GITHUB_API_URL: options.via?.github ?? world.github.url,
    GITHUB_SERVER_URL: world.github.url,
    GITHUB_RUN_ID: options.runId ?? String(9000 + ++runCounter),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    S3_ACCESS_KEY_ID: world.s3.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: world.s3.credentials.secretAccessKey,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...options.env,
  };
  for (const name of options.without ?? []) delete env[name];
  const child = spawn(process.execPath, [ACTION], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? -1)));
  return { code, stdout, stderr, outputs: parseOutputs(await readFile(outputPath, 'utf8')) };
}

/** Reads the GITHUB_OUTPUT file format (`name<<delimiter`, value lines, delimiter). */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    outputs[name] = value.join('\n');
  }
  return outputs;
}

export { git };
