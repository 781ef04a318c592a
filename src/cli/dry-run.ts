// `registrar dry-run`: what a publish would do — prepare (tag, canonical tarball, hash, manifest) and the plan at the registry head — writing nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { quote } from '../core/names.js';
import { planPublish } from '../core/plan.js';
import { buildCanonicalTarball } from '../core/tarball.js';
import { RegistrarError, judgesTheRequest, refused, transient } from '../errors.js';
import {
  COMMON_OPTIONS, ECOSYSTEM_HELP, ECOSYSTEM_OPTIONS, EXIT_HELP, ecosystemOf, GitHubAccess, REGISTRY_HELP, REGISTRY_OPTIONS, Resources, SOURCE_HELP, SOURCE_OPTIONS,
  nameAtVersion, openRegistryToRead, openSource, paceOf, parseFlags,
} from './options.js';
import { countedSource, Progress } from './progress.js';
import { EXIT, errorJson, printJson, say, type CommandContext } from './output.js';
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
  const scratch = await mkdtemp(join(tmpdir(), 'registrar-dry-run-'));
  const json = values.json ?? false;
  try {
    const target = nameAtVersion(positionals, 'dry-run');
    const { ecosystem } = ecosystemOf(values);
    const github = new GitHubAccess(values, context.env, paceOf(values));
    const located = openSource(values, github, true)!;
    const request = requestFromFlags(target, values.ref, values.subdir, located, ecosystem);
    const registry = (await openRegistryToRead(values, github, resources, ecosystem))?.registry;
    const source = countedSource(located.source, progress);
    try {
      // prepare, as the publish pipeline does it: identity, tag, canonical tarball, manifest
      const repository = await source.repository(located.owner, located.repo);
      const commit = await source.resolveTag(located.owner, located.repo, request.ref);
      const tarball = await buildCanonicalTarball(await source.archive(located.owner, located.repo, commit), {
        name: request.name, version: request.version, manifestFiles: ecosystem.manifestFiles, limits: DEFAULT_LIMITS, workDir: scratch,
        topDirectory: ecosystem.topDirectory(request.name, request.version),
        ...(request.location.subdir ? { subdir: request.location.subdir } : {}),
      });
      progress.stop();
      const manifest = ecosystem.checkManifest(tarball.manifests, { name: request.name, version: request.version, ref: request.ref });
      if (!manifest.ok) {
        throw refused(`The package's ${quote(manifest.file)} at ${quote(request.ref)} does not match the request: ${manifest.problems.join(' ')}`,
          `Fix ${manifest.file}, tag a new version, and try again.`);
      }
      // No registry yet (a missing or empty directory): nothing is published, and a dry run starts none.
      const { head, metadata } = registry ? await registry.snapshot(request.name) : { head: undefined, metadata: undefined };
      const plan = planPublish({ request, issue: undefined, repositoryId: repository.id, current: metadata,
        built: { sha256: tarball.integrity, bytes: tarball.size, commit }, now: new Date().toISOString(), ecosystem });
      const result = {
        command: 'dry-run', status: plan.kind === 'refuse' ? 'refused' : plan.kind === 'resume' ? 'would-resume' : 'would-publish',
        name: request.name, version: request.version, ref: request.ref, commit, sha256: tarball.integrity, bytes: tarball.size,
        files: tarball.files, registryHead: head ?? null,
        ...(plan.kind === 'refuse' ? { message: plan.reason, hint: plan.hint } : {}),
      };
      if (json) printJson(context.io, result);
      else {
        const verdict = plan.kind === 'refuse' ? `would be refused: ${plan.reason} ${plan.hint}`
          : plan.kind === 'resume' ? 'is already committed from the command line; publish would finish promoting it'
            : `would be published (${head === undefined ? 'as the registry\'s first package' : `registry head ${head.slice(0, 12)}`})`;
        context.io.out(`${request.name}@${request.version} ${verdict}\n`
          + `  tarball: ${request.name}-${request.version}.tar.gz, ${tarball.size} bytes, ${tarball.integrity}\n`
          + `  source: ${located.owner}/${located.repo} at ${request.ref} (${commit})\n  ${tarball.files.length} files:\n`
          + tarball.files.map((f) => `    ${f}\n`).join('') + 'Nothing was written.\n');
      }
      return plan.kind === 'refuse' ? EXIT.refused : EXIT.done;
    } catch (error) {
      const failure = error instanceof RegistrarError ? error : transient(`Unexpected failure: ${String(error)}`, error);
      const refusal = judgesTheRequest(failure);
      if (json) printJson(context.io, { command: 'dry-run', status: refusal ? 'refused' : 'failed', name: request.name, version: request.version, error: errorJson(failure) });
      else context.io.out(`${request.name}@${request.version} ${refusal ? 'would be refused' : 'could not be prepared'}: ${failure.message}${failure.hint ? ` ${failure.hint}` : ''}\nNothing was written.\n`);
      return refusal ? EXIT.refused : EXIT.failed;
    }
  } finally {
    progress.stop();
    resources.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
