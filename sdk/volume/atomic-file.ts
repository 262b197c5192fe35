import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `target` so that a reader (or a process restarted after a crash)
 * sees either the old contents or the new ones, never a torn file.
 *
 * The temporary name ends in `.tmp` and starts with a dot so that directory
 * scanners looking for `*.json` never pick up a half-written file.
 */
export async function writeFileAtomic(target: string, contents: string, mode = 0o600): Promise<void> {
  const directory = dirname(target);
  await mkdir(directory, { recursive: true });
  const temporary = join(directory, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(contents, 'utf8');
      // Without the flush a power loss after rename can leave an empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Reads a JSON state file that writeFileAtomic keeps: undefined when there is none yet. Text
 * that is not JSON throws what `damaged` makes of the reason, since a state file that cannot be
 * trusted must stop its owner rather than be taken for an empty one.
 */
export async function readJsonStateFile(path: string, damaged: (reason: string) => Error): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw damaged('not valid JSON');
  }
}
