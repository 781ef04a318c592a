// The status comment of one attempt — written once when the work is short, else shown after a quiet spell and updated in place, never on the pipeline's critical path — and the state label and reaction it ends with.
import type { Tracker, TrackerLabel } from '../ports.js';
import { renderPublishStatus, type StatusContext } from '../report/status.js';
import type { PublishOutcome } from '../core/outcomes.js';
import type { Log } from './publish.js';

/**
 * Progress is shown only once the attempt has run this many paces: a publish that finishes sooner writes one
 * comment (its result), so GitHub's pacing of writes costs it one write, not three. Longer work shows its ledger.
 */
export const QUIET_PACES = 3;

export class StatusComment {
  /** The comment, once written or found; `null` once the look for an earlier one found none. */
  private id: number | null | undefined;
  private readonly lookup: Promise<number | undefined>;
  private latest: PublishOutcome | undefined;
  private writing: Promise<void> | undefined;
  private again = false;
  private shown = false;
  private finished = false;
  private readonly quiet: NodeJS.Timeout;

  constructor(private readonly tracker: Tracker, private readonly issue: number, private readonly marker: string,
    private readonly context: StatusContext, private readonly log: Log, paceMs: number) {
    // Looked for at pick-up, while the source downloads: the first write then goes straight to create or update.
    this.lookup = tracker.findComment(issue, marker);
    this.lookup.catch(() => {});
    this.quiet = setTimeout(() => this.show(), QUIET_PACES * paceMs);
    // The pipeline's end decides when the process exits, never this timer.
    this.quiet.unref();
  }

  /** Records progress; written in the background, newest state only. A failure to write never fails the publish. */
  progress(outcome: PublishOutcome): void {
    if (this.finished) return;
    this.latest = outcome;
    if (this.shown) this.flush();
  }

  /** The attempt's result, after any progress write in flight; failing to report it fails the run, so the author is never left guessing. */
  async final(outcome: PublishOutcome): Promise<void> {
    this.finished = true;
    clearTimeout(this.quiet);
    await this.writing;
    await this.write(outcome);
  }

  private show(): void {
    this.shown = true;
    if (this.latest && !this.finished) this.flush();
  }

  /** One write at a time; states that arrive meanwhile collapse into the newest. */
  private flush(): void {
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = (async () => {
      do {
        this.again = false;
        const outcome = this.latest;
        if (outcome === undefined || this.finished) break;
        try {
          await this.write(outcome);
        } catch (error) {
          this.log.warning(`Could not update the status comment: ${(error as Error).message}`);
        }
      } while (this.again);
    })().finally(() => {
      this.writing = undefined;
    });
  }

  private async write(outcome: PublishOutcome): Promise<void> {
    // A failed look proves nothing: the tracker then looks again itself before creating.
    if (this.id === undefined) this.id = await this.lookup.then((found) => found ?? null, () => undefined);
    this.id = await this.tracker.upsertComment(this.issue, this.marker, renderPublishStatus(outcome, this.context), this.id);
  }
}

/** The issue's state, as labels people can filter on; created in the repository when missing. */
export const STATE_LABELS = {
  published: { name: 'registrar/published', color: '0e8a16', description: 'Registrar published the version this issue asked for.' },
  failed: { name: 'registrar/failed', color: 'd93f0b', description: 'Registrar could not publish this request; its status comment says what to do.' },
  'rolled-back': { name: 'registrar/rolled-back', color: '5319e7', description: 'A trustee rolled back a version through this issue.' },
} as const satisfies Record<string, TrackerLabel>;

export type IssueState = keyof typeof STATE_LABELS;

/**
 * Puts the issue's newest state label on it and takes the stale ones off (failed → published on a retry).
 * Labels are for people filtering issues, never part of the result: a failure here is a warning.
 */
export async function markState(tracker: Tracker, issue: number, state: IssueState, log: Log): Promise<void> {
  try {
    const stale = Object.values(STATE_LABELS).map((l) => l.name).filter((name) => name !== STATE_LABELS[state].name);
    const present = await tracker.labels(issue);
    // Already labelled (a repeated /retry, a resumed publish): no label write at all, only the stale ones come off.
    if (!present.includes(STATE_LABELS[state].name)) await tracker.addLabel(issue, STATE_LABELS[state]);
    for (const name of stale.filter((n) => present.includes(n))) await tracker.removeLabel(issue, name);
  } catch (error) {
    log.warning(`Could not set the label ${STATE_LABELS[state].name} on issue #${issue}: ${(error as Error).message}`);
  }
}

/** 🚀 or 😕 on what started the run (the comment, or the issue itself when an opened issue did); a failure here is a warning. */
export async function reactToEnd(tracker: Tracker, issue: number, commentId: number | undefined, ok: boolean, log: Log): Promise<void> {
  await tracker.react(issue, commentId, ok ? 'rocket' : 'confused')
    .catch((error: unknown) => log.warning(`Could not react to the ${commentId === undefined ? 'issue' : 'comment'}: ${(error as Error).message}`));
}
