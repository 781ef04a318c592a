// The Source port on GitHub: repository identity, tag resolution and the source archive at a commit.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { notFound, refused } from '../../errors.js';
import type { Source, SourceRepository } from '../../ports.js';
import type { GitHubClient } from './client.js';
import { gitHubError, gitHubStatus } from '../errors.js';

/** Annotated tags may point at other tags; GitHub allows chains, a registry needs only a few. */
const MAX_TAG_DEPTH = 4;

export class GitHubSource implements Source {
  constructor(private readonly client: GitHubClient) {}

  async repository(owner: string, repo: string): Promise<SourceRepository> {
    try {
      const { data } = await this.client.rest.repos.get({ owner, repo });
      return { id: data.id, owner: data.owner.login, repo: data.name };
    } catch (error) {
      if (gitHubStatus(error) === 404) {
        throw notFound(`The source repository ${owner}/${repo} does not exist or is not public.`,
          'Check `location.githubOwner` and `location.githubRepo` in the request.');
      }
      throw gitHubError(error, `read the source repository ${owner}/${repo}`);
    }
  }

  async resolveTag(owner: string, repo: string, tag: string): Promise<string> {
    let ref;
    try {
      ({ data: ref } = await this.client.rest.git.getRef({ owner, repo, ref: `tags/${tag}` }));
    } catch (error) {
      if (gitHubStatus(error) === 404) {
        throw notFound(`The tag \`${tag}\` does not exist in ${owner}/${repo}.`,
          'Push the tag to GitHub (`git push origin <tag>`), or correct `ref`, then comment a corrected request.');
      }
      throw gitHubError(error, `read the tag ${tag} of ${owner}/${repo}`);
    }
    let object = ref.object;
    for (let depth = 0; object.type === 'tag'; depth++) {
      if (depth >= MAX_TAG_DEPTH) throw refused(`The tag \`${tag}\` is a chain of more than ${MAX_TAG_DEPTH} tags.`);
      try {
        ({ data: { object } } = await this.client.rest.git.getTag({ owner, repo, tag_sha: object.sha }));
      } catch (error) {
        throw gitHubError(error, `read the annotated tag ${tag} of ${owner}/${repo}`);
      }
    }
    if (object.type !== 'commit') {
      throw refused(`The tag \`${tag}\` points to a ${object.type}, not a commit.`, 'Tag a commit and request that tag.');
    }
    return object.sha;
  }

  async archive(owner: string, repo: string, commit: string): Promise<Readable> {
    try {
      // GitHub answers with a redirect to a download host; fetch follows it and drops the token on the way.
      const response = await this.client.request('GET /repos/{owner}/{repo}/tarball/{ref}', {
        owner, repo, ref: commit, request: { parseSuccessResponseBody: false },
      });
      const body = response.data as unknown as WebReadableStream<Uint8Array> | null;
      if (!body) throw notFound(`GitHub sent no archive for ${owner}/${repo} at ${commit}.`);
      return Readable.fromWeb(body);
    } catch (error) {
      throw gitHubError(error, `download the source archive of ${owner}/${repo} at ${commit.slice(0, 12)}`);
    }
  }
}
