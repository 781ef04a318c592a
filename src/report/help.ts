// Renders the answers to commands that change nothing: `/help` (from the command table), unknown commands, and the denied answer.
import { inert } from './render.js';

/** A command as `/help` shows it: how to write it, what it does, and who may use it. */
export interface HelpEntry {
  usage: string;
  help: string;
  who: 'anyone' | 'author' | 'trustee';
}

/** Who is asking, on this issue: its author, a trustee, both, or neither. */
export interface Asker {
  author: boolean;
  trustee: boolean;
}

export const mayUse = (entry: Pick<HelpEntry, 'who'>, asker: Asker): boolean =>
  entry.who === 'anyone' || asker.trustee || (entry.who === 'author' && asker.author);

const ROLE: Record<HelpEntry['who'], string> = { anyone: 'anyone', author: 'the issue\'s author or a trustee', trustee: 'trustees' };

/** `/help`: only what this person may do here, so nobody is shown a command that would be refused to them. */
export function renderHelp(entries: readonly HelpEntry[], asker: Asker): string {
  const yours = entries.filter((e) => mayUse(e, asker));
  const as = asker.trustee ? 'a registry trustee' : asker.author ? 'the author of this issue' : 'someone other than this issue\'s author';
  const others = entries.filter((e) => !mayUse(e, asker));
  return [
    '### ℹ️ Registrar commands',
    '',
    `As ${as}, you can comment:`,
    '',
    '| command | what it does | who |',
    '|---|---|---|',
    ...yours.map((e) => `| ${e.usage} | ${e.help} | ${ROLE[e.who]} |`),
    '',
    'A command goes at the very start of a new comment; an edited comment does nothing.',
    ...(others.length > 0 ? ['', `Not for you here: ${others.map((e) => e.usage).join(', ')}.`
      + (asker.author ? '' : ' To publish your own package, open a new issue with its request.')] : []),
  ].join('\n');
}

/** A `/word` Registrar does not know: a short pointer to `/help`, never an echo of the stranger's whole text. */
export function renderUnknown(name: string): string {
  return [
    `### ❔ ${inert(`/${name}`, { cap: 40 })} is not a Registrar command`,
    '',
    'Nothing was run and nothing was changed. Comment `/help` to see the commands you can use on this issue.',
  ].join('\n');
}

/**
 * One answer per issue to commands their commenter may not run, updated in place: a stranger's hundred
 * `/retry`s cost a hundred edits of one comment, never a hundred comments. Who may do what comes from the table.
 */
export function renderDenied(entries: readonly HelpEntry[], command: string, actorId: number): string {
  const byRole = (who: HelpEntry['who']) => entries.filter((e) => e.who === who).map((e) => e.usage).join(', ');
  return [
    '### 🔒 Not run',
    '',
    `Only the author of this issue or a registry trustee can use ${byRole('author')}. Only a registry trustee can roll back a version: ${byRole('trustee')}. `
      + 'Comments from anyone else change nothing.',
    '',
    'To publish your own package, open a new issue with its request. Comment `/help` to see what you can do here.',
    '',
    `<sub>Newest: ${command} from user id ${actorId}, not run. Nothing was changed.</sub>`,
  ].join('\n');
}
