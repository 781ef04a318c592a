// The Registry port on GitHub: reads the head and a package's metadata in one GraphQL snapshot, and commits by compare-and-swap (createCommitOnBranch).
import type { Readable } from 'node:stream';
import { RegistrarError, conflict, notFound, transient } from '../../errors.js';
import type { PackageMetadata } from '../../core/types.js';
import type { Ecosystem } from '../../core/ecosystem.js';
import { metadataPath, parseMetadata } from '../../core/metadata.js';
import type { FileChange, Registry, RegistryCommit, RegistryContents, Snapshot } from '../../ports.js';
import { queryClient, type GitHubClient } from './client.js';
import { downloadTarball } from './download.js';
import { gitHubError } from '../errors.js';
import { DEFAULT_ARCHIVE_LIMITS, readRegistryArchive, type RegistryArchiveLimits } from './registry-archive.js';

export interface GitHubRegistryConfig {
  owner: string;
  repo: string;
  branch: string;
  /** Web base for links people open, e.g. https://github.com. */
  serverUrl: string;
  /** Caps on the tarball packagesAt reads (default DEFAULT_ARCHIVE_LIMITS). */
  archiveLimits?: RegistryArchiveLimits;
  /** The registry's ecosystem: how names map to metadata paths (default: the default preset). */
  ecosystem?: Ecosystem;
}

const CREATE_COMMIT = /* GraphQL */ `
  mutation RegistrarCommit($input: CreateCommitOnBranchInput!) {
    createCommitOnBranch(input: $input) { commit { oid url } }
  }`;

/** What the registry needs of a commit: its SHA and the metadata file in its tree (null when there is none). */
const COMMIT_WITH_FILE = /* GraphQL */ `
  fragment RegistrarCommitWithFile on Commit {
    oid
    file(path: $path) { type oid object { __typename ... on Blob { byteSize isTruncated text } } }
  }`;

const SNAPSHOT = /* GraphQL */ `
  query RegistrarSnapshot($owner: String!, $name: String!, $qualifiedName: String!, $path: String!) {
    repository(owner: $owner, name: $name) {
      ref(qualifiedName: $qualifiedName) { target { __typename ...RegistrarCommitWithFile } }
    }
  }
  ${COMMIT_WITH_FILE}`;

const AT_COMMIT = /* GraphQL */ `
  query RegistrarAtCommit($owner: String!, $name: String!, $oid: GitObjectID!, $path: String!) {
    repository(owner: $owner, name: $name) {
      object(oid: $oid) { __typename ...RegistrarCommitWithFile }
    }
  }
  ${COMMIT_WITH_FILE}`;

interface CommitWithFile {
  __typename: string;
  oid: string;
  file?: { type: string; oid: string; object: { __typename: string; byteSize?: number; isTruncated?: boolean; text?: string | null } | null } | null;
}

export class GitHubRegistry implements Registry {
  constructor(private readonly client: GitHubClient, private readonly config: GitHubRegistryConfig) {}

  private get repoName() {
    return `${this.config.owner}/${this.config.repo}`;
  }

  async head(): Promise<string> {
    try {
      const { data } = await this.client.rest.git.getRef({
        owner: this.config.owner, repo: this.config.repo, ref: `heads/${this.config.branch}`,
      });
      return data.object.sha;
    } catch (error) {
      throw gitHubError(error, `read the head of branch ${this.config.branch} of the registry ${this.repoName}`);
    }
  }

  /**
   * Rule 1 in one request: the commit the branch points to and the package's file in that very commit's
   * tree. Absence is what that tree says (no entry at the path), never an inference from an error.
   */
  async snapshot(name: string): Promise<Snapshot> {
    const path = metadataPath(name, this.config.ecosystem);
    const what = `read the head of ${this.config.branch} and ${path} from the registry ${this.repoName}`;
    let answer: { repository: { ref: { target: CommitWithFile | null } | null } };
    try {
      answer = await queryClient(this.client).graphql(SNAPSHOT, {
        owner: this.config.owner, name: this.config.repo, qualifiedName: `refs/heads/${this.config.branch}`, path,
      });
    } catch (error) {
      throw gitHubError(error, what);
    }
    const ref = answer.repository.ref;
    if (ref === null) {
      throw notFound(`The registry ${this.repoName} has no branch ${this.config.branch}.`, 'Check the `registry-branch` input.');
    }
    const target = ref.target;
    if (target === null || target.__typename !== 'Commit' || typeof target.oid !== 'string') {
      throw transient(`GitHub answered without a commit for ${this.config.branch} when Registrar tried to ${what}.`);
    }
    return { head: target.oid, metadata: await this.metadataIn(target, name, path) };
  }

  /** The package's metadata as of commit `at`: by SHA, with absence proven by that commit's tree (rule 11). */
  async readPackage(name: string, at: string): Promise<PackageMetadata | undefined> {
    const path = metadataPath(name, this.config.ecosystem);
    const what = `read ${path} at ${at.slice(0, 12)} from the registry ${this.repoName}`;
    let answer: { repository: { object: CommitWithFile | null } };
    try {
      answer = await queryClient(this.client).graphql(AT_COMMIT, { owner: this.config.owner, name: this.config.repo, oid: at, path });
    } catch (error) {
      throw gitHubError(error, what);
    }
    const commit = answer.repository.object;
    // A replica that has not seen the commit yet answers "no such object": that is lag, not absence.
    if (commit === null || commit.__typename !== 'Commit') {
      throw new RegistrarError('transient', `GitHub did not know the registry commit ${at.slice(0, 12)} when Registrar tried to ${what} (a lagging replica).`,
        'Comment `/retry` on the issue to try again.', { reason: 'missing' });
    }
    return this.metadataIn(commit, name, path);
  }

