// The status comment's pacing: one write when the work is short, progress after a quiet spell, newest state only, never on the critical path.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { PublishOutcome } from '../../src/core/outcomes.js';
import type { Tracker } from '../../src/ports.js';
import { QUIET_PACES, STATE_LABELS, StatusComment, markState, reactToEnd } from '../../src/pipeline/status-comment.js';

const request = { name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', location: { githubOwner: 'acme', githubRepo: 'left-pad' } };
const working = (...steps: string[]) => ({ status: 'working', request, steps }) as unknown as PublishOutcome;
const refused = { status: 'refused', request, message: 'No.', hint: 'Fix it.', problems: [], final: false, steps: [] } as unknown as PublishOutcome;

/** A tracker that records every write and lets a test hold one in flight. */
function recordingTracker(existing?: number) {
  const writes: Array<{ knownId: number | null | undefined; body: string }> = [];
  let hold: Promise<void> | undefined;
  const tracker: Tracker = {
    comments: async () => [],
    findComment: async () => existing,
    upsertComment: async (_issue, _marker, body, knownId) => {
      writes.push({ knownId, body });
      if (hold) await hold;
      return knownId ?? 77;
    },
    close: async () => {},
    react: async () => {},
    labels: async () => [],
    addLabel: async () => {},
    removeLabel: async () => {},
  };
  return { tracker, writes, holdWrites: (until: Promise<void>) => { hold = until; }, release: () => { hold = undefined; } };
}

const log = { info: () => {}, warning: () => {} };
const registry = { registry: { commitUrl: (sha: string) => `https://example.test/commit/${sha}` } };
const PACE = 1000;

beforeEach(() => { jest.useFakeTimers(); });
afterEach(() => { jest.useRealTimers(); });

describe('StatusComment', () => {
  it('a short attempt writes one comment, its result, straight to create (the look for an earlier one ran at pick-up)', async () => {
    const { tracker, writes } = recordingTracker();
    const status = new StatusComment(tracker, 5, '<!-- m -->', registry, log, PACE);
    status.progress(working());
    status.progress(working('prepared', 'staged', 'committed'));
    await jest.advanceTimersByTimeAsync(QUIET_PACES * PACE - 1);
    await status.final(refused);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.knownId).toBeNull();
    expect(writes[0]!.body).toContain('No.');
  });

  it('a long attempt shows its newest progress once the quiet spell is over, then updates that comment with the result', async () => {
    const { tracker, writes } = recordingTracker();
    const status = new StatusComment(tracker, 5, '<!-- m -->', registry, log, PACE);
    status.progress(working());
    status.progress(working('prepared'));
    await jest.advanceTimersByTimeAsync(QUIET_PACES * PACE);
    expect(writes).toHaveLength(1);
    await status.final(refused);
    expect(writes.map((w) => w.knownId)).toEqual([null, 77]);
  });

  it('progress arriving while a write is in flight collapses into one write of the newest state; the result waits for it', async () => {
    const { tracker, writes, holdWrites, release } = recordingTracker();
    const status = new StatusComment(tracker, 5, '<!-- m -->', registry, log, PACE);
    let open!: () => void;
    holdWrites(new Promise<void>((resolve) => { open = resolve; }));
    status.progress(working());
    await jest.advanceTimersByTimeAsync(QUIET_PACES * PACE);
    expect(writes).toHaveLength(1);
    status.progress(working('prepared'));
    status.progress(working('prepared', 'staged'));
    status.progress(working('prepared', 'staged', 'committed'));
    release();
    open();
    await jest.advanceTimersByTimeAsync(0);
    expect(writes).toHaveLength(2);
    expect(writes[1]!.body).toContain('committed');
    await status.final(refused);
    expect(writes).toHaveLength(3);
    expect(writes[2]!.body).toContain('No.');
  });

  it('progress still pending when the result is ready is dropped: the result is the one write left', async () => {
    const { tracker, writes, holdWrites } = recordingTracker();
    const status = new StatusComment(tracker, 5, '<!-- m -->', registry, log, PACE);
    let open!: () => void;
    holdWrites(new Promise<void>((resolve) => { open = resolve; }));
    status.progress(working());
    await jest.advanceTimersByTimeAsync(QUIET_PACES * PACE);
    status.progress(working('prepared', 'staged', 'committed'));
    const done = status.final(refused);
    open();
    await done;
    expect(writes.map((w) => w.body.includes('No.'))).toEqual([false, true]);
  });

  it('finds an earlier comment of the same attempt and updates it instead of creating another', async () => {
    const { tracker, writes } = recordingTracker(41);
    const status = new StatusComment(tracker, 5, '<!-- m -->', registry, log, PACE);
    await status.final(refused);
    expect(writes.map((w) => w.knownId)).toEqual([41]);
  });

  it('a failed look proves nothing: the tracker is left to look again before it creates', async () => {
    const { tracker, writes } = recordingTracker();
    tracker.findComment = async () => { throw new Error('502'); };
    const status = new StatusComment(tracker, 5, '<!-- m -->', registry, log, PACE);
    await status.final(refused);
    expect(writes.map((w) => w.knownId)).toEqual([undefined]);
  });
});

