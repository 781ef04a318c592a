// The live status comment of one attempt: created once, then updated in place as the ledger advances.
import type { Registry, Tracker } from '../ports.js';
import { renderPublishStatus } from '../report/status.js';
import type { PublishOutcome } from '../core/outcomes.js';
import type { Log } from './publish.js';

export class StatusComment {
  private id: number | undefined;

  constructor(private readonly tracker: Tracker, private readonly issue: number, private readonly marker: string,
    private readonly registry: Pick<Registry, 'commitUrl'>, private readonly log: Log) {}

  /** Shows progress; a failure here must not fail the publish, the final report tries again. */
  async progress(outcome: PublishOutcome): Promise<void> {
    try {
      await this.write(outcome);
    } catch (error) {
      this.log.warning(`Could not update the status comment: ${(error as Error).message}`);
    }
  }

  /** The attempt's result; failing to report it fails the run, so the author is never left guessing. */
  async final(outcome: PublishOutcome): Promise<void> {
    await this.write(outcome);
  }

  private async write(outcome: PublishOutcome): Promise<void> {
    this.id = await this.tracker.upsertComment(this.issue, this.marker, renderPublishStatus(outcome, { registry: this.registry }), this.id);
  }
}
