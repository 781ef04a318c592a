// Who is a trustee: a configured list of numeric user ids and/or members of a GitHub team; any doubt means no.
import type { Actor } from '../../core/types.js';
import type { GitHubClient } from './client.js';
import { gitHubStatus } from '../errors.js';

export interface TrusteeCheck {
  trustee: boolean;
  /** How it was decided, for the log: a failed check must be told apart from a clear no. */
  why: string;
}

export interface TrusteeTeam {
  org: string;
  slug: string;
  /** A client whose token can read the org's team memberships (the workflow's GITHUB_TOKEN cannot). */
  client: GitHubClient;
}

export class Trustees {
  constructor(private readonly ids: readonly number[], private readonly team: TrusteeTeam | undefined) {}

  async check(actor: Actor): Promise<TrusteeCheck> {
    if (this.ids.includes(actor.id)) return { trustee: true, why: `user id ${actor.id} is in trustee-ids` };
    if (!this.team) return { trustee: false, why: `user id ${actor.id} is not in trustee-ids and no trustee team is configured` };
    const { org, slug, client } = this.team;
    try {
      const { data } = await client.rest.teams.getMembershipForUserInOrg({ org, team_slug: slug, username: actor.login });
      return data.state === 'active'
        ? { trustee: true, why: `@${actor.login} is an active member of ${org}/${slug}` }
        : { trustee: false, why: `@${actor.login}'s membership of ${org}/${slug} is ${data.state}, not active` };
    } catch (error) {
      const status = gitHubStatus(error);
      if (status === 404) return { trustee: false, why: `@${actor.login} is not a member of ${org}/${slug} (or the team token cannot see the team)` };
      return { trustee: false, why: `the team check for @${actor.login} failed (${status ?? 'no answer'}): treated as not a trustee` };
    }
  }
}
