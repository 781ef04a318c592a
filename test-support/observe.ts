// What a test sees with its own eyes — git on the registry, a raw listing of every bucket — never through Registrar's adapters.
import type { World } from './world.js';
import { git } from './git.js';

export interface Snapshot {
  refs: string;
  storage: Record<string, { key: string; bytes: number; sha256: string }[]>;
}

/** Every ref of the registry and every object of every bucket (staging included), with sizes and hashes. */
export async function snapshot(world: World): Promise<Snapshot> {
  const refs = await git(world.registryPath, 'for-each-ref', '--format=%(refname) %(objectname)');
  const storage: Snapshot['storage'] = {};
  for (const bucket of world.buckets) storage[bucket] = await world.s3.listRaw(bucket);
  return { refs, storage };
}

/** A file of the registry at the branch head, or undefined when it does not exist. */
export async function registryFile(world: World, path: string, branch = 'main'): Promise<string | undefined> {
  try {
    return await git(world.registryPath, 'show', `${branch}:${path}`);
  } catch {
    return undefined;
  }
}

/** The registry's commits, newest first, with their full messages. */
export async function registryCommits(world: World, branch = 'main'): Promise<{ sha: string; message: string }[]> {
  const out = await git(world.registryPath, 'log', '--format=%H%x00%B%x1e', branch);
  return out.split('\x1e').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const [sha = '', message = ''] = entry.split('\x00');
    return { sha, message: message.trim() };
  });
}
