// The action's entry point: read settings once, turn the event into a command, run its pipeline, report.
import { readFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { readSettings, type Settings } from './inputs.js';
import { intake } from './commands/intake.js';
import { createGitHubClient } from './adapters/github/client.js';
import { GitHubRegistry } from './adapters/github/registry.js';
import { GitHubSource } from './adapters/github/source.js';
import { GitHubTracker } from './adapters/github/tracker.js';
import { createS3Storage } from './adapters/s3.js';
import { publish, type PublishOutcome } from './pipeline/publish.js';
import { actionLog, neutralise } from './log.js';
import { RegistrarError } from './errors.js';

async function main(): Promise<void> {
  const settings = readSettings((name) => core.getInput(name), process.env);
  protectSecrets(settings);
  const payload: unknown = JSON.parse(await readFile(settings.event.path, 'utf8'));
  const command = intake(settings.event.name, payload);
  if (command.kind === 'ignore') {
    core.info(`Nothing to do: ${neutralise(command.why)}.`);
    return;
  }

  const client = createGitHubClient({ token: settings.token, baseUrl: settings.apiUrl, paceMs: settings.paceMs });
  const deps = {
    registry: new GitHubRegistry(client, { ...settings.registry, serverUrl: settings.serverUrl }),
    source: new GitHubSource(client),
    tracker: new GitHubTracker(client, settings.tracker),
    backends: settings.backends.map(createS3Storage),
    log: actionLog,
  };
  const outcome = await core.group(`Publish from issue #${command.issue}`, () => publish(deps, {
    manifestFile: settings.manifestFile, limits: settings.limits, run: settings.run, now: () => new Date(),
  }, command));
  await finish(outcome);
}

function protectSecrets(settings: Settings): void {
  core.setSecret(settings.token);
  for (const backend of settings.backends) {
    if (backend.credentials) {
      core.setSecret(backend.credentials.secretAccessKey);
      if (backend.credentials.sessionToken) core.setSecret(backend.credentials.sessionToken);
    }
  }
}

async function finish(outcome: PublishOutcome): Promise<void> {
  if (outcome.request) {
    core.setOutput('name', outcome.request.name);
    core.setOutput('version', outcome.request.version);
  }
  core.setOutput('status', outcome.status);
  if (outcome.status === 'published') {
    core.setOutput('sha256', outcome.entry.sha256);
    if (outcome.commit) core.setOutput('registry-commit', outcome.commit.sha);
  }
  if (process.env.GITHUB_STEP_SUMMARY) {
    const subject = outcome.request ? `${outcome.request.name}@${outcome.request.version}` : 'request';
    await core.summary.addHeading(`Registrar: ${outcome.status} ${subject}`, 3)
      .addRaw(`Steps done: ${outcome.steps.join(', ') || 'none'}`, true).write();
  }
  if (outcome.status === 'refused') core.setFailed(`Refused: ${neutralise(outcome.message)}`);
  if (outcome.status === 'failed') core.setFailed(`Failed: ${neutralise(outcome.error.message)}`);
}

main().catch((error: unknown) => {
  const message = error instanceof RegistrarError
    ? `${error.message}${error.hint ? ` ${error.hint}` : ''}`
    : error instanceof Error ? error.stack ?? error.message : String(error);
  core.setFailed(neutralise(message));
});
