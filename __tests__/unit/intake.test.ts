// Which events start a run: recorded GitHub payloads in, a command or a reason to ignore out.
import { describe, expect, it } from '@jest/globals';
import { holdsRequest, intake, parseRollback, slashCommand } from '../../src/commands/intake.js';
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
    ['ordinary conversation', comment('Thanks, looks good!')],
  ])('ignores %s', (_what, payload) => {
    expect(intake('issue_comment', payload)).toMatchObject({ kind: 'ignore' });
  });

  it('hands any other /word at the start of a comment to the command table, with the rest of its line as arguments', () => {
    expect(intake('issue_comment', comment('/frobnicate now\nmore text'))).toMatchObject({
      kind: 'slash', name: 'frobnicate', args: 'now', issue: 3, issueAuthor: author, trigger: { commentId: 99 } });
    for (const name of ['help', 'status', 'dry-run']) {
      expect(intake('issue_comment', comment(`/${name}`))).toMatchObject({ kind: 'slash', name, args: '' });
    }
  });

  it('ignores a payload without an issue', () => {
    expect(intake('push', { ref: 'refs/heads/main' })).toMatchObject({ kind: 'ignore' });
  });

  it('ignores an ordinary issue (a bug report holds no request): the run succeeds and says nothing', () => {
    const report = issueOpened({ repository, number: 8, title: 'Bug', body: 'The registry page is down.\n\n```js\nconsole.log(1)\n```', user: author });
    expect(intake('issues', report)).toMatchObject({ kind: 'ignore', why: expect.stringContaining('no publish request') });
  });

  it('turns /rollback with an exact target into a rollback of that version, and a bare one into a rollback of this issue\'s version', () => {
    expect(intake('issue_comment', comment('/rollback left-pad@1.2.0 it ships a leaked credential'))).toMatchObject({
      kind: 'rollback', target: { kind: 'named', name: 'left-pad', version: '1.2.0' }, reason: 'it ships a leaked credential' });
    expect(intake('issue_comment', comment('/rollback it ships a leaked credential'))).toMatchObject({
      kind: 'rollback', target: { kind: 'this-issue' }, reason: 'it ships a leaked credential' });
  });

  it('makes a /rollback whose target does not parse a malformed command, never a rollback of this issue', () => {
    expect(intake('issue_comment', comment('/rollback victim@v1.0.0 leaked credential'))).toMatchObject({ kind: 'malformed', command: 'rollback' });
    expect(intake('issue_comment', comment('/ROLLBACK victim@1.0.0 ships malware'))).toMatchObject({ kind: 'malformed', problem: expect.stringContaining('lowercase') });
    // Not `/retry`: the command table answers it as an unknown command, pointing to `/help`.
    expect(intake('issue_comment', comment('/RETRY'))).toMatchObject({ kind: 'slash', name: 'RETRY' });
  });
});

describe('parseRollback (rule 13: a target that does not parse exactly is refused)', () => {
  it.each([
    ['a typo in the version', 'victim@v1.0.0 leaked credential', /version `1\.0\.0`|leading "v"|MAJOR\.MINOR\.PATCH/],
    ['a zero-width space copied from a rendered comment', 'victim@\u200b1.0.0 leaked', /invisible character/],
    ['a word joiner inside the name', 'vic\u2060tim@1.0.0 leaked', /invisible character/],
    ['a byte order mark', '\ufeffvictim@1.0.0 leaked', /invisible character/],
    ['a fullwidth at sign', 'victim\uff201.0.0 leaked', /look-alike/],
    ['a Cyrillic a in the name', 'vi\u0441tim@1.0.0 leaked', /package name/],
    ['two parts of a version', 'victim@1.0 leaked', /MAJOR\.MINOR\.PATCH/],
    ['an uppercase name', 'Victim@1.0.0 leaked', /package name/],
    ['no name', '@1.0.0 leaked', /package name/],
    ['two at signs', 'victim@@1.0.0 leaked', /MAJOR\.MINOR\.PATCH/],
    ['a name and a version as two words', 'victim 1.0.0 leaked', /not `name@version`/],
    ['a bare version', '1.0.0 leaked', /not `name@version`/],
    ['no reason after the target', 'victim@1.0.0', /needs a reason/],
    ['nothing at all', '', /needs a reason/],
  ])('refuses %s', (_what, args, why) => {
    const parsed = parseRollback(args);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(why);
  });

  it('shows the invisible character it found, so the trustee sees why', () => {
    const parsed = parseRollback('victim@\u200b1.0.0 leaked');
    expect(!parsed.ok && parsed.problem).toContain('\\u{200B}');
  });

  it('reads a reason that merely mentions versions or addresses as a bare rollback', () => {
    const reason = 'it broke in 1.2.0 for ada@example.com';
    expect(parseRollback(reason)).toEqual({ ok: true, target: { kind: 'this-issue' }, reason });
  });
});

describe('slashCommand and holdsRequest read a bounded prefix, line by line', () => {
  it('reads only the first line, and says when it went on past the cap', () => {
    expect(slashCommand('  /retry\n/rollback x@1.0.0 r')).toEqual({ name: 'retry', args: '', tooLong: false });
    expect(slashCommand('/ROLLBACK x@1.0.0 r')).toMatchObject({ name: 'ROLLBACK' });
    expect(slashCommand(`/rollback ${'a'.repeat(5000)}`)).toMatchObject({ name: 'rollback', tooLong: true });
    expect(slashCommand('/retry\u2028/rollback x')).toEqual({ name: 'retry', args: '', tooLong: false });
    expect(slashCommand('please /retry')).toBeUndefined();
  });

  it('finds a request bare or as the first thing in a fenced block, and nowhere else', () => {
    expect(holdsRequest('  {"name":"x"}')).toBe(true);
    expect(holdsRequest('Corrected:\n~~~\n\n{"name":"x"}\n~~~')).toBe(true);
    expect(holdsRequest('text with { braces }')).toBe(false);
    expect(holdsRequest('```js\nconsole.log({})\n```\n```json\n{}\n```')).toBe(false);
    // Attempts that are wrong still get an answer saying why: an array of requests, JSON with a comment.
    expect(holdsRequest('[ {"name":"x"}, {"name":"y"} ]')).toBe(true);
    expect(holdsRequest('```json\n// publish\n{"name":"x"}\n```')).toBe(true);
    expect(holdsRequest('[Bug] the page is down')).toBe(false);
  });
});

describe('parseRollback keeps a stranger\'s spaces from splitting a target into a reason', () => {
  it.each([
    ['a byte order mark inside the name', 'vic\ufefftim@1.0.0 leaked'],
    ['a no-break space inside the target', 'victim\u00a0@1.0.0 leaked'],
    ['an ideographic space before the version', 'victim@\u30001.0.0 leaked'],
  ])('refuses %s', (_what, args) => {
    const parsed = parseRollback(args);
    expect(parsed).toMatchObject({ ok: false, problem: expect.stringMatching(/invisible character or an unusual space/) });
  });

  it('refuses a bare rollback whose reason names another version: which one was meant?', () => {
    expect(parseRollback('please roll back victim@1.0.0 now')).toMatchObject({ ok: false, problem: expect.stringMatching(/`victim@1\.0\.0`.*does not start with it/) });
  });
});
