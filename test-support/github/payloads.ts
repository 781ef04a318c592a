// Shapes the emulator's state into the JSON bodies GitHub sends, with every property GitHub includes.
import type { Comment, Issue, Reaction, Repository, Team, TeamMembershipState, TeamRole, User } from './model.js';
import { nodeId } from './model.js';
import type { ParsedCommit, ParsedTag, TreeEntry } from './git.js';

/** The emulator serves both the API and the "web" links people would open, on its own address. */
export interface Urls {
  api: string;
  html: string;
}

const UNSIGNED = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function userJson(urls: Urls, user: User) {
  const login = encodeURIComponent(user.login);
  const api = `${urls.api}/users/${login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(user.type === 'Bot' ? 'Bot' : user.type, user.id),
    avatar_url: `${urls.html}/_avatars/${user.id}`,
    gravatar_id: '',
    url: api,
    html_url: user.type === 'Bot' ? `${urls.html}/apps/${login.replace(/%5Bbot%5D$/, '')}` : `${urls.html}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

export function repoApi(urls: Urls, repo: Repository): string {
  return `${urls.api}/repos/${repo.owner.login}/${repo.name}`;
}

export function repoHtml(urls: Urls, repo: Repository): string {
  return `${urls.html}/${repo.owner.login}/${repo.name}`;
}

export function repositoryJson(urls: Urls, repo: Repository) {
  const pushedAt = repo.pushed_at;
  const api = repoApi(urls, repo);
  const html = repoHtml(urls, repo);
  const open = repo.issues.filter((i) => i.state === 'open').length;
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: `${repo.owner.login}/${repo.name}`,
    owner: userJson(urls, repo.owner),
    private: repo.private,
    html_url: html,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `${html.replace(/^https?:/, 'git:')}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${new URL(urls.html).host}:${repo.owner.login}/${repo.name}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: open,
    open_issues: open,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.visibility,
    pushed_at: pushedAt,
    created_at: repo.created_at,
    updated_at: pushedAt,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_rebase_merge: true,
    temp_clone_token: null,
    allow_squash_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    allow_merge_commit: true,
    allow_forking: true,
    web_commit_signoff_required: false,
    subscribers_count: 0,
    network_count: 0,
    license: null,
  };
}

export function gitRefJson(urls: Urls, repo: Repository, ref: string, object: { type: string; sha: string }) {
  const api = repoApi(urls, repo);
  return {
    ref,
    node_id: nodeId('Ref', `${repo.id}:${ref}`),
    url: `${api}/git/${ref}`,
    object: { sha: object.sha, type: object.type, url: `${api}/git/${object.type === 'tag' ? 'tags' : 'commits'}/${object.sha}` },
  };
}

export function gitTagJson(urls: Urls, repo: Repository, sha: string, tag: ParsedTag) {
  const api = repoApi(urls, repo);
  return {
    node_id: nodeId('Tag', `${repo.id}:${sha}`),
    sha,
    url: `${api}/git/tags/${sha}`,
    tag: tag.tag,
    message: tag.message,
    tagger: { name: tag.tagger.name, email: tag.tagger.email, date: iso(tag.tagger.date) },
    object: {
      sha: tag.object,
      type: tag.type,
      url: `${api}/git/${tag.type === 'tag' ? 'tags' : tag.type === 'tree' ? 'trees' : tag.type === 'blob' ? 'blobs' : 'commits'}/${tag.object}`,
    },
    verification: UNSIGNED,
  };
}

export function gitCommitJson(urls: Urls, repo: Repository, sha: string, commit: ParsedCommit) {
  const api = repoApi(urls, repo);
  const html = repoHtml(urls, repo);
  const person = (p: ParsedCommit['author']) => ({ name: p.name, email: p.email, date: iso(p.date) });
  return {
    sha,
    node_id: nodeId('Commit', `${repo.id}:${sha}`),
    url: `${api}/git/commits/${sha}`,
    html_url: `${html}/commit/${sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    // GitHub shows the message without git's closing newline.
    message: commit.message.replace(/\n$/, ''),
    parents: commit.parents.map((p) => ({ sha: p, url: `${api}/git/commits/${p}`, html_url: `${html}/commit/${p}` })),
    verification: UNSIGNED,
  };
}

/** A git tree listing; `entries` carry full paths (recursive listings) and sizes for blobs. */
export function gitTreeJson(
  urls: Urls,
  repo: Repository,
  sha: string,
  entries: Array<TreeEntry & { path: string; size: number | undefined }>,
  truncated: boolean,
) {
  const api = repoApi(urls, repo);
  return {
    sha,
    url: `${api}/git/trees/${sha}`,
    tree: entries.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.type === 'blob' ? { size: entry.size ?? 0 } : {}),
      // A submodule's commit lives in another repository: GitHub gives no API address for it.
      ...(entry.type === 'commit' ? {} : { url: `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}` }),
    })),
    truncated,
  };
}

/** An item of a team's member listing: the user, their role on the team, and whether it comes from a child team. */
export function teamMemberJson(urls: Urls, user: User, role: TeamRole) {
  return { ...userJson(urls, user), role, inherited: false };
}

export function teamMembershipJson(urls: Urls, team: Team, login: string, role: TeamRole, state: TeamMembershipState) {
  return { url: `${urls.api}/teams/${team.id}/memberships/${encodeURIComponent(login)}`, role, state };
}

