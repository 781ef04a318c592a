// The Source port on GitHub: repository identity, tag resolution and the source archive at a commit.
import { quote } from '../../core/names.js';
import { Readable } from 'node:stream';
import { notFound, refused } from '../../errors.js';
import type { Source, SourceRepository } from '../../ports.js';
import type { GitHubClient } from './client.js';
import { downloadTarball } from './download.js';
import { gitHubError, gitHubStatus } from '../errors.js';

/** Annotated tags may point at other tags; GitHub allows chains, a registry needs only a few. */
const MAX_TAG_DEPTH = 4;

export interface GitHubSourceOptions {
  /**
   * Rule 12: private and internal repositories are refused unless the registry's maintainer opts in
   * (the `allow-private-sources` input). Default false.
   */
  allowPrivate?: boolean;
}

/**
 * Rule 12 is decided here, where GitHub's answer is read: the pipeline only ever sees a repository it may
 * read, and a private one fails on the very code path of a missing one, so the two cannot differ in kind,
 * message or hint, nor in what is read next (nothing: the pipeline reads tags and archives only after this).
 */
export class GitHubSource implements Source {
  private readonly allowPrivate: boolean;

  constructor(private readonly client: GitHubClient, options: GitHubSourceOptions = {}) {
    this.allowPrivate = options.allowPrivate ?? false;
  }

  async repository(owner: string, repo: string): Promise<SourceRepository> {
    let data;
    try {
      ({ data } = await this.client.rest.repos.get({ owner, repo }));
    } catch (error) {
      if (gitHubStatus(error) === 404) throw missing(owner, repo);
      throw gitHubError(error, `read the source repository ${owner}/${repo}`);
    }
    const visibility = visibilityOf(data);
    // Named as the request named it (not as GitHub answered), so the message is the missing repository's to the byte.
    if (visibility !== 'public' && !this.allowPrivate) throw missing(owner, repo);
    return { id: data.id, owner: data.owner.login, repo: data.name, visibility };
  }

  async resolveTag(owner: string, repo: string, tag: string): Promise<string> {
    let ref;
    try {
      ({ data: ref } = await this.client.rest.git.getRef({ owner, repo, ref: `tags/${tag}` }));
    } catch (error) {
      if (gitHubStatus(error) === 404) {
        throw notFound(`The tag ${quote(tag)} does not exist in ${quote(`${owner}/${repo}`)}.`,
          'Push the tag to GitHub (`git push origin <tag>`), or correct `ref`, then comment a corrected request.');
      }
      throw gitHubError(error, `read the tag ${quote(tag)} of ${owner}/${repo}`);
    }
    let object = ref.object;
    for (let depth = 0; object.type === 'tag'; depth++) {
      if (depth >= MAX_TAG_DEPTH) throw refused(`The tag ${quote(tag)} is a chain of more than ${MAX_TAG_DEPTH} tags.`);
      try {
        ({ data: { object } } = await this.client.rest.git.getTag({ owner, repo, tag_sha: object.sha }));
      } catch (error) {
        throw gitHubError(error, `read the annotated tag ${quote(tag)} of ${owner}/${repo}`);
      }
    }
    if (object.type !== 'commit') {
      throw refused(`The tag ${quote(tag)} points to a ${object.type}, not a commit.`, 'Tag a commit and request that tag.');
    }
    return object.sha;
  }

  async archive(owner: string, repo: string, commit: string): Promise<Readable> {
    try {
      return await downloadTarball(this.client, owner, repo, commit);
    } catch (error) {
      throw gitHubError(error, `download the source archive of ${owner}/${repo} at ${commit.slice(0, 12)}`);
    }
  }

}

/** The one refusal for a repository that does not exist and for one the registry may not publish from. */
function missing(owner: string, repo: string) {
  return notFound(`The source repository ${owner}/${repo} does not exist or is not public.`,
    'Check `location.githubOwner` and `location.githubRepo` in the request.');
}

/**
 * GitHub's `visibility` (public, private, internal) when the answer has it; else `private` decides. Internal
 * repositories answer `private: true`; anything unexpected counts as not public.
 */
function visibilityOf(data: { private: boolean; visibility?: string }): SourceRepository['visibility'] {
  if (data.visibility === 'internal' || data.visibility === 'private') return data.visibility;
  if (data.private !== false) return 'private';
  return data.visibility === undefined || data.visibility === 'public' ? 'public' : 'private';
}
