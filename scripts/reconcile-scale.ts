// `npm run reconcile-scale [-- --packages N] [--backends B] [--s3rver-listing indexed|stock] [--runner pipeline|action]`: times one reconcile over a registry of N packages (default 100,000) whose backends already agree with it, and counts its GitHub API and S3 requests.
import { parseArgs } from 'node:util';
import { measureReconcile } from '../test-support/bench/reconcile-scale.js';

const { values } = parseArgs({ options: { packages: { type: 'string', default: '100000' }, backends: { type: 'string', default: '2' },
  /** `stock` measures with s3rver's own listing walk, whose cost grows with the square of the object count. */
  's3rver-listing': { type: 'string', default: 'indexed' },
  /** `action` runs the built dist/index.js in reconcile mode (build it first) instead of the pipeline function in-process. */
  runner: { type: 'string', default: 'pipeline' } } });
const packages = Number(values.packages);
const backends = Number(values.backends);
if (!Number.isSafeInteger(packages) || packages < 1) throw new Error(`--packages is ${JSON.stringify(values.packages)}; expected a whole number of 1 or more`);
if (!Number.isSafeInteger(backends) || backends < 1) throw new Error(`--backends is ${JSON.stringify(values.backends)}; expected a whole number of 1 or more`);

const listing = values['s3rver-listing'];
if (listing !== 'indexed' && listing !== 'stock') throw new Error(`--s3rver-listing is ${JSON.stringify(listing)}; expected indexed or stock`);

const runner = values.runner;
if (runner !== 'pipeline' && runner !== 'action') throw new Error(`--runner is ${JSON.stringify(runner)}; expected pipeline or action`);

const started = Date.now();
const result = await measureReconcile({ packages, backends, s3rverListing: listing, runner, log: (line) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`) });
const { actions, needsHuman, left, ...figures } = result;
process.stdout.write(`${JSON.stringify({ ...figures, actions: actions.length, needsHuman: needsHuman.length, left: left.length }, null, 2)}\n`);
process.stdout.write(`reconcile of ${packages} packages in ${backends} backends: ${result.seconds.toFixed(1)} s, `
  + `${result.githubRequests} GitHub requests, ${result.s3Requests} S3 requests; `
  + `${actions.length} actions, ${needsHuman.length} for a person, ${left.length} left\n`);
if (actions.length + needsHuman.length + left.length > 0) {
  process.stdout.write(`${JSON.stringify({ actions: actions.slice(0, 5), needsHuman: needsHuman.slice(0, 5), left: left.slice(0, 5) }, null, 2)}\n`);
  process.exitCode = 1;
}
