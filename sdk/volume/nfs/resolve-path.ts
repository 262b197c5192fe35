import { NfsError, NfsPathError, NfsSymlinkError, Nfs3Status } from './errors';
import type { Nfs3 } from './nfs3';
import type { Fattr3 } from './nfs3-types';

/**
 * Turns a path inside the export into a file handle one component at a time with LOOKUP, the
 * way a kernel walks a path, so the server never sees a path string and a symbolic link is
 * only ever followed when the caller asked for it. ".." stops at the export's root, and a link
 * whose target is absolute is taken from the export's root too, so resolution cannot leave
 * the export.
 */

/** Linux's limit on links followed while resolving one path. */
const MAX_SYMLINK_HOPS = 40;

export interface ResolvedNode {
  handle: Buffer;
  attributes: Fattr3;
  /** Canonical path from the export's root, "/" for the root itself. */
  path: string;
}

export interface ResolveOptions {
  /** Follow symbolic links met on the way and at the end. Default false. */
  followSymlinks?: boolean;
}

/** A path's components; empty components (from "//" or a trailing "/") are dropped. */
export function pathComponents(path: string): string[] {
  if (typeof path !== 'string') throw new NfsPathError(String(path), 'a path must be a string');
  if (path.includes('\0')) throw new NfsPathError(path, 'a path may not contain NUL');
  return path.split('/').filter((part) => part !== '');
}

/** Splits a path into the directory part and a final name that can be created or removed. */
export function splitParent(path: string): { parent: string; name: string } {
  const parts = pathComponents(path);
  const name = parts.pop();
  if (name === undefined) throw new NfsPathError(path, 'names the export root, which has no parent');
  if (name === '.' || name === '..') throw new NfsPathError(path, `cannot end in "${name}"`);
  return { parent: `/${parts.join('/')}`, name };
}

export class PathResolver {
  constructor(
    private readonly nfs: Nfs3,
    private readonly root: { handle: Buffer; attributes: Fattr3 },
  ) {}

  async resolve(path: string, options: ResolveOptions = {}): Promise<ResolvedNode> {
    const follow = options.followSymlinks ?? false;
    const stack: ResolvedNode[] = [{ ...this.root, path: '/' }];
    const queue = pathComponents(path);
    let hops = 0;
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (name === '.') continue;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const dir = stack[stack.length - 1]!;
      if (dir.attributes.type !== 'directory') throw new NfsError(Nfs3Status.NFS3ERR_NOTDIR, 'LOOKUP', path);
      const nodePath = dir.path === '/' ? `/${name}` : `${dir.path}/${name}`;
      const found = await withPath(path, this.nfs.lookup(dir.handle, name));
      const attributes = found.attributes ?? (await withPath(path, this.nfs.getattr(found.handle)));
      if (attributes.type === 'symlink' && (follow || queue.length > 0)) {
        if (!follow) throw new NfsSymlinkError(path, nodePath, 'not-followed');
        if (++hops > MAX_SYMLINK_HOPS) throw new NfsSymlinkError(path, nodePath, 'too-many-links');
        const target = await withPath(path, this.nfs.readlink(found.handle));
        if (target.startsWith('/')) stack.length = 1;
        queue.unshift(...pathComponents(target));
        continue;
      }
      stack.push({ handle: found.handle, attributes, path: nodePath });
    }
    return stack[stack.length - 1]!;
  }

  /** The directory that holds `path`'s last component, and that component's name. */
  async resolveParent(path: string, options: ResolveOptions = {}): Promise<{ dir: ResolvedNode; name: string }> {
    const { parent, name } = splitParent(path);
    const dir = await this.resolve(parent, options);
    if (dir.attributes.type === 'symlink') throw new NfsSymlinkError(path, dir.path, 'not-followed');
    if (dir.attributes.type !== 'directory') throw new NfsError(Nfs3Status.NFS3ERR_NOTDIR, 'LOOKUP', path);
    return { dir, name };
  }
}

/** Gives an NfsError from a raw procedure the high-level path it was working on. */
export async function withPath<T>(path: string, operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof NfsError && error.path === undefined) throw new NfsError(error.status, error.procedure, path);
    throw error;
  }
}
