// The action's run(): read settings once, act on the event (or run the scheduled repair job), and report to the workflow; it never exits the process.
import { readFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { credentialsOf, readSettings, type Settings } from './inputs.js';
import { registerSecret } from './secrets.js';
import { createDeps, handleEvent, type RunResult } from './event.js';
import { createGitHubClient } from './adapters/github/client.js';
import { GitHubRepairIssues } from './adapters/github/repair-issue.js';
import { GitRegistry } from './adapters/local/git-registry.js';
import { audit } from './pipeline/audit.js';
import { reconcile } from './pipeline/reconcile.js';
import { renderAuditReport, renderRepairReport } from './report/repair.js';
import { renderRepairIssue, renderRepairResolved, repairIssueTitle } from './report/repair-issue.js';
import type { RepairReport } from './core/outcomes.js';
import { actionLog, forLog, neutralise } from './log.js';
import { RegistrarError, refused } from './errors.js';

/**
 * The entry GitHub's runner (through dist/index.js) and `@github/local-action` both call. Every failure ends
 * in `core.setFailed` with what went wrong and what to do next; the process exits on its own when the work is done.
 */
export async function run(): Promise<void> {
  try {
    const settings = readSettings((name) => core.getInput(name), process.env);
    protectSecrets(settings);
    if (settings.mode !== 'event' || !settings.event) return await repair(settings);
    const { name } = settings.event;
    const payload = await readEvent(settings.event.path);
    const result = await core.group(`Registrar: ${name}`,
      () => handleEvent(settings, name, payload, { log: actionLog, now: () => new Date() }));
    await finish(result);
  } catch (error) {
    core.setFailed(forLog(describeFailure(error)));
  }
}

/** A RegistrarError says what and what next; anything else is a bug, whose stack is what a maintainer needs. */
function describeFailure(error: unknown): string {
  if (error instanceof RegistrarError) return `${error.message}${error.hint ? ` ${error.hint}` : ''}`;
  return error instanceof Error ? error.stack ?? error.message : String(error);
}

/** Before anything can print them: every credential masked in the runner's log and known to the scrubber. */
function protectSecrets(settings: Settings): void {
  for (const credential of credentialsOf(settings)) registerSecret(credential);
}

const EVENT_HINT = 'Run Registrar from a workflow triggered by `issues` or `issue_comment`, or set GITHUB_EVENT_PATH to an event '
  + 'payload file (for `npx local-action`, see .env.example); the scheduled modes (`mode: reconcile`, `mode: audit`) need none.';

/**
 * The event payload the runner wrote. Every way the file can be wrong is a refusal that names the path and
 * the remedy: a person debugging locally, not a stack trace, is who meets these.
 */
export async function readEvent(path: string): Promise<unknown> {
  const where = `GITHUB_EVENT_PATH points to ${JSON.stringify(path)}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw refused(`${where}, which does not exist.`, EVENT_HINT);
    if (code === 'EISDIR') throw refused(`${where}, which is a directory, not an event payload file.`, EVENT_HINT);
    throw refused(`${where}, which cannot be read (${code ?? (error as Error).message}).`, EVENT_HINT);
  }
  if (text.trim() === '') throw refused(`${where}, which is empty.`, EVENT_HINT);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw refused(`${where}, which is not JSON (${(error as Error).message}).`, EVENT_HINT);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw refused(`${where}, which holds JSON but no event payload (a JSON object).`, EVENT_HINT);
  }
  return payload;
}

async function finish(result: RunResult): Promise<void> {
  if (result.kind === 'ignored') {
    core.info(`Nothing to do: ${forLog(result.why)}.`);
    core.setOutput('status', 'ignored');
    return;
  }
  if (result.kind === 'denied') {
    core.info(`@${neutralise(result.actor.login)} (id ${result.actor.id}) may not run this command on issue #${result.issue} `
      + `(${neutralise(result.why)}); told them so.`);
    core.setOutput('status', 'denied');
    return;
  }
  if (result.kind === 'answered') {
    core.info(`Answered ${result.command === 'unknown' ? 'an unknown command' : `/${result.command}`} on issue #${result.issue}.`);
    core.setOutput('status', 'answered');
    return;
  }
  if (result.kind === 'dry-run') {
    const { outcome } = result;
    // A dry run that planned did its job, whatever the plan: the plan is the answer.
    core.setOutput('status', outcome.status === 'planned' ? `dry-run-${outcome.plan}` : outcome.status);
    if (outcome.status === 'planned') core.setOutput('sha256', outcome.tarball.sha256);
    if (outcome.status === 'refused') core.setFailed(`Refused: ${forLog(outcome.message)}`);
    if (outcome.status === 'failed') core.setFailed(`Failed: ${forLog(outcome.error.message)}`);
    return;
  }
  if (result.kind === 'rollback') {
    const { outcome } = result;
    core.setOutput('status', outcome.status);
    core.setOutput('name', outcome.name);
    core.setOutput('version', outcome.version);
    await summary(`${outcome.status} ${outcome.name}@${outcome.version}`, outcome.steps);
    if (outcome.status === 'refused') core.setFailed(`Refused: ${forLog(outcome.message)}`);
    if (outcome.status === 'failed') core.setFailed(`Failed: ${forLog(outcome.error.message)}`);
    return;
  }
  const { outcome } = result;
  if (outcome.request) {
    core.setOutput('name', outcome.request.name);
    core.setOutput('version', outcome.request.version);
  }
  core.setOutput('status', outcome.status);
  if (outcome.status === 'published') {
    core.setOutput('sha256', outcome.entry.sha256);
    if (outcome.commit) core.setOutput('registry-commit', outcome.commit.sha);
  }
  await summary(`${outcome.status} ${outcome.request ? `${outcome.request.name}@${outcome.request.version}` : 'request'}`, outcome.steps);
  if (outcome.status === 'refused') core.setFailed(`Refused: ${forLog(outcome.message)}`);
  if (outcome.status === 'failed') core.setFailed(`Failed: ${forLog(outcome.error.message)}`);
}

