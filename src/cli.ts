#!/usr/bin/env node
// The terminal entry point, `registrar <command>`: the action's pipelines over GitHub and S3, or over a local git registry, a storage directory and a local source.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { forTerminal } from './adapters/local/terminal-text.js';
import { AUDIT_USAGE, runAudit } from './cli/audit.js';
import { DRY_RUN_USAGE, runDryRun } from './cli/dry-run.js';
import { EXIT_HELP, UsageError, type CliIo } from './cli/options.js';
import { EXIT, type CommandContext } from './cli/output.js';
import { PUBLISH_USAGE, runPublish } from './cli/publish.js';
import { RECONCILE_USAGE, runReconcile } from './cli/reconcile.js';
import { ROLLBACK_USAGE, runRollback } from './cli/rollback.js';
import { RegistrarError } from './errors.js';

export type { CliIo } from './cli/options.js';

/** The command table: each command's one-line summary, its own usage, and how it runs. */
const COMMANDS = {
  publish: { summary: 'publish a version from a git tag (stage, commit, promote)', usage: PUBLISH_USAGE, run: runPublish },
  'dry-run': { summary: 'show what publish would do, writing nothing', usage: DRY_RUN_USAGE, run: runDryRun },
  rollback: { summary: 'roll a published version back (a trustee\'s job)', usage: ROLLBACK_USAGE, run: runRollback },
  reconcile: { summary: 'repair what interrupted runs left in storage', usage: RECONCILE_USAGE, run: runReconcile },
  audit: { summary: 'check the registry\'s invariants over its history and storage', usage: AUDIT_USAGE, run: runAudit },
} as const;
type CommandName = keyof typeof COMMANDS;

export const USAGE = `Usage: registrar <command> [flags]

Runs a package registry's publish pipeline from a terminal: on GitHub and S3, or with no cloud at all on a local
git repository (the registry), a directory (the storage) and a local git repository (the source).

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n')}

Run \`registrar <command> --help\` for a command's flags.

Example, with no cloud:
  registrar publish --registry ./registry --storage ./storage --source ./left-pad --ref v1.2.0 left-pad@1.2.0
  registrar audit --registry ./registry --storage ./storage
  registrar rollback --registry ./registry --storage ./storage left-pad@1.2.0 --reason "leaks a token"

${EXIT_HELP}`;

export interface CliOptions {
  /** How often progress lines appear on long work (default 2 s). */
  progressMs?: number;
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo, options: CliOptions = {}): Promise<number> {
  // Everything shown on the terminal is made safe for it; JSON output is already pure ASCII.
  const safe: CliIo = { out: (t) => io.out(forTerminal(t)), err: (t) => io.err(forTerminal(t)) };
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === undefined) {
      safe.err(`registrar: no command given: expected one of ${Object.keys(COMMANDS).join(', ')}.\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    safe.out(`${USAGE}\n`);
    return EXIT.done;
  }
  if (!Object.hasOwn(COMMANDS, first)) {
    safe.err(`registrar: unknown command ${JSON.stringify(first)}: expected one of ${Object.keys(COMMANDS).join(', ')}.\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const name = first as CommandName;
  const command = COMMANDS[name];
  const context: CommandContext = { io: safe, env, progressMs: options.progressMs ?? 2000 };
  try {
    return await command.run(rest, context);
  } catch (error) {
    if (error instanceof UsageError) {
      safe.err(`registrar ${name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    const text = error instanceof RegistrarError ? `${error.message}${error.hint ? ` ${error.hint}` : ''}` : String((error as Error)?.stack ?? error);
    safe.err(`registrar ${name} failed: ${text}\n`);
    return EXIT.failed;
  }
}

/** True when this module is the program node was asked to run (not when a test imports it). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const progressSeconds = Number(process.env.REGISTRAR_PROGRESS_SECONDS);
  runCli(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
    Number.isFinite(progressSeconds) && progressSeconds > 0 ? { progressMs: progressSeconds * 1000 } : {})
    .then((code) => { process.exitCode = code; }, (error: unknown) => {
      process.stderr.write(`registrar: ${forTerminal(String((error as Error)?.stack ?? error))}\n`);
      process.exitCode = EXIT.failed;
    });
}
