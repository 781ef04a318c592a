// `registrar publish`: the publish pipeline from a terminal, with no issue — the request comes from flags, the status goes to stderr.
import { TerminalTracker } from '../adapters/local/terminal-tracker.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { parsePublishRequest } from '../core/request.js';
import type { PublishOutcome } from '../core/outcomes.js';
import type { PublishRequest } from '../core/types.js';
import type { Ecosystem } from '../core/ecosystem.js';
import { publish } from '../pipeline/publish.js';
import {
  COMMON_OPTIONS, ECOSYSTEM_HELP, ECOSYSTEM_OPTIONS, EXIT_HELP, GitHubAccess, ecosystemOf, REGISTRY_HELP, REGISTRY_OPTIONS, Resources, SOURCE_HELP, SOURCE_OPTIONS,
  STORAGE_HELP, STORAGE_OPTIONS, UsageError, nameAtVersion, openRegistry, openSource, openStorage, paceOf, parseFlags, type CliIo,
} from './options.js';
import { countedSource, Progress } from './progress.js';
import { EXIT, cliLog, errorJson, printJson, runId, say, type CommandContext } from './output.js';

export const PUBLISH_OPTIONS = {
  ...COMMON_OPTIONS, ...ECOSYSTEM_OPTIONS, ...REGISTRY_OPTIONS, ...STORAGE_OPTIONS, ...SOURCE_OPTIONS,
  ref: { type: 'string' },
  subdir: { type: 'string' },
  'manifest-file': { type: 'string' },
} as const;

export const PUBLISH_USAGE = `Usage: registrar publish (--registry DIR | --registry-repository OWNER/REPO)
                         (--storage DIR | --backends JSON) (--source DIR | --source-repository OWNER/REPO)
                         --ref TAG [--subdir PATH] [--ecosystem NAME] [--manifest-file NAME] [--json] <name>@<version>

Publishes one version: builds the canonical tarball from the tag, stages it in every backend, commits the
metadata to the registry (one compare-and-swap commit), then promotes the tarball to its final key.
Running the same command again after a failure resumes and converges; nothing is ever left half-done.

  <name>@<version>               the package and version, e.g. left-pad@1.2.0 (split at the last "@": with
                                 --ecosystem npm, @acme/left-pad@2.0.0-canary.1)
  --ref TAG                      the git tag to publish (never a branch or a SHA)
  --subdir PATH                  the package's directory inside the repository (default: its root)
${ECOSYSTEM_HELP}
  --manifest-file NAME           with --ecosystem default only: the manifest at the package root (default
                                 package.json); the other ecosystems read their own
  --json                         print one JSON object (the outcome) on stdout; progress stays on stderr
${REGISTRY_HELP}
${STORAGE_HELP}
${SOURCE_HELP}

Example:
  registrar publish --registry ./registry --storage ./storage --source ./left-pad --ref v1.2.0 left-pad@1.2.0

${EXIT_HELP}`;

/** The request the flags describe, checked by the very rules an issue's request meets; a bad field names its flag. */
export function requestFromFlags(target: { name: string; version: string }, ref: string | undefined, subdir: string | undefined,
  location: { owner: string; repo: string }, ecosystem?: Ecosystem): PublishRequest {
  if (ref === undefined) throw new UsageError('--ref TAG is required: the git tag to publish, like v1.2.0.');
  const parsed = parsePublishRequest(JSON.stringify({
    name: target.name, version: target.version, ref,
    location: { githubOwner: location.owner, githubRepo: location.repo, ...(subdir === undefined ? {} : { subdir }) },
  }), ecosystem);
  if (parsed.ok) return parsed.request;
  const flagOf: Record<string, string> = { name: '<name>', version: '<version>', ref: '--ref', 'location.subdir': '--subdir' };
  const problem = parsed.problems[0]!;
  const flag = flagOf[problem.field] ?? problem.field;
  const value = { name: target.name, version: target.version, ref, 'location.subdir': subdir }[problem.field] ?? '';
  throw new UsageError(`${flag} is ${JSON.stringify(value)}: ${problem.message}`);
}