/** The scheduled jobs: reconcile repairs what crashed runs left; audit only looks. Both report to the job summary. */
async function repair(settings: Settings): Promise<void> {
  const deps = createDeps(settings, actionLog);
  if (settings.mode === 'audit') {
    const history = new GitRegistry({ path: settings.registryPath ?? '.', branch: settings.registry.branch, ecosystem: settings.ecosystem });
    try {
      const report = await core.group('Registrar: audit', () => audit({ history, backends: deps.backends },
        { now: () => new Date(), stagingTtlMs: settings.stagingTtlMs, ecosystem: settings.ecosystem }));
      await writeSummary(renderAuditReport(report));
      core.setOutput('status', report.violations.length === 0 ? 'clean' : 'violations');
      if (report.violations.length > 0) core.setFailed(`Audit found ${report.violations.length} violation(s); see the job summary.`);
    } finally {
      history.close();
    }
    return;
  }
  const report = await core.group('Registrar: reconcile', () => reconcile({ ...deps }, {
    now: () => new Date(), stagingTtlMs: settings.stagingTtlMs, graceMs: settings.graceMs, paceMs: settings.paceMs,
    manifestFile: settings.manifestFile, ecosystem: settings.ecosystem, limits: settings.limits, run: settings.run,
  }));
  await writeSummary(renderRepairReport(report));
  core.setOutput('status', report.needsHuman.length === 0 ? 'clean' : 'needs-human');
  // After the summary: a failure to write the issue must not cost the maintainer the report itself, and it fails
  // the job even when the registry is clean (a repair issue left open would claim work that is done).
  let issue: number | undefined;
  let issueFailure: unknown;
  try {
    issue = await syncRepairIssue(settings, report);
  } catch (error) {
    issueFailure = error;
  }
  if (report.needsHuman.length > 0) {
    core.setFailed(`Reconcile left ${report.needsHuman.length} item(s) for a person; see the job summary${issue ? ` and issue #${issue}` : ''}.`);
  }
  if (issueFailure !== undefined) {
    core.setFailed(forLog(`Could not ${report.needsHuman.length > 0 ? 'open or update' : 'close'} the repair issue on `
      + `${settings.registry.owner}/${settings.registry.repo}: ${issueFailure instanceof Error ? issueFailure.message : String(issueFailure)} `
      + 'The report is in this job\'s summary. The job\'s token needs `issues: write` on the registry repository; the next reconcile run writes the issue again.'));
  }
}

/**
 * Opens, updates or closes the one repair issue on the registry repository, so what needs a person reaches
 * people who never read job summaries. Returns the issue's number while it is open.
 */
async function syncRepairIssue(settings: Settings, report: RepairReport): Promise<number | undefined> {
  const client = createGitHubClient({ token: settings.token, baseUrl: settings.apiUrl, paceMs: settings.paceMs });
  const issues = new GitHubRepairIssues(client, { owner: settings.registry.owner, repo: settings.registry.repo });
  const context = {
    registry: `${settings.registry.owner}/${settings.registry.repo}`,
    runUrl: settings.run.id === 'local' ? undefined
      : `${settings.serverUrl}/${settings.tracker.owner}/${settings.tracker.repo}/actions/runs/${settings.run.id}`,
  };
  if (report.needsHuman.length > 0) {
    const number = await issues.upsert(repairIssueTitle(report), renderRepairIssue(report, context));
    core.info(`Repair issue #${number} lists what needs a person.`);
    return number;
  }
  const closed = await issues.resolve(renderRepairResolved(report, context));
  if (closed !== undefined) core.info(`Repair issue #${closed} closed: nothing needs a person any more.`);
  return undefined;
}

async function writeSummary(markdown: string): Promise<void> {
  core.info(neutralise(markdown));
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();
}

/** The job summary, where the runner provides one (writing it elsewhere throws). */
async function summary(title: string, steps: readonly string[]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addHeading(`Registrar: ${neutralise(title)}`, 3).addRaw(`Steps done: ${steps.join(', ') || 'none'}`, true).write();
}
