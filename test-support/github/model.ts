// The emulator's in-memory world: users, repositories (each backed by a bare git repository), issues, teams.
import type { GitRepo } from './git.js';

export type UserType = 'User' | 'Bot' | 'Organization';

export interface User {
  id: number;
  login: string;
  type: UserType;
}

export type ReactionContent = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

export interface Reaction {
  id: number;
  content: ReactionContent;
  user: User;
  created_at: string;
}

export interface Comment {
  id: number;
  issueNumber: number;
  body: string;
  user: User;
  created_at: string;
  updated_at: string;
  reactions: Reaction[];
}

export interface Issue {
  id: number;
  number: number;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'reopened' | 'not_planned' | 'duplicate' | null;
  title: string;
  body: string | null;
  user: User;
  labels: string[];
  comments: Comment[];
  reactions: Reaction[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by: User | null;
}

export interface Repository {
  id: number;
  owner: User;
  name: string;
  defaultBranch: string;
  /** `private` in GitHub's answers is true for private and internal repositories alike. */
  private: boolean;
  visibility: Visibility;
  git: GitRepo;
  issues: Issue[];
  /** Label name → id, so a label keeps its id across requests. */
  labelIds: Map<string, number>;
  /** Label name → the colour and description it was created with (labels made by adding them to an issue have none). */
  labelDetails: Map<string, { color: string; description: string | null }>;
  created_at: string;
  /** Moves with every ref update, as GitHub's `pushed_at` does. */
  pushed_at: string;
}

export type Visibility = 'public' | 'private' | 'internal';

export type TeamRole = 'member' | 'maintainer';
export type TeamMembershipState = 'active' | 'pending';

/** One team of an organisation, addressed by its slug. */
export interface Team {
  id: number;
  org: User;
  slug: string;
  /** User id → membership: a membership belongs to the account, so it follows a renamed login. */
  members: Map<number, { user: User; role: TeamRole; state: TeamMembershipState }>;
}

/** GitHub's timestamps: UTC, whole seconds. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A node id in GitHub's legacy format (base64 of "<len>:<Type><id>"); clients treat it as opaque. */
export function nodeId(type: string, id: number | string): string {
  const text = `${type}${id}`;
  return Buffer.from(`${String(type.length).padStart(2, '0')}:${text}`).toString('base64');
}

/** Where GitHub sends a bot's or user's commits from. */
export function noreplyEmail(user: User): string {
  return `${user.id}+${user.login}@users.noreply.github.com`;
}
