// The run's credentials, known by value: masked in the runner's log and cut from every text Registrar writes.
import * as core from '@actions/core';

const secrets = new Set<string>();

/** Values shorter than this are not secrets worth matching (and would cut ordinary words). */
const SHORTEST_SECRET = 6;

/** Remembers a credential (a token, an access key id, a secret key) and asks the runner to mask it. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < SHORTEST_SECRET || secrets.has(value)) return;
  secrets.add(value);
  core.setSecret(value);
}

/** Every credential registered in this run, longest first (a secret that contains another is cut whole). */
export function knownSecrets(): string[] {
  return [...secrets].sort((a, b) => b.length - a.length);
}
