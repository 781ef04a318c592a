// `registrar dry-run`: what a publish would do — prepare (tag, canonical tarball, hash, manifest) and the plan at the registry head — writing nothing.
import { DEFAULT_LIMITS } from '../core/limits.js';
import type { DryRunOutcome } from '../core/outcomes.js';
import { dryRun } from '../pipeline/dry-run.js';
import type { Registry } from '../ports.js';
import {
  COMMON_OPTIONS, ECOSYSTEM_HELP, ECOSYSTEM_OPTIONS, EXIT_HELP, ecosystemOf, GitHubAccess, REGISTRY_HELP, REGISTRY_OPTIONS, Resources, SOURCE_HELP, SOURCE_OPTIONS,
  nameAtVersion, openRegistryToRead, openSource, paceOf, parseFlags,
} from './options.js';
import { countedSource, Progress } from './progress.js';
import { EXIT, cliLog, errorJson, printJson, say, type CommandContext } from './output.js';
import { requestFromFlags } from './publish.js';

export const DRY_RUN_OPTIONS = {
  ...COMMON_OPTIONS, ...ECOSYSTEM_OPTIONS, ...REGISTRY_OPTIONS, ...SOURCE_OPTIONS,
  ref: { type: 'string' },
  subdir: { type: 'string' },
  'manifest-file': { type: 'string' },
} as const;

export const DRY_RUN_USAGE = `Usage: registrar dry-run (--registry DIR | --registry-repository OWNER/REPO)
                         (--source DIR | --source-repository OWNER/REPO)
                         --ref TAG [--subdir PATH] [--ecosystem NAME] [--manifest-file NAME] [--json] <name>@<version>

Shows what \`registrar publish\` would do with the same flags, writing nothing anywhere: resolves the tag,
builds the canonical tarball, checks the manifest, and plans at the registry head (publish, resume, or
refuse and why). Prints the file list, the size and the sha256. Needs no storage.

  <name>@<version>               the package and version, e.g. left-pad@1.2.0 (split at the last "@": with
                                 --ecosystem npm, @acme/left-pad@2.0.0-canary.1)
  --ref TAG                      the git tag to publish
  --subdir PATH                  the package's directory inside the repository (default: its root)
${ECOSYSTEM_HELP}
  --manifest-file NAME           with --ecosystem default only: the manifest at the package root (default
                                 package.json); the other ecosystems read their own
  --json                         print one JSON object (the plan) on stdout
${REGISTRY_HELP}
${SOURCE_HELP}

${EXIT_HELP} A dry run exits 0 when the publish would go ahead, 3 when it would be refused.`;

export async function runDryRun(argv: string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, DRY_RUN_OPTIONS);
  if (values.help) return say(context.io, DRY_RUN_USAGE);
  const resources = new Resources();
  const progress = new Progress('dry-run', (line) => context.io.err(line), context.progressMs);
  const json = values.json ?? false;
  try {
    const target = nameAtVersion(positionals, 'dry-run');
    const { ecosystem, manifestFile } = ecosystemOf(values);
    const github = new GitHubAccess(values, context.env, paceOf(values));
    const located = openSource(values, github, true)!;
    const request = requestFromFlags(target, values.ref, values.subdir, located, ecosystem);
    // No registry yet (a missing or empty directory): nothing is published there, and a dry run starts none.
    const registry = (await openRegistryToRead(values, github, resources, ecosystem))?.registry ?? NO_REGISTRY_YET;
    // The very pipeline `/dry-run` runs: prepare and plan at one snapshot, with no storage and no tracker to write to.
    const outcome = await dryRun({ registry, source: countedSource(located.source, progress), log: cliLog(context.io) },
      { manifestFile, ecosystem, limits: DEFAULT_LIMITS, now: () => new Date() },
      { issue: undefined, request: JSON.stringify(request), trigger: { actor: { id: 0, login: 'cli' }, at: '' } });
    progress.stop();
    report(context, json, located, outcome);
    if (outcome.status === 'failed') return EXIT.failed;
    return outcome.status === 'refused' || outcome.plan === 'refuse' ? EXIT.refused : EXIT.done;
  } finally {
    progress.stop();
    resources.close();
  }
}

/** A registry directory that does not exist yet: its head is no commit, and it holds no package. */
const NO_REGISTRY_YET: Pick<Registry, 'snapshot'> = { snapshot: () => Promise.resolve({ head: '', metadata: undefined }) };

function report(context: CommandContext, json: boolean, located: { owner: string; repo: string }, outcome: DryRunOutcome): void {
  const request = outcome.request;
  const subject = request ? `${request.name}@${request.version}` : 'the request';
  if (outcome.status !== 'planned') {
    const failure = outcome.status === 'failed' ? outcome.error : { message: outcome.message, hint: outcome.hint };
    if (json) {
      printJson(context.io, { command: 'dry-run', status: outcome.status, name: request?.name, version: request?.version,
        error: outcome.status === 'failed' ? errorJson(outcome.error) : { message: outcome.message, hint: outcome.hint ?? null } });
    } else {
      context.io.out(`${subject} ${outcome.status === 'refused' ? 'would be refused' : 'could not be prepared'}: ${failure.message}`
        + `${failure.hint ? ` ${failure.hint}` : ''}\nNothing was written.\n`);
    }
    return;
  }
  const { tarball, head, plan } = outcome;
  if (json) {
    printJson(context.io, {
      command: 'dry-run', status: plan === 'refuse' ? 'refused' : plan === 'resume' ? 'would-resume' : 'would-publish',
      name: outcome.request.name, version: outcome.request.version, ref: outcome.request.ref, commit: tarball.commit,
      sha256: tarball.sha256, bytes: tarball.bytes, files: tarball.files, registryHead: head === '' ? null : head,
      ...(plan === 'refuse' ? { message: outcome.reason, hint: outcome.hint } : {}),
    });
    return;
  }
  const verdict = plan === 'refuse' ? `would be refused: ${outcome.reason} ${outcome.hint ?? ''}`.trim()
    : plan === 'resume' ? 'is already committed from the command line; publish would finish promoting it'
      : `would be published (${head === '' ? 'as the registry\'s first package' : `registry head ${head.slice(0, 12)}`})`;
  context.io.out(`${subject} ${verdict}\n`
    + `  tarball: ${tarball.bytes} bytes, ${tarball.sha256}\n`
    + `  source: ${located.owner}/${located.repo} at ${outcome.request.ref} (${tarball.commit})\n  ${tarball.files.length} files:\n`
    + tarball.files.map((f) => `    ${f}\n`).join('') + 'Nothing was written.\n');
}
