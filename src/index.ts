// The action's entry point: read settings once, run the event's command, and report to the workflow.
import { readFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { credentialsOf, readSettings, type Settings } from './inputs.js';
import { registerSecret } from './secrets.js';
import { createDeps, handleEvent, type RunResult } from './event.js';
import { GitRegistry } from './adapters/local/git-registry.js';
import { audit } from './pipeline/audit.js';
import { reconcile } from './pipeline/reconcile.js';
import { renderAuditReport, renderRepairReport } from './report/repair.js';
import { actionLog, forLog, neutralise } from './log.js';
import { RegistrarError } from './errors.js';

async function main(): Promise<void> {
  const settings = readSettings((name) => core.getInput(name), process.env);
  protectSecrets(settings);
  if (settings.mode !== 'event') return repair(settings);
  const payload: unknown = JSON.parse(await readFile(settings.event.path, 'utf8'));
  const result = await core.group(`Registrar: ${settings.event.name}`,
    () => handleEvent(settings, settings.event.name, payload, { log: actionLog, now: () => new Date() }));
  await finish(result);
}

/** Before anything can print them: every credential masked in the runner's log and known to the scrubber. */
function protectSecrets(settings: Settings): void {
  for (const credential of credentialsOf(settings)) registerSecret(credential);
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
    const history = new GitRegistry({ path: settings.registryPath ?? '.', branch: settings.registry.branch });
    try {
      const report = await core.group('Registrar: audit', () => audit({ history, backends: deps.backends },
        { now: () => new Date(), stagingTtlMs: settings.stagingTtlMs }));
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
    manifestFile: settings.manifestFile, limits: settings.limits, run: settings.run,
  }));
  await writeSummary(renderRepairReport(report));
  core.setOutput('status', report.needsHuman.length === 0 ? 'clean' : 'needs-human');
  if (report.needsHuman.length > 0) core.setFailed(`Reconcile left ${report.needsHuman.length} item(s) for a person; see the job summary.`);
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

main().catch((error: unknown) => {
  const message = error instanceof RegistrarError
    ? `${error.message}${error.hint ? ` ${error.hint}` : ''}`
    : error instanceof Error ? error.stack ?? error.message : String(error);
  core.setFailed(forLog(message));
});
