// The Tracker port on GitHub issues: status comments found again by their hidden marker, reactions, state labels, closing.
import type { Tracker, TrackerComment, TrackerLabel } from '../../ports.js';
import type { GitHubClient } from './client.js';
import { gitHubError, labelAlreadyExists } from '../errors.js';

export interface GitHubTrackerConfig {
  owner: string;
  repo: string;
}

/** A create whose answer was lost is looked for before it is sent again; this bounds the rounds. */
const CREATE_ROUNDS = 3;

/** GitHub refuses comment bodies over 65,536 characters (422), counted as code points. */
export const COMMENT_LIMIT = 65_536;
const CUT_NOTE = '\n\n… (cut to fit GitHub\'s comment limit; the whole text is in the workflow run\'s log)';

/**
 * A comment GitHub will take: a body over the limit is cut (never inside a character) with a note, so an
 * overlong report still reaches the author instead of failing with a 422 and leaving them with nothing.
 */
export function fitComment(body: string): string {
  const chars = [...body];
  if (chars.length <= COMMENT_LIMIT) return body;
  return chars.slice(0, COMMENT_LIMIT - [...CUT_NOTE].length).join('') + CUT_NOTE;
}

export class GitHubTracker implements Tracker {
  constructor(private readonly client: GitHubClient, private readonly config: GitHubTrackerConfig) {}

  async comments(issue: number): Promise<TrackerComment[]> {
    const { owner, repo } = this.config;
    try {
      const comments = await this.client.paginate(this.client.rest.issues.listComments, {
        owner, repo, issue_number: issue, per_page: 100,
      });
      return comments.map((c) => ({
        id: c.id,
        body: c.body ?? '',
        author: { id: c.user?.id ?? 0, login: c.user?.login ?? 'ghost', bot: c.user?.type === 'Bot' },
        createdAt: c.created_at,
      }));
    } catch (error) {
      throw gitHubError(error, `read the comments of issue #${issue}`);
    }
  }

  async upsertComment(issue: number, marker: string, body: string, knownId?: number | null): Promise<number> {
    const { owner, repo } = this.config;
    // The marker leads, so a cut body still carries it and the comment is found again.
    const text = fitComment(body.startsWith(marker) ? body : `${marker}\n${body.replace(marker, '')}`);
    try {
      const existing = knownId === undefined ? await this.findComment(issue, marker) : knownId;
      if (existing !== null && existing !== undefined) {
        await this.client.rest.issues.updateComment({ owner, repo, comment_id: existing, body: text });
        return existing;
      }
      for (let round = 1; ; round++) {
        try {
          // Creating a comment is not idempotent: the client must not repeat it blindly. We look first.
          const { data } = await this.client.rest.issues.createComment({
            owner, repo, issue_number: issue, body: text, request: { retries: 0 },
          });
          return data.id;
        } catch (error) {
          const landed = await this.findComment(issue, marker);
          if (landed !== undefined) return landed;
          if (round >= CREATE_ROUNDS) throw error;
        }
      }
    } catch (error) {
      throw gitHubError(error, `write the status comment on issue #${issue}`);
    }
  }

  /** Our own comment carrying the marker. Only bots' comments count: anyone can paste a marker. */
  async findComment(issue: number, marker: string): Promise<number | undefined> {
    return (await this.comments(issue)).find((c) => c.author.bot && c.body.includes(marker))?.id;
  }

  async close(issue: number, reason: 'completed' | 'not_planned'): Promise<void> {
    const { owner, repo } = this.config;
    try {
      await this.client.rest.issues.update({ owner, repo, issue_number: issue, state: 'closed', state_reason: reason });
    } catch (error) {
      throw gitHubError(error, `close issue #${issue}`);
    }
  }

  async react(issue: number, commentId: number | undefined, content: '+1' | '-1' | 'eyes' | 'rocket' | 'confused'): Promise<void> {
    const { owner, repo } = this.config;
    try {
      if (commentId === undefined) {
        await this.client.rest.reactions.createForIssue({ owner, repo, issue_number: issue, content });
      } else {
        await this.client.rest.reactions.createForIssueComment({ owner, repo, comment_id: commentId, content });
      }
    } catch (error) {
      throw gitHubError(error, `react on issue #${issue}`);
    }
  }

  async labels(issue: number): Promise<string[]> {
    const { owner, repo } = this.config;
    try {
      const labels = await this.client.paginate(this.client.rest.issues.listLabelsOnIssue, { owner, repo, issue_number: issue, per_page: 100 });
      return labels.map((l) => l.name);
    } catch (error) {
      throw gitHubError(error, `read the labels of issue #${issue}`);
    }
  }

  async addLabel(issue: number, label: TrackerLabel): Promise<void> {
    const { owner, repo } = this.config;
    try {
      // Created first so it carries Registrar's colour and description (adding a missing label would create a bare one).
      await this.client.rest.issues.createLabel({ owner, repo, name: label.name, color: label.color, description: label.description });
    } catch (error) {
      // 422 "already_exists": the label is there (made by an earlier run, or by a maintainer who chose its colour): use it.
      if (!labelAlreadyExists(error)) throw gitHubError(error, `create the label ${JSON.stringify(label.name)}`);
    }
    try {
      await this.client.rest.issues.addLabels({ owner, repo, issue_number: issue, labels: [label.name] });
    } catch (error) {
      throw gitHubError(error, `label issue #${issue}`);
    }
  }

  async removeLabel(issue: number, name: string): Promise<void> {
    const { owner, repo } = this.config;
    try {
      await this.client.rest.issues.removeLabel({ owner, repo, issue_number: issue, name });
    } catch (error) {
      // 404 "Label does not exist": not on the issue, which is what was wanted.
      if ((error as { status?: unknown }).status === 404) return;
      throw gitHubError(error, `take a label off issue #${issue}`);
    }
  }
}
