// Decides what a publish does, given the request, the built tarball and the metadata read at one registry commit: commit fresh, resume to promote, or refuse with nothing written.
import type { Ecosystem } from './ecosystem.js';
import { addPublished, pendingRollback } from './metadata.js';
import { quote } from './names.js';
import type { PackageMetadata, PublishRequest, PublishedVersion } from './types.js';

export type PublishPlan =
  /** Nothing of this version is committed: commit `metadata` (the file's new content), then promote. */
  | { kind: 'fresh'; metadata: PackageMetadata; entry: PublishedVersion }
  /**
   * This issue already committed this version: skip to promote. `rebuildFrom`: the tag now gives other
   * bytes, so promote needs the tarball rebuilt from this commit (and must refuse if it hashes otherwise).
   */
  | { kind: 'resume'; entry: PublishedVersion; rebuildFrom?: string }
  /**
   * Nothing may be written; `reason` says what is wrong, `hint` what the author can do. `final`: no
   * retry or corrected request in this issue can succeed for this version (the issue may be closed).
   */
  | { kind: 'refuse'; reason: string; hint: string; final: boolean };

export interface PlanPublishArgs {
  request: PublishRequest;
  /**
   * The issue this publish comes from: only the issue that committed a version may resume it. Undefined: a publish
   * from the CLI, which resumes only what the CLI committed (an operator's repeated command converges).
   */
  issue: number | undefined;
  /** The numeric id of the source repository, as the GitHub API reports it now. */
  repositoryId: number;
  /** The canonical tarball: `sha256` in SRI form, its size, and the commit the tag resolved to. */
  built: { sha256: string; bytes: number; commit: string };
  /** The package's metadata at the registry commit this plan is made at (undefined: never published). */
  current: PackageMetadata | undefined;
  /** The time to record as `publishedTime` (ISO 8601); the caller's clock, so the plan stays pure. */
  now: string;
  /**
   * When the event that started this run happened (ISO 8601). A version rolled back after that
   * moment is never republished by it: the trustee saw something this request did not.
   */
  triggeredAt?: string;
  /** The registry's ecosystem, for saying why another spelling of the name is the same package (crates). */
  ecosystem?: Ecosystem;
}

export function planPublish(args: PlanPublishArgs): PublishPlan {
  const { request, issue, repositoryId, built, current, now, triggeredAt } = args;
  const { name, version } = request;
  const id = quote(`${name}@${version}`);

  if (current !== undefined && current.name !== name) {
    // The file at this name's path belongs to another spelling of it: the ecosystem holds the two to be one package.
    const rule = args.ecosystem?.sameNameRule;
    return {
      kind: 'refuse',
      final: true,
      reason: `The name ${quote(name)} is taken: the registry already holds the package ${quote(current.name)}${rule ? `, and ${rule}` : ''}.`,
      hint: `Publish under ${current.name} if it is your package (from its bound repository), or choose a name that differs by more than case${rule?.includes('"_"') ? ' or "-" and "_"' : ''}.`,
    };
  }

  if (current !== undefined && current.location.repositoryId !== repositoryId) {
    // Bound by id, not by name: forks, look-alikes and a deleted and re-created owner/repo all have other ids.
    const bound = current.location;
    return {
      kind: 'refuse',
      final: false,
      reason: `${quote(name)} is published from repository id ${bound.repositoryId} (${quote(`${bound.githubOwner}/${bound.githubRepo}`)}); requests from other repositories are refused.`,
      hint: `Publish ${name} from ${bound.githubOwner}/${bound.githubRepo}, or choose another package name. If that repository was deleted and re-created, ask a registry trustee.`,
    };
  }

  if (current !== undefined) {
    const pending = pendingRollback(current, version);
    if (pending !== undefined) {
      return {
        kind: 'refuse',
        final: false,
        reason: `${id} was rolled back by ${pending.by.login} at ${pending.at} and the rollback is still in progress.`,
        hint: 'Wait until the rollback has finished cleaning storage; then comment /retry, or (better) tag and request a new version.',
      };
    }

    const existing = Object.hasOwn(current.published, version) ? current.published[version] : undefined;
    if (existing !== undefined) {
      if (existing.issue !== issue) {
        // Even identical bytes: only the issue that committed a version owns it (resuming is a write).
        return {
          kind: 'refuse',
          final: true,
          reason: `${id} is already published (${existing.issue === undefined ? 'from the command line' : `issue #${existing.issue}`}).`,
          hint: 'Versions are immutable: to publish changes, tag and request a new version.',
        };
      }
      // Our own commit: finish it. If the tag has moved since, the bytes must come from the commit the
      // metadata records (tags move; commits don't), so the caller rebuilds from there.
      return existing.sha256 === built.sha256
        ? { kind: 'resume', entry: existing }
        : { kind: 'resume', entry: existing, rebuildFrom: existing.commit };
    }

    // Rule 8: a rollback holds. Bytes a trustee took down never come back for this package, whoever asks
    // (while the tag exists it would rebuild exactly them). The canonical tarball's top directory names the
    // version, so in practice only the same version number can produce them; the rule does not rely on it.
    const blocked = current.rolledBack.find((r) => r.sha256 === built.sha256);
    if (blocked !== undefined) {
      return {
        kind: 'refuse',
        final: true,
        reason: `These bytes (${quote(blocked.sha256)}) are those of ${quote(`${name}@${blocked.version}`)}, which ${blocked.by.login} rolled back at ${blocked.at}; `
          + `rolled-back bytes can never be published again for ${quote(name)}.`,
        hint: 'Read the rollback reason on the registry. To publish again, change the package, tag a new version, and open a new publish issue.',
      };
    }

    if (triggeredAt !== undefined) {
      const eventTime = Date.parse(triggeredAt);
      if (Number.isNaN(eventTime)) throw new TypeError(`triggeredAt is not a time: ${JSON.stringify(triggeredAt)}`);
      const later = current.rolledBack.find((r) => r.version === version && Date.parse(r.at) > eventTime);
      if (later !== undefined) {
        return {
          kind: 'refuse',
          final: true,
          reason: `${id} was rolled back by ${later.by.login} at ${later.at}, after this request was made.`,
          hint: 'If the version should be published again, open a new publish issue after reading the rollback reason.',
        };
      }
    }
  }

  const entry: PublishedVersion = {
    sha256: built.sha256,
    bytes: built.bytes,
    ref: request.ref,
    commit: built.commit,
    ...(request.location.subdir ? { subdir: request.location.subdir } : {}),
    publishedTime: now,
    ...(issue === undefined ? {} : { issue }),
  };
  return { kind: 'fresh', metadata: addPublished(current, { request, repositoryId, entry }), entry };
}
