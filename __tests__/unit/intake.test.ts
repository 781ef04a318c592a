// Which events start a run: recorded GitHub payloads in, a command or a reason to ignore out.
import { describe, expect, it } from '@jest/globals';
import { intake } from '../../src/commands/intake.js';
import { issueCommentCreated, issueOpened } from '../../test-support/events.js';

const repository = { owner: 'registry', repo: 'registry' };
const author = { id: 5001, login: 'ada' };

describe('intake', () => {
  it('turns issues.opened into a publish command carrying the body and the author by numeric id', () => {
    const payload = issueOpened({ repository, number: 7, title: 'Publish', body: '{"name":"x"}', user: author });
    expect(intake('issues', payload)).toMatchObject({
      kind: 'publish', issue: 7, request: '{"name":"x"}', issueAuthor: author, trigger: { actor: author },
    });
  });

  it('ignores issues opened by bots and issues carrying Registrar\'s marker', () => {
    const bot = issueOpened({ repository, number: 7, title: 't', body: '{}', user: { id: 1, login: 'some[bot]', type: 'Bot' } });
    expect(intake('issues', bot)).toMatchObject({ kind: 'ignore' });
    const echo = issueOpened({ repository, number: 7, title: 't', body: '<!-- registrar:status run=1 attempt=1 -->', user: author });
    expect(intake('issues', echo)).toMatchObject({ kind: 'ignore' });
  });

  it('ignores other issue actions (an edit never starts a run)', () => {
    const payload = { ...issueOpened({ repository, number: 7, title: 't', body: '{}', user: author }), action: 'edited' };
    expect(intake('issues', payload)).toMatchObject({ kind: 'ignore', why: expect.stringContaining('edited') });
  });

  it('ignores events on pull requests', () => {
    const payload = issueCommentCreated({ repository, issue: { number: 3, title: 't', body: '', user: author },
      comment: { id: 9, body: '/retry', user: author } });
    (payload.issue as Record<string, unknown>).pull_request = { url: 'https://api.github.com/repos/registry/registry/pulls/3' };
    expect(intake('issue_comment', payload)).toMatchObject({ kind: 'ignore', why: expect.stringContaining('pull request') });
  });

  const comment = (body: string, user: { id: number; login: string; type?: 'User' | 'Bot' } = author, action?: 'created' | 'edited') =>
    issueCommentCreated({ repository, issue: { number: 3, title: 't', body: '{"name":"x"}', user: author }, comment: { id: 99, body, user }, ...(action ? { action } : {}) });

  it('turns a /retry comment into a retry carrying the commenter, the comment id and the issue body', () => {
    const trustee = { id: 77, login: 'tru' };
    expect(intake('issue_comment', comment('/retry please', trustee))).toMatchObject({
      kind: 'retry', issue: 3, issueAuthor: author, issueBody: '{"name":"x"}', trigger: { actor: trustee, commentId: 99 },
    });
  });

  it('turns a comment holding a request (bare or fenced) into a publish of that text', () => {
    for (const body of ['{"name":"y"}', 'Corrected:\n```json\n{"name":"y"}\n```']) {
      expect(intake('issue_comment', comment(body))).toMatchObject({ kind: 'publish', request: body, trigger: { commentId: 99 } });
    }
  });

  it.each([
    ['an edited comment, even one that reads /retry', comment('/retry', author, 'edited')],
    ['a /retry by a bot', comment('/retry', { id: 41898282, login: 'github-actions[bot]', type: 'Bot' })],
    ["a comment carrying Registrar's marker", comment('<!-- registrar:status run=1 attempt=1 -->\n/retry')],
    ['a command not at the start', comment('please /retry')],
    ['an unknown command', comment('/frobnicate')],
    ['ordinary conversation', comment('Thanks, looks good!')],
  ])('ignores %s', (_what, payload) => {
    expect(intake('issue_comment', payload)).toMatchObject({ kind: 'ignore' });
  });

  it('ignores a payload without an issue', () => {
    expect(intake('push', { ref: 'refs/heads/main' })).toMatchObject({ kind: 'ignore' });
  });
});
