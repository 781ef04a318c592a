// Cuts credentials out of text before it reaches a public comment or the log: this run's by value, and the shapes credentials take.
import { cutToCodePoints } from './core/inert.js';
import { knownSecrets } from './secrets.js';

/** Longest message rendered, in code points: messages are sentences with capped values, so only a runaway one is cut. */
const MESSAGE_LIMIT = 4_000;

/**
 * Cuts credentials out of text a service or an unexpected failure produced before it can reach a public
 * issue: every credential of this run by value, URL userinfo, query strings (signed URLs carry
 * `X-Amz-Signature`, `X-Amz-Credential`, `x-amz-security-token` there), signature and token
 * parameters and headers, GitHub tokens, AWS access key ids and anything shaped like a secret access key.
 * Cut to MESSAGE_LIMIT before the patterns run, so every pattern runs over a bounded text.
 */
export function redact(text: string): string {
  // Known credentials go first, on the whole text: a cut made before would leave a credential's first part.
  let out = text;
  for (const secret of knownSecrets()) out = out.replaceAll(secret, '…');
  return cutToCodePoints(out, MESSAGE_LIMIT)
    .replace(/(https?:\/\/)[^\s/@]*@/gi, '$1')
    .replace(/(https?:\/\/[^\s?#`]*)[?#][^\s`)>\]]*/gi, '$1?…')
    .replace(/\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId|sig)(\s*[=:]\s*)[^\s&"'`,;]+/gi, '$1$2…')
    .replace(/\b(authorization|token|bearer|basic)(\s*(?:[:=]\s*)?)(?:(?:bearer|basic|token)\s+)?[A-Za-z0-9._~+/=-]{8,}/gi, '$1$2…')
    .replace(/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16})\b/g, '…')
    .replace(/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g, (run) => (looksLikeSecretKey(run) ? '…' : run));
}

/** An AWS secret access key is 40 random base64 characters; a git SHA (40 hex digits) is not one. */
function looksLikeSecretKey(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) && !/^[0-9a-f]+$/.test(run);
}
