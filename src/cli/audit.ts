// `registrar audit`: a read-only check of invariants 1, 2 and 5 over the registry's whole history and every backend's objects.
import { audit } from '../pipeline/audit.js';
import { DEFAULT_STAGING_TTL_MS } from '../pipeline/reconcile.js';
import { renderAuditReport } from '../report/repair.js';
import {
  COMMON_OPTIONS, ECOSYSTEM_HELP, ECOSYSTEM_OPTIONS, EXIT_HELP, ecosystemOf, GitHubAccess, Resources, STORAGE_HELP, STORAGE_OPTIONS, UsageError, numberFlag, openRegistryToRead, openStorage,
  parseFlags,
} from './options.js';
import { countedHistory, countedStorage, Progress } from './progress.js';
import { EXIT, printJson, say, type CommandContext } from './output.js';

export const AUDIT_OPTIONS = {
  ...COMMON_OPTIONS, ...ECOSYSTEM_OPTIONS, ...STORAGE_OPTIONS,
  registry: { type: 'string' },
  'registry-repository': { type: 'string' },
  branch: { type: 'string' },
  'staging-ttl-hours': { type: 'string' },
} as const;

export const AUDIT_USAGE = `Usage: registrar audit --registry DIR [--branch NAME] (--storage DIR | --backends JSON)
                       [--staging-ttl-hours N] [--ecosystem NAME] [--json]

Checks, writing nothing: every version keeps its sha256 through the registry's whole history unless a rollback
record frees it (invariant 1); every final object matches a committed entry, read and hashed (2); no staging
object is left of a promoted version or older than the staging TTL (5).

  --registry DIR                 the registry as a local git repository with its whole history (a bare
                                 repository, or a clone with fetch-depth 0); audit reads history, so a
                                 repository on GitHub must be cloned first
  --branch NAME                  the registry branch (default main)
  --staging-ttl-hours N          staging objects older than this are garbage (default ${DEFAULT_STAGING_TTL_MS / 3_600_000})
  --json                         print one JSON object (the report) on stdout
${ECOSYSTEM_HELP}
${STORAGE_HELP}

${EXIT_HELP}`;

export async function runAudit(argv: string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, AUDIT_OPTIONS);
  if (values.help) return say(context.io, AUDIT_USAGE);
  if (positionals.length > 0) throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[0])}: audit takes only flags.`);
  if (values['registry-repository'] !== undefined) {
    throw new UsageError(`--registry-repository is ${JSON.stringify(values['registry-repository'])}, but audit walks the registry's history, `
      + 'so it needs --registry DIR: a clone with fetch-depth 0, or a bare repository.');
  }
  if (values.registry === undefined) throw new UsageError('audit needs --registry DIR: the registry as a local git repository with its history.');
  const { ecosystem } = ecosystemOf(values);
  const resources = new Resources();
  const progress = new Progress('audit', (line) => context.io.err(line), context.progressMs);
  try {
    const stagingTtlMs = numberFlag('staging-ttl-hours', values['staging-ttl-hours'], DEFAULT_STAGING_TTL_MS / 3_600_000, 0, true) * 3_600_000;
    const local = (await openRegistryToRead(values, new GitHubAccess({}, context.env, 0), resources, ecosystem))?.local;
    if (local === undefined) {
      throw new UsageError(`--registry is ${JSON.stringify(values.registry)}, which is missing or empty: there is no registry to audit there; expected its git repository.`);
    }
    const backends = openStorage(values, context.env, resources).map((b) => countedStorage(b, progress));
    const report = await audit({ history: countedHistory(local, progress), backends }, { now: () => new Date(), stagingTtlMs, ecosystem });
    progress.stop();
    const clean = report.violations.length === 0;
    if (values.json) printJson(context.io, { command: 'audit', status: clean ? 'clean' : 'violations', report });
    else context.io.out(`${renderAuditReport(report)}\n`);
    return clean ? EXIT.done : EXIT.needsPerson;
  } finally {
    progress.stop();
    resources.close();
  }
}
