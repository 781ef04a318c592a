// Which events start a run: recorded GitHub payloads in, a command or a reason to ignore out.
import { describe, expect, it } from '@jest/globals';
import { intake } from '../../src/commands/intake.js';
import { issueCommentCreated, issueOpened } from '../../test-support/events.js';

const repository = { owner: 'registry', repo: 'registry' };
const author = { id: 5001, login: 'ada' };

describe('intake', () => {
  it('turns issues.opened into a publish command carrying the body and the author by numeric id', () => {
    const payload = issueOpened({ repository, number: 7, title: 'Publish', body: '{"name":"x"}', user: author });
    expect(intake('issues', payload)).toMatchObject({ kind: 'publish', issue: 7, body: '{"name":"x"}', actor: { id: 5001, login: 'ada' } });
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

  it('ignores a payload without an issue', () => {
    expect(intake('push', { ref: 'refs/heads/main' })).toMatchObject({ kind: 'ignore' });
  });
});
