// The one renderer between Registrar's messages and a comment: credentials cut, untrusted values already inert, nothing else live.
import { cutToCodePoints, inert } from '../core/inert.js';
import { knownSecrets } from '../secrets.js';

export { inert } from '../core/inert.js';

/** Longest message rendered, in code points: messages are sentences with capped values, so only a runaway one is cut. */
const MESSAGE_LIMIT = 4_000;

/**
 * Cuts credentials out of text a service or an unexpected failure produced before it can reach a public
 * issue: every credential of this run by value, URL userinfo, query strings (signed URLs carry
 * `X-Amz-Signature`, `X-Amz-Credential`, `x-amz-security-token` there), signature and token
 * parameters and headers, GitHub tokens, AWS access key ids and anything shaped like a secret access key.
 * Cut to MESSAGE_LIMIT first, so every pattern below runs over a bounded text.
 */
export function redact(text: string): string {
  let out = cutToCodePoints(text, MESSAGE_LIMIT);
  for (const secret of knownSecrets()) out = out.replaceAll(secret, '…');
  return out
    .replace(/(https?:\/\/)[^\s/@]*@/gi, '$1')
    .replace(/(https?:\/\/[^\s?#`]*)[?#][^\s`)>\]]*/gi, '$1?…')
    .replace(/\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId|sig)(\s*[=:]\s*)[^\s&"'`,;]+/gi, '$1$2…')
    .replace(/\b(authorization|token|bearer|basic)(\s*[:=]?\s*)(?:(?:bearer|basic|token)\s+)?[A-Za-z0-9._~+/=-]{8,}/gi, '$1$2…')
    .replace(/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16})\b/g, '…')
    .replace(/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g, (run) => (looksLikeSecretKey(run) ? '…' : run));
}

/** An AWS secret access key is 40 random base64 characters; a git SHA (40 hex digits) is not one. */
function looksLikeSecretKey(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) && !/^[0-9a-f]+$/.test(run);
}

/**
 * A word that markdown or GitHub could make live outside a code span: HTML, links, images, emphasis,
 * mentions (an `@` that does not follow a letter or digit: `left-pad@1.0.0` mentions nobody), `owner/repo#N` references, URLs, entities, or an invisible or direction-changing character.
 */
const LIVE_WORD = /(?:^|[^A-Za-z0-9])@|[<>[\]!*_~|\\&\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|:\/\/|^www\./u;

const isLive = (word: string) => LIVE_WORD.test(word) || (word.includes('/') && word.includes('#'));

/**
 * One of Registrar's messages, for a comment. Messages are Registrar's own sentences in which every
 * untrusted value was made an inert code span where it was written (`quote`, `inert`). Here credentials
 * are cut, the text is kept to one paragraph, and outside code spans any word markdown could make live
 * becomes a code span too: a value a message forgot to quote is still shown, never acted on.
 */
export function message(text: string): string {
  return outsideCodeSpans(redact(text).replace(/\r\n?|\n|\u0085|\u2028|\u2029/g, ' '),
    (prose) => prose.replace(/\S+/g, (word) => (isLive(word) ? inert(word) : word)));
}

/**
 * Applies `change` to the parts of `text` outside CommonMark code spans. Linear: backtick runs are found
 * in one pass, and each opening run is matched with the next run of the same length.
 */
export function outsideCodeSpans(text: string, change: (prose: string) => string): string {
  const runs: { at: number; length: number }[] = [];
  for (let i = 0; i < text.length;) {
    if (text[i] !== '`') { i++; continue; }
    let j = i;
    while (j < text.length && text[j] === '`') j++;
    runs.push({ at: i, length: j - i });
    i = j;
  }
  // For each run, the index of the next run of the same length (computed right to left).
  const next = new Array<number>(runs.length).fill(-1);
  const seen = new Map<number, number>();
  for (let r = runs.length - 1; r >= 0; r--) {
    const run = runs[r]!;
    next[r] = seen.get(run.length) ?? -1;
    seen.set(run.length, r);
  }
  let out = '';
  let from = 0;
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r]!;
    if (run.at < from) continue;
    const close = next[r]!;
    if (close < 0) continue;
    const end = runs[close]!.at + runs[close]!.length;
    out += change(text.slice(from, run.at)) + text.slice(run.at, end);
    from = end;
  }
  return out + change(text.slice(from));
}
