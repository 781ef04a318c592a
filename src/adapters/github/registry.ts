// The Registry port on GitHub: reads metadata by commit SHA and commits by compare-and-swap (GraphQL createCommitOnBranch).
import { conflict } from '../../errors.js';
import type { PackageMetadata } from '../../core/types.js';
import { metadataPath, parseMetadata } from '../../core/metadata.js';
import type { FileChange, Registry, RegistryCommit } from '../../ports.js';
import { type GitHubClient, gitHubError, statusOf } from './client.js';

export interface GitHubRegistryConfig {
  owner: string;
  repo: string;
  branch: string;
  /** Web base for links people open, e.g. https://github.com. */
  serverUrl: string;
}

const CREATE_COMMIT = /* GraphQL */ `
  mutation RegistrarCommit($input: CreateCommitOnBranchInput!) {
    createCommitOnBranch(input: $input) { commit { oid url } }
  }`;

interface GraphQLFailure {
  errors?: { type?: string; message?: string }[];
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

  async readPackage(name: string, at: string): Promise<PackageMetadata | undefined> {
    const path = metadataPath(name);
    let content: string;
    try {
      const { data } = await this.client.rest.repos.getContent({
        owner: this.config.owner, repo: this.config.repo, path, ref: at,
      });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) {
        throw conflict(`The registry path ${path} at ${at} is not a file.`);
      }
      content = Buffer.from(data.content, 'base64').toString('utf8');
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw gitHubError(error, `read ${path} at ${at.slice(0, 12)} from the registry ${this.repoName}`);
    }
    return parseMetadata(content, name);
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
      const errors = (error as GraphQLFailure).errors;
      if (errors?.some((e) => e.type === 'STALE_DATA')) {
        throw conflict(`The registry branch ${this.config.branch} moved away from ${expectedHead.slice(0, 12)}.`);
      }
      throw gitHubError(error, `commit to the registry ${this.repoName}`);
    }
  }

  async listPackages(at: string): Promise<string[]> {
    const { owner, repo } = this.config;
    try {
      const names: string[] = [];
      // Walk metadata/ from the commit's root tree; a level whose recursive listing GitHub truncates is walked level by level.
      const walk = async (treeSha: string): Promise<void> => {
        const { data } = await this.client.rest.git.getTree({ owner, repo, tree_sha: treeSha, recursive: 'true' });
        if (!data.truncated) {
          for (const entry of data.tree) {
            const match = entry.type === 'blob' ? /(?:^|\/)([^/]+)\.json$/.exec(entry.path ?? '') : null;
            if (match?.[1]) names.push(match[1]);
          }
          return;
        }
        const { data: level } = await this.client.rest.git.getTree({ owner, repo, tree_sha: treeSha });
        for (const entry of level.tree) {
          if (entry.type === 'tree' && entry.sha) await walk(entry.sha);
          const match = entry.type === 'blob' ? /^([^/]+)\.json$/.exec(entry.path ?? '') : null;
          if (match?.[1]) names.push(match[1]);
        }
      };
      const { data: root } = await this.client.rest.git.getTree({ owner, repo, tree_sha: at });
      const metadata = root.tree.find((e) => e.path === 'metadata' && e.type === 'tree');
      if (metadata?.sha) await walk(metadata.sha);
      return names.sort();
    } catch (error) {
      throw gitHubError(error, `list the packages of the registry ${this.repoName} at ${at.slice(0, 12)}`);
    }
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
