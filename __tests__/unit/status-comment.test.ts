// The status comment's pacing: one write when the work is short, progress after a quiet spell, newest state only, never on the critical path.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { PublishOutcome } from '../../src/core/outcomes.js';
import type { Tracker } from '../../src/ports.js';
import { QUIET_PACES, StatusComment } from '../../src/pipeline/status-comment.js';

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