export async function runPublish(argv: string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, PUBLISH_OPTIONS);
  if (values.help) return say(context.io, PUBLISH_USAGE);
  const resources = new Resources();
  const progress = new Progress('publish', (line) => context.io.err(line), context.progressMs);
  try {
    const target = nameAtVersion(positionals, 'publish');
    const { ecosystem, manifestFile } = ecosystemOf(values);
    const pace = paceOf(values);
    const github = new GitHubAccess(values, context.env, pace);
    const source = openSource(values, github, true)!;
    const request = requestFromFlags(target, values.ref, values.subdir, source, ecosystem);
    const backends = openStorage(values, context.env, resources);
    const { registry } = await openRegistry(values, github, resources, ecosystem);
    const outcome = await publish({
      registry, backends, source: countedSource(source.source, progress), log: cliLog(context.io),
      tracker: new TerminalTracker((text) => context.io.err(text)),
    }, {
      manifestFile, ecosystem, limits: DEFAULT_LIMITS, paceMs: pace, run: { id: runId(context.env), attempt: 1 }, now: () => new Date(),
    }, {
      issue: undefined, request: JSON.stringify(request),
      // No issue, no comment: nothing older than this command to hold it to (rule 8's comment time).
      trigger: { actor: { id: 0, login: 'cli' }, at: '' },
    });
    progress.stop();
    return report(context.io, values.json ?? false, outcome);
  } finally {
    progress.stop();
    resources.close();
  }
}

function report(io: CliIo, json: boolean, outcome: PublishOutcome): number {
  const id = outcome.request ? `${outcome.request.name}@${outcome.request.version}` : 'the request';
  const code = outcome.status === 'published' ? EXIT.done : outcome.status === 'refused' ? EXIT.refused : EXIT.failed;
  if (json) {
    printJson(io, publishJson(outcome));
    return code;
  }
  switch (outcome.status) {
    case 'published':
      io.out(`Published ${id}${outcome.resumed ? ' (resumed: it was already committed)' : ''}: ${outcome.entry.sha256}, ${outcome.entry.bytes} bytes`
        + `${outcome.commit ? `, registry commit ${outcome.commit.sha}` : ''}.\n`);
      for (const location of outcome.locations) io.out(`  ${location.backend}: ${location.key}\n`);
      break;
    case 'refused':
      io.out(`Refused ${id}: ${outcome.message}\n`);
      for (const problem of outcome.problems) io.out(`  ${problem.field}: ${problem.message}\n`);
      io.out(`Nothing was ${outcome.steps.includes('committed') ? 'changed beyond the commit' : 'written'}.${outcome.hint ? ` ${outcome.hint}` : ''}\n`);
      break;
    case 'failed':
      io.out(`Publishing ${id} failed: ${outcome.error.message}\n`
        + `${outcome.steps.includes('committed') ? 'The version is committed; ' : ''}run the same command again: it resumes where this one stopped.\n`);
      break;
    case 'working':
      break;
  }
  return code;
}

export function publishJson(outcome: PublishOutcome): Record<string, unknown> {
  const base = {
    command: 'publish', status: outcome.status,
    ...(outcome.request ? { name: outcome.request.name, version: outcome.request.version } : {}), steps: outcome.steps,
  };
  switch (outcome.status) {
    case 'published':
      return { ...base, sha256: outcome.entry.sha256, bytes: outcome.entry.bytes, ref: outcome.entry.ref, commit: outcome.entry.commit,
        registryCommit: outcome.commit?.sha ?? null, resumed: outcome.resumed, locations: outcome.locations };
    case 'refused':
      return { ...base, message: outcome.message, hint: outcome.hint ?? null, problems: outcome.problems, final: outcome.final };
    case 'failed':
      return { ...base, error: errorJson(outcome.error), commitInDoubt: outcome.commitInDoubt ?? false };
    default:
      return base;
  }
}
