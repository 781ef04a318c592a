// The run's credentials, known by value: masked in the runner's log and cut from every text Registrar writes.
import * as core from '@actions/core';

const secrets = new Set<string>();

/** Values shorter than this are masked by the runner but not cut from texts by value (they would cut ordinary words). */
const SHORTEST_SECRET = 6;

/** Asks the runner to mask a credential (a token, an access key id, a secret key) and remembers it to cut from texts. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value === '' || secrets.has(value)) return;
  core.setSecret(value);
  if (value.length >= SHORTEST_SECRET) secrets.add(value);
}

/** Every credential registered in this run, longest first (a secret that contains another is cut whole). */
export function knownSecrets(): string[] {
  return [...secrets].sort((a, b) => b.length - a.length);
}
