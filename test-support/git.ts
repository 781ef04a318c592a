// Runs git on a repository of the test world: the independent eye on what the registry really holds.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function git(repository: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repository, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
