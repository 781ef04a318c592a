// The built CLI as a person runs it, and what a directory really holds: shared by the CLI's end-to-end tests.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const CLI = resolve(import.meta.dirname, '..', 'dist', 'cli.js');

/** A git identity for commits the tests make (a fresh machine may have none). */
export const IDENTITY = { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.test', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.test' };

export interface CliRun { code: number; out: string; err: string }

/** Runs `node dist/cli.js` as a person would, in `cwd`, with only PATH, HOME, a git identity and `env`. */
export function registrar(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...IDENTITY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
  });
}

/** Every file under a directory (hidden ones included), with its sha256: what the storage really holds. */
export async function files(dir: string, prefix = ''): Promise<Record<string, string>> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, await files(join(dir, entry.name), `${path}/`));
    else out[path] = createHash('sha256').update(await readFile(join(dir, entry.name))).digest('hex');
  }
  return out;
}

/** The entry names of a .tar.gz, in order (ustar headers only: the canonical tarball has no pax records). */
export function tarEntries(gz: Uint8Array): string[] {
  const tar = gunzipSync(gz);
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, length: number) => header.subarray(from, from + length).toString('utf8').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    names.push(prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const size = parseInt(field(124, 12).trim() || '0', 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}
