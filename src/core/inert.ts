// The one way untrusted text (request fields, manifest values, archive paths, reasons, services' words) enters what Registrar writes: as an inert code span.

/** Longest untrusted value shown, in code points: the reader sees what is meant without a stranger filling the comment. */
export const INERT_LIMIT = 200;

/**
 * Characters shown as `\u{…}` escapes instead of themselves: controls and line breaks (they would end
 * the sentence or the log line), spaces other than the ASCII one (they pass for it), bidirectional controls (they make text display as something it is
 * not), and invisible characters (a name copied from a comment must be what the reader saw).
 */
const SHOWN_ESCAPED = /[\u0000-\u001f\u007f-\u00a0\u00ad\u1680\u2000-\u200a\u202f\u205f\u3000\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

export interface InertOptions {
  /** Longest value shown, in code points (default INERT_LIMIT); a longer one is cut and ends with `…`. */
  cap?: number;
  /** The span sits in a GFM table cell, where `|` would end the cell even inside a code span. */
  inTable?: boolean;
}

/**
 * Renders untrusted text as one code span that GitHub shows literally: no links, images, mentions,
 * `owner/repo#N` references, HTML or emphasis work inside a code span, the fence is longer than any
 * backtick run in the text (so the text cannot close it), and invisible or direction-changing
 * characters appear as escapes. Linear in the input; the input is cut before any pattern runs.
 */
export function inert(text: string, options: InertOptions = {}): string {
  const cap = options.cap ?? INERT_LIMIT;
  let shown = cutToCodePoints(text, cap);
  shown = showInvisible(shown);
  // A stranger's text must never carry Registrar's hidden-marker syntax into Registrar's own comment.
  shown = shown.replaceAll('<!--', '<\\u{21}--');
  if (options.inTable) shown = shown.replaceAll('|', '\\|');
  if (shown === '') return '*(empty)*';
  const fence = '`'.repeat(longestRun(shown, '`') + 1);
  // CommonMark strips one space from each end of a span that starts and ends with one; padding keeps
  // a value that starts or ends with a backtick (or a space) whole.
  // An all-space span is kept as it is (CommonMark strips nothing there).
  const pad = /^[` ]|[` ]$/.test(shown) && !/^ +$/.test(shown) ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/** Whether `text` holds a character inert() would show as an escape: one a reader cannot see for what it is. */
export function hasHidden(text: string): boolean {
  SHOWN_ESCAPED.lastIndex = 0;
  return SHOWN_ESCAPED.test(text);
}

/** `text` with every character of SHOWN_ESCAPED written as a `\u{…}` escape. */
export function showInvisible(text: string): string {
  return text.replace(SHOWN_ESCAPED, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}}`);
}

/** The first `cap` code points of `text`, with `…` when something was cut; never splits a surrogate pair. */
export function cutToCodePoints(text: string, cap: number): string {
  if (text.length <= cap) return text;
  let units = 0;
  let points = 0;
  while (units < text.length && points < cap) {
    const code = text.charCodeAt(units);
    const low = text.charCodeAt(units + 1);
    units += code >= 0xd800 && code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
    points++;
  }
  return units < text.length ? `${text.slice(0, units)}…` : text;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}