/** A contents-API entry for a file, directory or symlink; `content` only for the requested file itself. */
export function contentJson(
  urls: Urls,
  repo: Repository,
  path: string,
  ref: string,
  commit: string,
  entry: TreeEntry,
  size: number,
  bytes?: Buffer,
) {
  const api = repoApi(urls, repo);
  const html = repoHtml(urls, repo);
  const name = path.split('/').pop() ?? path;
  const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const type = entry.type === 'tree' ? 'dir' : entry.type === 'commit' ? 'submodule' : entry.mode === '120000' ? 'symlink' : 'file';
  const gitUrl = `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`;
  const htmlUrl = `${html}/${entry.type === 'tree' ? 'tree' : 'blob'}/${ref}/${path}`;
  const base = {
    type,
    size: entry.type === 'tree' ? 0 : size,
    name,
    path,
    sha: entry.sha,
    url: self,
    git_url: gitUrl,
    html_url: htmlUrl,
    download_url: type === 'file' ? `${urls.html}/_raw/${repo.owner.login}/${repo.name}/${commit}/${path}` : null,
    _links: { self, git: gitUrl, html: htmlUrl },
  };
  if (bytes === undefined) return base;
  if (type === 'symlink') return { ...base, target: bytes.toString('utf8') };
  // GitHub wraps the base64 text at 60 characters, with a final newline.
  return { ...base, content: wrappedBase64(bytes), encoding: 'base64' };
}

function association(repo: Repository, user: User): string {
  return user.id === repo.owner.id ? 'OWNER' : 'NONE';
}

export function reactionsRollup(url: string, reactions: Reaction[]) {
  const count = (content: string) => reactions.filter((r) => r.content === content).length;
  return {
    url,
    total_count: reactions.length,
    '+1': count('+1'),
    '-1': count('-1'),
    laugh: count('laugh'),
    hooray: count('hooray'),
    confused: count('confused'),
    heart: count('heart'),
    rocket: count('rocket'),
    eyes: count('eyes'),
  };
}

export function labelJson(urls: Urls, repo: Repository, name: string) {
  const id = repo.labelIds.get(name) ?? 0;
  const details = repo.labelDetails.get(name);
  return {
    id,
    node_id: nodeId('Label', id),
    url: `${repoApi(urls, repo)}/labels/${encodeURIComponent(name)}`,
    name,
    color: details?.color ?? 'ededed',
    default: false,
    description: details?.description ?? null,
  };
}

export function issueJson(urls: Urls, repo: Repository, issue: Issue) {
  const api = `${repoApi(urls, repo)}/issues/${issue.number}`;
  return {
    url: api,
    repository_url: repoApi(urls, repo),
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${repoHtml(urls, repo)}/issues/${issue.number}`,
    id: issue.id,
    node_id: nodeId('Issue', issue.id),
    number: issue.number,
    title: issue.title,
    user: userJson(urls, issue.user),
    labels: issue.labels.map((name) => labelJson(urls, repo, name)),
    state: issue.state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: issue.comments.length,
    created_at: issue.created_at,
    updated_at: issue.updated_at,
    closed_at: issue.closed_at,
    author_association: association(repo, issue.user),
    type: null,
    active_lock_reason: null,
    sub_issues_summary: { total: 0, completed: 0, percent_completed: 0 },
    body: issue.body,
    closed_by: issue.closed_by ? userJson(urls, issue.closed_by) : null,
    reactions: reactionsRollup(`${api}/reactions`, issue.reactions),
    timeline_url: `${api}/timeline`,
    performed_via_github_app: null,
    state_reason: issue.state_reason,
  };
}

export function commentJson(urls: Urls, repo: Repository, comment: Comment) {
  const api = `${repoApi(urls, repo)}/issues/comments/${comment.id}`;
  return {
    url: api,
    html_url: `${repoHtml(urls, repo)}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${repoApi(urls, repo)}/issues/${comment.issueNumber}`,
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    user: userJson(urls, comment.user),
    created_at: comment.created_at,
    updated_at: comment.updated_at,
    author_association: association(repo, comment.user),
    body: comment.body,
    reactions: reactionsRollup(`${api}/reactions`, comment.reactions),
    performed_via_github_app: null,
    pin: null,
    minimized: null,
  };
}

export function reactionJson(urls: Urls, reaction: Reaction) {
  return {
    id: reaction.id,
    node_id: nodeId('Reaction', reaction.id),
    user: userJson(urls, reaction.user),
    content: reaction.content,
    created_at: reaction.created_at,
  };
}

export const DOCS = 'https://docs.github.com/rest';

/** Base64 the way GitHub's contents and blob APIs send it: lines of 60 characters, each ending in a newline. */
export function wrappedBase64(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,60}/g) ?? []).map((line) => `${line}\n`).join('');
}

/** GET git/blobs/{sha} in its default (JSON) media type. */
export function gitBlobJson(urls: Urls, repo: Repository, sha: string, bytes: Buffer) {
  return {
    sha,
    node_id: nodeId('Blob', sha),
    size: bytes.length,
    url: `${repoApi(urls, repo)}/git/blobs/${sha}`,
    content: wrappedBase64(bytes),
    encoding: 'base64',
  };
}

export function errorJson(status: number, message: string, extra: Record<string, unknown> = {}) {
  return { message, documentation_url: DOCS, status: String(status), ...extra };
}
