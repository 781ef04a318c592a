// Composes the one Octokit client Registrar uses: REST + GraphQL with the retry and throttling plugins.
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';

const RegistrarOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof RegistrarOctokit>;

export interface GitHubClientOptions {
  token: string;
  /** REST base URL (the runner's GITHUB_API_URL); GraphQL goes to `<baseUrl>/graphql`. */
  baseUrl: string;
  /**
   * The one pacing setting: the minimum gap between two writes and the unit of retry back-off.
   * GitHub asks integrations to keep writes about one second apart to avoid secondary rate
   * limits, so production keeps 1000 ms; tests turn it down to a few ms with the same plugins.
   */
  paceMs: number;
  userAgent?: string;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const pace = Math.max(0, options.paceMs);
  const client = build(options, pace);
  let reader: GitHubClient | undefined;
  readers.set(client, () => (reader ??= build(options, 0)));
  return client;
}

/**
 * The client for GraphQL queries. The throttling plugin paces every GraphQL request like a write, because it
 * cannot tell a query from a mutation; GitHub asks for the pause between writes only. Queries therefore go
 * through a sibling client whose write pace is zero — same token, same retry and rate-limit handling — and
 * mutations stay on the paced one.
 */
export function queryClient(client: GitHubClient): GitHubClient {
  return readers.get(client)?.() ?? client;
}

const readers = new WeakMap<GitHubClient, () => GitHubClient>();

function build(options: GitHubClientOptions, writePace: number): GitHubClient {
  const pace = Math.max(0, options.paceMs);
  return new RegistrarOctokit({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: options.userAgent ?? 'registrar',
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    retry: {
      // 4xx answers are decisions, not accidents: repeating them cannot help.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
      retries: 3,
      retryAfterBaseValue: pace,
    },
    throttle: {
      // Fresh groups per client, so the pace applies to this client and not to process-wide defaults.
      // Writes that notify people (comments) keep the plugin's own ratio: three paces apart.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: writePace }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 3 * writePace }),
      retryAfterBaseValue: pace,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: (_after: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 2,
      onSecondaryRateLimit: (_after: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 2,
    },
  });
}