  private async metadataIn(commit: CommitWithFile, name: string, path: string): Promise<PackageMetadata | undefined> {
    const file = commit.file;
    if (file === null || file === undefined) return undefined;
    if (file.type !== 'blob' || file.object?.__typename !== 'Blob') {
      throw conflict(`The registry path ${path} at ${commit.oid.slice(0, 12)} is a ${file.type}, not a file.`);
    }
    const blob = file.object;
    // GraphQL truncates the text of large blobs (and gives none for binary ones): read those whole by SHA.
    const text = blob.text !== null && blob.text !== undefined && !blob.isTruncated ? blob.text : await this.readBlob(file.oid, path);
    return parseMetadata(text, name, this.config.ecosystem);
  }

  /** A blob by SHA through the Git data API, which serves files of any size the registry can hold (up to 100 MB). */
  private async readBlob(sha: string, path: string): Promise<string> {
    try {
      const { data } = await this.client.rest.git.getBlob({ owner: this.config.owner, repo: this.config.repo, file_sha: sha });
      const bytes = Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8');
      if (typeof data.size === 'number' && data.size !== bytes.length) {
        throw transient(`GitHub sent ${bytes.length} of the ${data.size} bytes of ${path} (blob ${sha.slice(0, 12)}).`);
      }
      return bytes.toString('utf8');
    } catch (error) {
      const failure = gitHubError(error, `read ${path} (blob ${sha.slice(0, 12)}) from the registry ${this.repoName}`);
      // The tree named this blob, so a 404 can only be a replica that has not caught up.
      throw failure.kind === 'not-found' ? new RegistrarError('transient', failure.message, failure.hint, { cause: error, reason: 'missing' }) : failure;
    }
  }

  async commit(changes: FileChange[], message: string, expectedHead: string): Promise<RegistryCommit> {
    const [headline = '', ...rest] = message.split('\n');
    const body = rest.join('\n').replace(/^\n+/, '');
    const input = {
      branch: { repositoryNameWithOwner: this.repoName, branchName: this.config.branch },
      expectedHeadOid: expectedHead,
      message: body ? { headline, body } : { headline },
      fileChanges: {
        additions: changes.filter((c) => c.content !== null)
          .map((c) => ({ path: c.path, contents: Buffer.from(c.content as string, 'utf8').toString('base64') })),
        deletions: changes.filter((c) => c.content === null).map((c) => ({ path: c.path })),
      },
    };
    try {
      const result = await this.client.graphql<{ createCommitOnBranch: { commit: { oid: string; url: string } } }>(
        CREATE_COMMIT, { input });
      const { oid, url } = result.createCommitOnBranch.commit;
      return { sha: oid, url };
    } catch (error) {
      const failure = gitHubError(error, `commit to the registry ${this.repoName}`);
      if (failure.kind === 'conflict' && failure.reason === 'stale') {
        throw new RegistrarError('conflict', `The registry branch ${this.config.branch} moved away from ${expectedHead.slice(0, 12)}.`,
          undefined, { cause: error, reason: 'stale' });
      }
      throw failure;
    }
  }

  /**
   * The whole registry at one commit in two requests, whatever its size: the tarball of that exact SHA (the API
   * answers with a redirect to the download host), parsed as it streams. The Git trees and blobs API would take
   * one request per file; GraphQL, one per hundred or so files at best.
   */
  async packagesAt(at: string): Promise<RegistryContents> {
    if (!/^[0-9a-f]{40}$/.test(at)) throw new TypeError(`expected a 40-hex commit SHA, got ${JSON.stringify(at.slice(0, 80))}`);
    const what = `read every package of the registry ${this.repoName} at ${at.slice(0, 12)}`;
    let archive: Readable;
    try {
      archive = await downloadTarball(this.client, this.config.owner, this.config.repo, at);
    } catch (error) {
      const failure = gitHubError(error, what);
      // Rule 11: the head was just read from this repository, so "no such commit" is a replica that has not caught up.
      if (failure.kind === 'not-found') {
        throw new RegistrarError('transient', `GitHub did not know the registry commit ${at.slice(0, 12)} when Registrar tried to ${what} (a lagging replica).`,
          'Run reconcile again in a minute.', { cause: error, reason: 'missing' });
      }
      throw failure;
    }
    return readRegistryArchive(archive, at, what, this.config.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS, this.config.ecosystem);
  }

  async commitMessage(sha: string): Promise<string> {
    try {
      const { data } = await this.client.rest.git.getCommit({ owner: this.config.owner, repo: this.config.repo, commit_sha: sha });
      return data.message;
    } catch (error) {
      throw gitHubError(error, `read commit ${sha.slice(0, 12)} of the registry ${this.repoName}`);
    }
  }

  commitUrl(sha: string): string {
    return `${this.config.serverUrl.replace(/\/+$/, '')}/${this.repoName}/commit/${sha}`;
  }
}
