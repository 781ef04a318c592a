// `registrar reconcile`: brings storage back in line with the registry after interrupted runs, from a terminal.
import { DEFAULT_GRACE_MS, DEFAULT_STAGING_TTL_MS, reconcile } from '../pipeline/reconcile.js';
import { renderRepairReport } from '../report/repair.js';
import {
  COMMON_OPTIONS, ECOSYSTEM_HELP, ECOSYSTEM_OPTIONS, EXIT_HELP, ecosystemOf, GitHubAccess, REGISTRY_HELP, REGISTRY_OPTIONS, Resources, SOURCE_HELP, SOURCE_OPTIONS, STORAGE_HELP,
  STORAGE_OPTIONS, UsageError, numberFlag, openRegistry, openSource, openStorage, paceOf, parseFlags,
} from './options.js';
import { countedStorage, Progress } from './progress.js';
import { EXIT, cliLog, printJson, runId, say, type CommandContext } from './output.js';

export const RECONCILE_OPTIONS = {
  ...COMMON_OPTIONS, ...ECOSYSTEM_OPTIONS, ...REGISTRY_OPTIONS, ...STORAGE_OPTIONS, ...SOURCE_OPTIONS,
  'staging-ttl-hours': { type: 'string' },
  'grace-minutes': { type: 'string' },
  'manifest-file': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

export const RECONCILE_USAGE = `Usage: registrar reconcile (--registry DIR | --registry-repository OWNER/REPO) (--storage DIR | --backends JSON)
                           [--source DIR | --source-repository OWNER/REPO] [--staging-ttl-hours N]
                           [--grace-minutes N] [--ecosystem NAME] [--dry-run] [--json]

Repairs what interrupted runs left: promotes committed versions whose tarball is missing somewhere, finishes
rollbacks left half-way, deletes staging objects that are promoted or older than the staging TTL. It acts only
on exact (name, version, sha256) matches and lists what needs a person.

  --staging-ttl-hours N          staging objects older than this are garbage (default ${DEFAULT_STAGING_TTL_MS / 3_600_000})
  --grace-minutes N              a commit younger than this may still be promoting: leave it (default ${DEFAULT_GRACE_MS / 60_000})
  --dry-run                      report what reconcile would do, write nothing
${ECOSYSTEM_HELP}
  --manifest-file NAME           with --ecosystem default only, for rebuilds from the source: the manifest
                                 file (default package.json)
  --allow-private-sources        rebuild from private or internal GitHub repositories too
  --json                         print one JSON object (the report) on stdout
${REGISTRY_HELP}
${STORAGE_HELP}
${SOURCE_HELP}
                                 (a source lets reconcile rebuild a tarball no backend holds any more)

${EXIT_HELP}`;

export async function runReconcile(argv: string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, RECONCILE_OPTIONS);
  if (values.help) return say(context.io, RECONCILE_USAGE);
  if (positionals.length > 0) throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[0])}: reconcile takes only flags.`);
  const resources = new Resources();
  const progress = new Progress('reconcile', (line) => context.io.err(line), context.progressMs);
  try {
    const { ecosystem, manifestFile } = ecosystemOf(values);
    const stagingTtlMs = numberFlag('staging-ttl-hours', values['staging-ttl-hours'], DEFAULT_STAGING_TTL_MS / 3_600_000, 0, true) * 3_600_000;
    const graceMs = numberFlag('grace-minutes', values['grace-minutes'], DEFAULT_GRACE_MS / 60_000, 0) * 60_000;
    const pace = paceOf(values);
    const github = new GitHubAccess(values, context.env, pace);
    const backends = openStorage(values, context.env, resources).map((b) => countedStorage(b, progress));
    const source = openSource(values, github, false);
    const { registry } = await openRegistry(values, github, resources, ecosystem);
    const report = await reconcile({ registry, backends, ...(source ? { source: source.source } : {}), log: cliLog(context.io) }, {
      now: () => new Date(), stagingTtlMs, graceMs, paceMs: pace, dryRun: values['dry-run'] ?? false,
      run: { id: runId(context.env), attempt: 1 }, manifestFile, ecosystem,
    });
    progress.stop();
    const clean = report.needsHuman.length === 0;
    if (values.json) printJson(context.io, { command: 'reconcile', status: clean ? 'clean' : 'needs-person', report });
    else context.io.out(`${renderRepairReport(report)}\n`);
    return clean ? EXIT.done : EXIT.needsPerson;
  } finally {
    progress.stop();
    resources.close();
  }
}
