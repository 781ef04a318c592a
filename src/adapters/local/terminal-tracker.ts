// The Tracker port on a terminal: what the pipeline would comment on an issue is shown on stderr, and there is nothing to react to, label or close.
import type { Tracker, TrackerComment } from '../../ports.js';
import { forTerminal } from './terminal-text.js';

/**
 * A publish run from the CLI has no issue: its status comment becomes a line on the terminal. Each write shows
 * the comment's headline (`⏳ Publishing …`, `✅ Published …`): the details of the comment speak to an issue's
 * reader, and the CLI prints its own result. Reactions and closing mean nothing here.
 */
export class TerminalTracker implements Tracker {
  private next = 1;
  private shown: string | undefined;

  constructor(private readonly write: (text: string) => void) {}

  comments(): Promise<TrackerComment[]> {
    return Promise.resolve([]);
  }

  upsertComment(_issue: number, _marker: string, body: string, knownId?: number | null): Promise<number> {
    const headline = body.split('\n').map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('<!--')) ?? '';
    const line = forTerminal(headline.replace(/^#+\s*/, ''));
    // A progress update that changes only the comment's details says nothing new on a terminal.
    if (line !== this.shown) this.write(`${line}\n`);
    this.shown = line;
    return Promise.resolve(knownId ?? this.next++);
  }

  findComment(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  react(): Promise<void> {
    return Promise.resolve();
  }

  /** An issue's state labels: a terminal has no issue, and the CLI's exit code and output say the state. */
  labels(): Promise<string[]> {
    return Promise.resolve([]);
  }

  addLabel(): Promise<void> {
    return Promise.resolve();
  }

  removeLabel(): Promise<void> {
    return Promise.resolve();
  }
}
