// Renders the `/status` answer: the package as the registry records it at one commit, and where this issue's attempts stand.
import type { AttemptState } from '../core/markers.js';
import type { PackageMetadata } from '../core/types.js';
import { inert, message } from './render.js';

/** One attempt of this issue, as Registrar's own status comment recorded it. */
export interface AttemptSeen {
  run: string;
  attempt: number;
  state: AttemptState | undefined;
  /** The status comment, for a link within the issue. */
  commentId: number;
}

export interface PackageStatus {
  /** The package asked about (from this issue's request), or undefined when the issue names none Registrar can read. */
  name: string | undefined;
  /** The registry commit the metadata was read at; the package's file there, or undefined when it has none. */
  head: string | undefined;
  metadata: PackageMetadata | undefined;
  attempts: AttemptSeen[];
  issue: number;
}

const cell = (text: string) => inert(text, { inTable: true });

/** Longest lists shown: a package with many versions still fits a comment and stays readable. */
export const STATUS_ROWS = 20;

const STATE: Record<AttemptState, string> = {
  working: '⏳ working (or stopped before it could report)', published: '✅ published', refused: '❌ refused', failed: '⚠️ failed',
};

export function renderPackageStatus(status: PackageStatus): string {
  const lines = [`### 📋 Status${status.name ? ` of ${inert(status.name)}` : ''}`, ''];
  if (status.name === undefined) {
    lines.push('This issue holds no publish request Registrar can read, so there is no package to show. '
      + 'Comment a request (one JSON object in a ```json block) to publish one.');
  } else if (status.metadata === undefined) {
    lines.push(`The registry (at commit ${inert((status.head ?? '').slice(0, 12))}) has no version of this package yet.`);
  } else {
    lines.push(...versions(status.metadata, status.head ?? '', status.issue), ...rollbacks(status.metadata));
  }
  lines.push('', ...attempts(status.attempts));
  return lines.join('\n');
}

function versions(metadata: PackageMetadata, head: string, issue: number): string[] {
  const entries = Object.entries(metadata.published)
    .sort(([, a], [, b]) => b.publishedTime.localeCompare(a.publishedTime));
  const lines = [`At registry commit ${inert(head.slice(0, 12))}, from ${inert(`${metadata.location.githubOwner}/${metadata.location.githubRepo}`)}:`, ''];
  if (entries.length === 0) return [...lines, 'No version is published (every one was rolled back).'];
  lines.push('| version | published | sha256 | from |', '|---|---|---|---|');
  for (const [version, entry] of entries.slice(0, STATUS_ROWS)) {
    const from = entry.issue === undefined ? 'the CLI' : entry.issue === issue ? 'this issue' : `issue #${entry.issue}`;
    lines.push(`| ${cell(version)} | ${cell(entry.publishedTime)} | ${cell(entry.sha256)} | ${from} |`);
  }
  if (entries.length > STATUS_ROWS) lines.push('', `… and ${entries.length - STATUS_ROWS} older version(s).`);
  return lines;
}

function rollbacks(metadata: PackageMetadata): string[] {
  if (metadata.rolledBack.length === 0) return [];
  const newest = [...metadata.rolledBack].sort((a, b) => b.at.localeCompare(a.at));
  const lines = ['', `**Rolled back** (${newest.length}):`, ''];
  for (const r of newest.slice(0, STATUS_ROWS)) {
    lines.push(`- ${inert(r.version)} at ${inert(r.at)} by ${inert(r.by.login)}: ${inert(r.reason)}${r.cleaned ? '' : ' — **still being cleaned**: comment `/rollback` again (a trustee) to finish it'}`);
  }
  if (newest.length > STATUS_ROWS) lines.push(`- … and ${newest.length - STATUS_ROWS} more.`);
  return lines;
}

function attempts(seen: AttemptSeen[]): string[] {
  if (seen.length === 0) return ['**This issue\'s attempts:** none reported yet.'];
  const newest = seen[seen.length - 1]!;
  const next = newest.state === 'published' ? 'Nothing to do: the version is published.'
    : newest.state === 'failed' ? 'The newest attempt failed: read its comment, then comment `/retry`.'
      : newest.state === 'refused' ? 'The newest attempt was refused: read its comment, fix the request, and comment a corrected request.'
        : 'The newest attempt has not reported an end: if its workflow run stopped, comment `/retry`.';
  return [`**This issue's attempts** (${seen.length}):`, '',
    ...seen.slice(-STATUS_ROWS).map((a) => `- [run ${a.run}, attempt ${a.attempt}](#issuecomment-${a.commentId}): ${a.state ? STATE[a.state] : 'unknown'}`),
    '', message(next)];
}
