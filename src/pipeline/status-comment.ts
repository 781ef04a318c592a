// The status comment of one attempt: written once when the work is short, else shown after a quiet spell and updated in place, never on the pipeline's critical path.
import type { Tracker } from '../ports.js';
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
