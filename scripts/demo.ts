// `npm run demo`: the main job on this machine — a real S3 server, the GitHub emulator, a tagged package, and the built action publishing it from an issue.
import { rm, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startWorld, seedPackage, openIssue, requestBody, runAction, REGISTRY, git } from '../test-support/world.js';
import { registryFile } from '../test-support/observe.js';

const DEMO = resolve(import.meta.dirname, '..', '.demo');
const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0', subdir: 'pkg',
  files: { 'lib/pad.js': 'export const pad = (s, n, c = " ") => String(s).padStart(n, c);\n' } };

function section(title: string): void {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

await rm(DEMO, { recursive: true, force: true });
await mkdir(DEMO, { recursive: true });
const world = await startWorld({ root: resolve(DEMO, 'github'), s3Directory: resolve(DEMO, 's3'), registryPath: resolve(DEMO, 'registry.git') });
let published = false;
try {
  section('Setup');
  const commit = await seedPackage(world, pkg);
  console.log(`S3 server        ${world.s3.endpoint} (bucket ${world.buckets.join(', ')})`);
  console.log(`GitHub emulator  ${world.github.url}`);
  console.log(`source           ${pkg.owner}/${pkg.repo} tag v${pkg.version} -> ${commit}`);

  const body = requestBody(pkg);
  const { issue, event } = openIssue(world, body, undefined, `Publish ${pkg.name}@${pkg.version}`);
  section(`Issue #${issue} opened by an author`);
  console.log(body);

  section('The action runs (dist/index.js, as a runner starts it)');
  const run = await runAction(world, event);
  console.log(run.stdout.split('\n').filter((l) => !l.startsWith('::set-output')).join('\n'));
  if (run.stderr.trim()) console.log(run.stderr);
  console.log('outputs:', run.outputs);

  section(`Issue #${issue} conversation`);
  const thread = world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
  console.log(`state: ${thread.state}${thread.state_reason ? ` (${thread.state_reason})` : ''}`);
  for (const comment of thread.comments) console.log(`\n--- comment by ${comment.user.login}\n${comment.body}`);

  section('Registry: git log (.demo/registry.git)');
  console.log(await git(world.registryPath, 'log', '--stat', '--format=commit %H%n%n%B', 'main'));
  const path = 'metadata/le/ft/left-pad.json';
  const metadata = await registryFile(world, path);
  console.log(`${path}:\n${metadata}`);

  section('Storage: every object in every bucket (.demo/s3)');
  const objects = [];
  for (const bucket of world.buckets) {
    for (const object of await world.s3.listRaw(bucket)) {
      objects.push(object);
      console.log(`s3://${bucket}/${object.key}  ${object.bytes} bytes  sha256 ${object.sha256}`);
    }
  }

  const entry = metadata ? (JSON.parse(metadata) as { published: Record<string, { sha256: string; bytes: number }> }).published[pkg.version] : undefined;
  const final = objects.find((o) => o.key === `${pkg.name}/${pkg.version}.tar.gz`);
  const expected = final && `sha256-${Buffer.from(final.sha256, 'hex').toString('base64')}`;
  published = run.code === 0 && entry !== undefined && final !== undefined && entry.sha256 === expected
    && entry.bytes === final.bytes && !objects.some((o) => o.key.startsWith('staging/')) && thread.state === 'closed';
  section(published ? `Published ${pkg.name}@${pkg.version}: metadata and the stored bytes agree (${expected})` : 'NOT published');
} finally {
  await world.close();
}
process.exit(published ? 0 : 1);
