// The one renderer between Registrar's messages and a comment: credentials cut, untrusted values already inert, nothing else live.
import { hasHidden, inert, showInvisible } from '../core/inert.js';
import { redact } from '../redact.js';

export { inert } from '../core/inert.js';
export { redact } from '../redact.js';

/**
 * A word that markdown or GitHub could make live outside a code span: a backtick (it could pair with a
 * fence), HTML, links, images, emphasis, mentions and email autolinks (any `@`: even `left-pad@1.0.0` is
 * shown as code), `owner/repo#N` and `GH-N` references, URLs, entities, or an invisible or
 * direction-changing character.
 */
const LIVE_WORD = /[`@<>[\]!*_~|\\&]|:\/\/|^www\.|GH-\d/i;

function isLive(word: string, before: string): boolean {
  if (word.includes('#') && /#\d/.test(word)) {
    // Registrar's own "issue #N" names a registry issue by a number from the registry's metadata; any other `#N` links.
    if (!(/(?:^|[\s(])issue $/.test(before) && /^\(?#\d+[).,;:]*$/.test(word))) return true;
  }
  if (word.includes('/') && word.includes('#')) return true;
  return LIVE_WORD.test(word) || hasHidden(word);
}

/**
 * One of Registrar's messages, for a comment. Messages are Registrar's own sentences in which every
 * untrusted value was made an inert code span where it was written (`quote`, `inert`). Here credentials
 * are cut, the text is kept to one paragraph, and outside code spans any word markdown could make live
 * becomes a code span too: a value a message forgot to quote is still shown, never acted on.
 */
export function message(text: string): string {
  // One paragraph, and no space the reader cannot tell from a plain one (they would split words unseen).
  const pieces = codeSpanSegments(redact(text).replace(/\r\n?|[\n\u0085\u2028\u2029\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]/g, ' '))
    // A span Registrar did not make (unquoted text that happened to pair backticks) may still hold invisible characters.
    .map(({ code, text: part }) => (code ? showInvisible(part)
      : part.replace(/\S+/g, (word: string, at: number) => (isLive(word, part.slice(Math.max(0, at - 7), at)) ? inert(word) : word))));
  // A span made here must not touch a neighbouring span: adjacent backtick runs would merge into another fence.
  return pieces.reduce((out, piece) => (out.endsWith('`') && piece.startsWith('`') ? `${out} ${piece}` : out + piece), '');
}

/** `text` cut into CommonMark code spans and the prose between them, in order. */
export function codeSpanSegments(text: string): { code: boolean; text: string }[] {
  const runs: { at: number; length: number }[] = [];
  for (let i = 0; i < text.length;) {
    if (text[i] !== '`') { i++; continue; }
    let j = i;
    while (j < text.length && text[j] === '`') j++;
    runs.push({ at: i, length: j - i });
    i = j;
  }
  // For each run, the index of the next run of the same length (computed right to left): linear overall.
  const next = new Array<number>(runs.length).fill(-1);
  const seen = new Map<number, number>();
  for (let r = runs.length - 1; r >= 0; r--) {
    const run = runs[r]!;
    next[r] = seen.get(run.length) ?? -1;
    seen.set(run.length, r);
  }
  const segments: { code: boolean; text: string }[] = [];
  let from = 0;
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r]!;
    if (run.at < from) continue;
    const close = next[r]!;
    if (close < 0) continue;
    const end = runs[close]!.at + runs[close]!.length;
    if (run.at > from) segments.push({ code: false, text: text.slice(from, run.at) });
    segments.push({ code: true, text: text.slice(run.at, end) });
    from = end;
  }
  if (from < text.length) segments.push({ code: false, text: text.slice(from) });
  return segments;
}

/** Applies `change` to the parts of `text` outside CommonMark code spans. */
export function outsideCodeSpans(text: string, change: (prose: string) => string): string {
  return codeSpanSegments(text).map(({ code, text: part }) => (code ? part : change(part))).join('');
}
