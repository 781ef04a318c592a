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
  /** A client whose token can read the org's team members (the workflow's GITHUB_TOKEN cannot). */
  client: GitHubClient;
}

/** The team as one listing saw it: its members' numeric ids, or why the listing failed. */
type TeamListing = { ok: true; ids: ReadonlySet<number> } | { ok: false; status: number | undefined };

/**
 * One instance per run. The team is listed at most once (its members' ids, every page), the first time a
 * check needs it; that answer (or its failure) decides every later check of the run. People are matched
 * by numeric id: a login can be renamed, and a released login can be taken by someone else.
 */
export class Trustees {
  private listing: Promise<TeamListing> | undefined;

  constructor(private readonly ids: readonly number[], private readonly team: TrusteeTeam | undefined) {}

  async check(actor: Actor): Promise<TrusteeCheck> {
    if (this.ids.includes(actor.id)) return { trustee: true, why: `user id ${actor.id} is in trustee-ids` };
    if (!this.team) return { trustee: false, why: `user id ${actor.id} is not in trustee-ids and no trustee team is configured` };
    const { org, slug } = this.team;
    this.listing ??= this.listTeam(this.team);
    const listing = await this.listing;
    if (listing.ok) {
      return listing.ids.has(actor.id)
        ? { trustee: true, why: `@${actor.login} (user id ${actor.id}) is an active member of ${org}/${slug}` }
        : { trustee: false, why: `@${actor.login} (user id ${actor.id}) is not an active member of ${org}/${slug}` };
    }
    if (listing.status === 404) {
      return { trustee: false, why: `the team check for @${actor.login} failed (404: ${org}/${slug} does not exist or the team token cannot see it): treated as not a trustee` };
    }
    return { trustee: false, why: `the team check for @${actor.login} failed (${listing.status ?? 'no answer'}): treated as not a trustee` };
  }

  /**
   * GitHub lists active members only (pending invitations are not members), child teams' members included;
   * 404 when the team does not exist or the token may not see it.
   */
  private async listTeam({ org, slug, client }: TrusteeTeam): Promise<TeamListing> {
    try {
      const members = await client.paginate(client.rest.teams.listMembersInOrg, { org, team_slug: slug, per_page: 100 });
      return { ok: true, ids: new Set(members.map((member) => member.id)) };
    } catch (error) {
      return { ok: false, status: gitHubStatus(error) };
    }
  }
}
