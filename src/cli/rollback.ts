// `registrar rollback`: the trustee's rollback from a terminal — the removal committed with its record, storage cleaned hash-checked, `cleaned: true` committed.
import { execFile } from 'node:child_process';
import type { RollbackOutcome } from '../core/outcomes.js';
import { rollback } from '../pipeline/rollback.js';
import { renderRollback } from '../report/rollback.js';
import {
  COMMON_OPTIONS, ECOSYSTEM_HELP, ECOSYSTEM_OPTIONS, EXIT_HELP, ecosystemOf, GitHubAccess, REGISTRY_HELP, REGISTRY_OPTIONS, Resources, STORAGE_HELP, STORAGE_OPTIONS, UsageError,
  nameAtVersion, openRegistry, openStorage, paceOf, parseFlags,
} from './options.js';
import { EXIT, cliLog, errorJson, printJson, runId, say, type CommandContext } from './output.js';

export const ROLLBACK_OPTIONS = {
  ...COMMON_OPTIONS, ...ECOSYSTEM_OPTIONS, ...REGISTRY_OPTIONS, ...STORAGE_OPTIONS,
  reason: { type: 'string' },
  by: { type: 'string' },
} as const;

export const ROLLBACK_USAGE = `Usage: registrar rollback (--registry DIR | --registry-repository OWNER/REPO) (--storage DIR | --backends JSON)
                          --reason TEXT [--by NAME] [--ecosystem NAME] [--json] <name>@<version>

Rolls a published version back: commits its removal with a record of who, when, why and its sha256, deletes its
tarball (only if it holds exactly that hash) and staging objects in every backend, then commits the record as
cleaned. The rolled-back bytes can never be published again for the package. Running it again finishes a rollback
that stopped half-way.

  <name>@<version>               the version to roll back, e.g. left-pad@1.2.0 (split at the last "@": with
                                 --ecosystem npm, @acme/left-pad@2.0.0-canary.1)
  --reason TEXT                  why (kept in the registry's record)
  --by NAME                      who, as the record names them (default: git's user.name, else $USER)
  --json                         print one JSON object (the outcome) on stdout
${ECOSYSTEM_HELP}
${REGISTRY_HELP}
${STORAGE_HELP}

${EXIT_HELP}`;

export async function runRollback(argv: string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, ROLLBACK_OPTIONS);
  if (values.help) return say(context.io, ROLLBACK_USAGE);
  const resources = new Resources();
  try {
    const { name, version } = nameAtVersion(positionals, 'rollback');
    const { ecosystem } = ecosystemOf(values);
    const reason = values.reason?.trim() ?? '';
    if (reason === '') throw new UsageError(`--reason is ${JSON.stringify(values.reason ?? '')}; expected why the version must go, like --reason "leaks a token".`);
    if (reason.length > 1000) throw new UsageError(`--reason is ${reason.length} characters long; expected at most 1000.`);
    const by = values.by ?? await gitUser(values.registry) ?? context.env.USER;
    if (by === undefined || by.trim() === '' || by.length > 100 || /[\u0000-\u001f\u007f]/.test(by)) {
      throw new UsageError(`--by is ${JSON.stringify(by ?? '')}; expected a name of 1 to 100 printable characters (git's user.name is used when it is set).`);
    }
    const pace = paceOf(values);
    const github = new GitHubAccess(values, context.env, pace);
    const backends = openStorage(values, context.env, resources);
    const { registry } = await openRegistry(values, github, resources, ecosystem);
    const now = new Date();
    const outcome = await rollback({ registry, backends, log: cliLog(context.io) }, { run: { id: runId(context.env), attempt: 1 }, now: () => new Date(), paceMs: pace, ecosystem },
      { issue: undefined, name, version, reason, actor: { login: by.trim() }, commentId: undefined, at: now.toISOString() });
    return report(context, values.json ?? false, outcome);
  } finally {
    resources.close();
  }
}

function report(context: CommandContext, json: boolean, outcome: RollbackOutcome): number {
  const code = outcome.status === 'refused' ? EXIT.refused : outcome.status === 'failed' ? EXIT.failed : EXIT.done;
  if (json) {
    const { status, name, version, steps } = outcome;
    printJson(context.io, {
      command: 'rollback', status, name, version, steps,
      ...(outcome.status === 'rolled-back' ? { sha256: outcome.sha256, deleted: outcome.deleted, already: outcome.already } : {}),
      ...(outcome.status === 'cleaned-leftovers' ? { deleted: outcome.deleted } : {}),
      ...(outcome.status === 'refused' ? { message: outcome.message, hint: outcome.hint ?? null } : {}),
      ...(outcome.status === 'failed' ? { error: errorJson(outcome.error), removalInDoubt: outcome.removalInDoubt ?? false } : {}),
    });
    return code;
  }
  // The trustee's comment, as the terminal shows it: the same words, the next step in the CLI's terms.
  context.io.out(`${renderRollback(outcome).replace(/Comment `\/rollback` again/g, 'Run the same `registrar rollback` again')}\n`);
  return code;
}

/** The name git would put on a commit made in the registry repository (or here), if git has one. */
function gitUser(dir: string | undefined): Promise<string | undefined> {
  return new Promise((resolve) => execFile('git', [...(dir ? ['-C', dir] : []), 'config', 'user.name'], { encoding: 'utf8' },
    (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined)));
}