describe('the end of a run: state label and reaction', () => {
  /** A tracker whose labels live in memory; `failing` makes every label and reaction call throw. */
  function labelTracker(initial: string[], failing = false) {
    const labels = [...initial];
    const added: string[] = [];
    const reactions: string[] = [];
    const warnings: string[] = [];
    const fail = () => { if (failing) throw new Error('GitHub answered 502'); };
    const tracker: Tracker = {
      ...recordingTracker().tracker,
      labels: async () => { fail(); return [...labels]; },
      addLabel: async (_issue, label) => { fail(); added.push(label.name); if (!labels.includes(label.name)) labels.push(label.name); },
      removeLabel: async (_issue, name) => { fail(); labels.splice(labels.indexOf(name), 1); },
      react: async (_issue, _comment, content) => { fail(); reactions.push(content); },
    };
    return { tracker, labels, added, reactions, warnings, log: { info: () => {}, warning: (m: string) => { warnings.push(m); } } };
  }

  it('puts the new state label on and takes only the stale state labels off (failed → published), keeping others', async () => {
    const t = labelTracker(['registrar/publish', 'registrar/failed']);
    await markState(t.tracker, 1, 'published', t.log);
    expect(t.labels).toEqual(['registrar/publish', 'registrar/published']);
    await markState(t.tracker, 1, 'rolled-back', t.log);
    expect(t.labels).toEqual(['registrar/publish', 'registrar/rolled-back']);
    expect(Object.values(STATE_LABELS).map((l) => l.name)).toEqual(['registrar/published', 'registrar/failed', 'registrar/rolled-back']);
  });

  it('writes no label an issue already carries (a repeated /retry), and still takes stale ones off', async () => {
    const t = labelTracker(['registrar/published', 'registrar/failed']);
    await markState(t.tracker, 1, 'published', t.log);
    expect(t.added).toEqual([]);
    expect(t.labels).toEqual(['registrar/published']);
  });

  it('only warns when labels or reactions fail', async () => {
    const t = labelTracker([], true);
    await markState(t.tracker, 1, 'failed', t.log);
    await reactToEnd(t.tracker, 1, 5, true, t.log);
    expect(t.warnings).toEqual([
      'Could not set the label registrar/failed on issue #1: GitHub answered 502',
      'Could not react to the comment: GitHub answered 502',
    ]);
  });

  it('reacts 🚀 on success and 😕 otherwise', async () => {
    const t = labelTracker([]);
    await reactToEnd(t.tracker, 1, undefined, true, t.log);
    await reactToEnd(t.tracker, 1, 9, false, t.log);
    expect(t.reactions).toEqual(['rocket', 'confused']);
  });
});
