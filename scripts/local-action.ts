// `npm run local-action`: proves `npx local-action run . src/main.ts <env file>` (@github/local-action, the Actions way of debugging) publishes in the demo world.
//
// It starts the demo world (the GitHub emulator and an S3 server on 127.0.0.1), seeds a tagged package, opens a
// publish issue, writes the event payload and an env file shaped like .env.example, and runs local-action exactly as
// a person would. Then it checks with its own eyes (git on the registry, a raw listing of the bucket) that the version
// was published. Exit 0 when it was; 1 otherwise, with local-action's output.
import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REGISTRY, openIssue, requestBody, seedPackage, startWorld } from '../test-support/world.js';
import { registryFile } from '../test-support/observe.js';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0', subdir: 'pkg' };

/** Runs local-action from the repository root, as `npx local-action run . src/main.ts <envFile>`. */
function localAction(envFile: string): Promise<{ code: number; output: string }> {
  const bin = join(ROOT, 'node_modules', '.bin', 'local-action');
  // Only what a person's shell would have: the action's settings come from the env file alone.
  // local-action stubs @actions/core by the path `npm ls` reports under ./node_modules; Node resolves our import of it
  // through symlinks to the real path, so where node_modules is a symlink (a shared install) the stub would miss
  // and the real @actions/core would run. Keeping symlinked paths makes the two agree, as in a plain `npm ci` checkout.
  const linked = lstatSync(join(ROOT, 'node_modules')).isSymbolicLink();
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(),
    NODE_OPTIONS: `--openssl-legacy-provider${linked ? ' --preserve-symlinks' : ''}` };
  const child = spawn(bin, ['run', '.', 'src/main.ts', envFile], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return new Promise((done) => child.on('close', (code) => done({ code: code ?? -1, output })));
}

/** The env file a person writes from .env.example, pointed at the demo world (single quotes: dotenv takes the JSON as it is). */
function envFile(values: Record<string, string>): string {
  return `${Object.entries(values).map(([key, value]) => `${key}='${value}'`).join('\n')}\n`;
}

/** local-action's own table of the outputs its @actions/core stub collected: proof the stub, not the real core, ran. */
const STUBBED_STATUS = /│\s*'status'\s*│\s*'published'\s*│/;

export async function proveLocalAction(): Promise<{ published: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'registrar-local-action-'));
  const world = await startWorld();
  try {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg), undefined, `Publish ${pkg.name}@${pkg.version}`);
    const eventPath = join(dir, 'event.json');
    const summaryPath = join(dir, 'summary.md');
    await writeFile(eventPath, JSON.stringify(event.payload));
    await writeFile(summaryPath, '');
    const envPath = join(dir, '.env');
    await writeFile(envPath, envFile({
      ACTIONS_STEP_DEBUG: 'false',
      'INPUT_GITHUB-TOKEN': 'local-token',
      'INPUT_REGISTRY-REPOSITORY': `${REGISTRY.owner}/${REGISTRY.repo}`,
      INPUT_BACKENDS: JSON.stringify([{ name: 'primary', endpoint: world.s3.endpoint, region: world.s3.region, bucket: world.buckets[0],
        credentials: { accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY' } }]),
      'INPUT_API-PACE-MS': '1',
      S3_ACCESS_KEY_ID: world.s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: world.s3.credentials.secretAccessKey,
      GITHUB_EVENT_NAME: event.name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: `${REGISTRY.owner}/${REGISTRY.repo}`,
      GITHUB_API_URL: world.github.url,
      GITHUB_SERVER_URL: world.github.url,
      GITHUB_RUN_ID: '4711',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_STEP_SUMMARY: summaryPath,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }));
    const { code, output } = await localAction(envPath);
    const metadata = await registryFile(world, 'metadata/le/ft/left-pad.json');
    const entry = metadata ? (JSON.parse(metadata) as { published: Record<string, { sha256: string; bytes: number }> }).published[pkg.version] : undefined;
    const objects = await world.s3.listRaw(world.buckets[0]!);
    const final = objects.find((o) => o.key === `${pkg.name}/${pkg.version}.tar.gz`);
    const closed = world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).state === 'closed';
    const published = code === 0 && entry !== undefined && final !== undefined
      && entry.sha256 === `sha256-${Buffer.from(final.sha256, 'hex').toString('base64')}`
      && !objects.some((o) => o.key.startsWith('staging/')) && closed && STUBBED_STATUS.test(output);
    return { published, output: `${output}\n--- job summary ---\n${await readFile(summaryPath, 'utf8')}` };
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.dirname, 'local-action.ts')) {
  const { published, output } = await proveLocalAction();
  console.log(output);
  console.log(published ? `local-action published ${pkg.name}@${pkg.version} in the demo world.` : 'local-action did NOT publish.');
  process.exit(published ? 0 : 1);
}
