// The RepairIssues port on GitHub: one labelled issue on the registry repository, found by label and Registrar's marker, rewritten each run, closed when nothing is left.
import { MARKER_PREFIX } from '../../core/markers.js';
import type { RepairIssues } from '../../ports.js';
import type { GitHubClient } from './client.js';
import { gitHubError, labelAlreadyExists } from '../errors.js';
import { fitComment } from './tracker.js';

export const REPAIR_LABEL = 'registrar/repair';

/** Leads the body of the repair issue: with the label and a bot author, how a later run knows the issue is its own. */
export const REPAIR_MARKER = `${MARKER_PREFIX}repair -->`;

/** A create whose answer was lost is looked for before it is sent again; this bounds the rounds. */
const CREATE_ROUNDS = 3;

export interface GitHubRepairIssuesConfig {
  owner: string;
  repo: string;
}

export class GitHubRepairIssues implements RepairIssues {
  constructor(private readonly client: GitHubClient, private readonly config: GitHubRepairIssuesConfig) {}

  async upsert(title: string, body: string): Promise<number> {
    const { owner, repo } = this.config;
    const text = fitComment(`${REPAIR_MARKER}\n${body.replaceAll(REPAIR_MARKER, '')}`);
    try {
      const [existing, ...duplicates] = await this.find();
      if (existing !== undefined) {
        await this.client.rest.issues.update({ owner, repo, issue_number: existing, title, body: text });
        await this.closeDuplicates(duplicates, existing);
        return existing;
      }
      await this.ensureLabel();
      for (let round = 1; ; round++) {
        try {
          // Opening an issue is not idempotent: the client must not repeat it blindly. We look first.
          const { data } = await this.client.rest.issues.create({
            owner, repo, title, body: text, labels: [REPAIR_LABEL], request: { retries: 0 },
          });
          return data.number;
        } catch (error) {
          const [landed] = await this.find();
          if (landed !== undefined) return landed;
          if (round >= CREATE_ROUNDS) throw error;
        }
      }
    } catch (error) {
      throw gitHubError(error, `open or update the repair issue on ${owner}/${repo}`);
    }
  }

  async resolve(body: string): Promise<number | undefined> {
    const { owner, repo } = this.config;
    try {
      const [existing, ...duplicates] = await this.find();
      if (existing === undefined) return undefined;
      // A lost answer here repeats nothing: the comment is sent once, and closing is idempotent.
      await this.client.rest.issues.createComment({ owner, repo, issue_number: existing, body: fitComment(body), request: { retries: 0 } });
      await this.client.rest.issues.update({ owner, repo, issue_number: existing, state: 'closed', state_reason: 'completed' });
      await this.closeDuplicates(duplicates, existing);
      return existing;
    } catch (error) {
      throw gitHubError(error, `close the repair issue on ${owner}/${repo}`);
    }
  }

  /** Two runs that raced to open the issue left two: the newer ones are closed, pointing to the one kept. */
  private async closeDuplicates(duplicates: number[], kept: number): Promise<void> {
    const { owner, repo } = this.config;
    for (const number of duplicates) {
      await this.client.rest.issues.update({ owner, repo, issue_number: number, state: 'closed', state_reason: 'not_planned',
        body: `${REPAIR_MARKER}\nA duplicate of #${kept}, which Registrar keeps up to date.` });
    }
  }

  /**
   * The open repair issues, oldest first: labelled, opened by a bot, carrying the marker. The oldest is the one
   * kept, so runs that raced to open one converge on it. Anyone with triage rights can label an issue, and anyone
   * can paste a marker, so neither alone is proof.
   */
  private async find(): Promise<number[]> {
    const { owner, repo } = this.config;
    const issues = await this.client.paginate(this.client.rest.issues.listForRepo, {
      owner, repo, labels: REPAIR_LABEL, state: 'open', per_page: 100,
    });
    return issues
      .filter((i) => !i.pull_request && i.user?.type === 'Bot' && (i.body ?? '').includes(REPAIR_MARKER))
      .map((i) => i.number)
      .sort((a, b) => a - b);
  }

  /** The label, created when missing (GitHub answers 422 `already_exists` when it is there). */
  private async ensureLabel(): Promise<void> {
    const { owner, repo } = this.config;
    try {
      await this.client.rest.issues.createLabel({ owner, repo, name: REPAIR_LABEL, color: 'd93f0b',
        description: 'Registrar: reconcile found something that needs a person' });
    } catch (error) {
      if (!labelAlreadyExists(error)) throw error;
    }
  }
}
