import { chmod, lchown, lstat, readdir, readlink } from 'node:fs/promises';
import { ArchiveProblem, displayName, symlinkEscapes, type ArchiveLimits } from './package-archive';

/**
 * What tar left behind, checked and handed over: after tar has exited, every entry is looked
 * at (never followed) and must be a directory, a regular file with one link, or a symbolic
 * link that stays inside, made by the unpacking user. Each directory is made the owner's and
 * 0700 before its entries are read, so nothing the unpacking user still runs can swap an
 * entry for a link while the tree is checked. Then files become 0644 (0755 when executable),
 * directories 0755: readable by the app user, writable by no one else, no setuid bits.
 */

export interface TreeOwner {
  uid: number;
  gid: number;
}

interface Entry {
  /** As bytes: a name that is not UTF-8 must still name its own file. */
  path: Buffer;
  relative: string;
  kind: 'directory' | 'file' | 'symlink';
  executable: boolean;
}

export async function sealUnpackedTree(root: string, unpackedBy: number, owner: TreeOwner | undefined, limits: ArchiveLimits): Promise<void> {
  const rootStat = await lstat(root);
  if (!rootStat.isDirectory() || rootStat.uid !== unpackedBy) throw new Error(`${root} is not the unpacking directory it should be`);
  const entries: Entry[] = [];
  const symlinks = new Map<string, string>();
  let bytes = 0;
  const pending: Array<{ path: Buffer; relative: string }> = [{ path: Buffer.from(root), relative: '' }];
  while (pending.length > 0) {
    const directory = pending.pop()!;
    if (owner) await lchown(directory.path, owner.uid, owner.gid);
    await chmod(directory.path, 0o700);
    entries.push({ ...directory, kind: 'directory', executable: true });
    for (const nameBytes of await readdir(directory.path, { encoding: 'buffer' })) {
      const path = Buffer.concat([directory.path, Buffer.from('/'), nameBytes]);
      const name = nameBytes.toString('latin1');
      const relative = directory.relative === '' ? name : `${directory.relative}/${name}`;
      const stat = await lstat(path);
      if (stat.uid !== unpackedBy) throw new ArchiveProblem(`'${displayName(relative)}' was not made by the unpacking (it belongs to uid ${stat.uid})`);
      if (stat.isDirectory()) {
        pending.push({ path, relative });
      } else if (stat.isFile()) {
        if (stat.nlink !== 1) throw new ArchiveProblem(`'${displayName(relative)}' has ${stat.nlink} hard links; hard links are not accepted`);
        bytes += stat.size;
        entries.push({ path, relative, kind: 'file', executable: (stat.mode & 0o111) !== 0 });
      } else if (stat.isSymbolicLink()) {
        symlinks.set(relative, (await readlink(path, { encoding: 'buffer' })).toString('latin1'));
        entries.push({ path, relative, kind: 'symlink', executable: false });
      } else {
        throw new ArchiveProblem(`'${displayName(relative)}' is not a file, directory or symbolic link`);
      }
      if (entries.length - 1 > limits.files) throw new ArchiveProblem(`the package holds more than ${limits.files} members, the most a package may hold`);
      if (bytes > limits.unpackedBytes) throw new ArchiveProblem(`the unpacked package holds more than ${limits.unpackedBytes} bytes, the most a package may hold`);
    }
  }
  for (const [relative, target] of symlinks) {
    if (symlinkEscapes(relative, target, symlinks)) {
      throw new ArchiveProblem(`'${displayName(relative)}' is a symbolic link to '${displayName(target)}', which points outside the package`);
    }
  }
  for (const entry of entries) {
    if (entry.kind === 'directory') continue;
    if (owner) await lchown(entry.path, owner.uid, owner.gid);
    if (entry.kind === 'file') await chmod(entry.path, entry.executable ? 0o755 : 0o644);
  }
  for (const entry of entries) if (entry.kind === 'directory') await chmod(entry.path, 0o755);
}
