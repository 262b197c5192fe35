import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { connectNfs, isNfsError, Nfs3Status, type NfsClient, type NfsDirEntry, type NfsStats } from '../../sdk/volume';
import { ok, printJson } from '../output';
import type { GlobalOptions } from './shared';

/**
 * `osbkit nfs ls|cat|cp|mkdir|rm URL`: the SDK's NFSv3 client from the command line, with
 * libnfs-style URLs (nfs://host/export/path?uid=..&gid=..&nfsport=..&mountport=..&version=3).
 * Symbolic links are only followed with --follow.
 */

const URL_HELP = 'nfs://host/export/path[?uid=N&gid=N&nfsport=N&mountport=N&version=3]';

const isNfsUrl = (value: string): boolean => /^nfs:\/\//i.test(value);

async function withNfs<T>(url: string, work: (client: NfsClient) => Promise<T>): Promise<T> {
  const client = await connectNfs(url);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

const TYPE_LETTERS: Record<NfsStats['type'], string> = {
  file: '-',
  directory: 'd',
  symlink: 'l',
  'block-device': 'b',
  'char-device': 'c',
  socket: 's',
  fifo: 'p',
};

function modeString(stats: NfsStats): string {
  const bits = 'rwxrwxrwx'.split('').map((letter, i) => (stats.mode & (0o400 >> i) ? letter : '-'));
  return TYPE_LETTERS[stats.type] + bits.join('');
}

function entryJson(entry: { name: string; attributes: NfsStats }) {
  const a = entry.attributes;
  return { name: entry.name, type: a.type, mode: `0${a.mode.toString(8)}`, uid: a.uid, gid: a.gid, size: a.size, mtime: new Date(a.mtime.seconds * 1000).toISOString() };
}

/** Counts the bytes that pass, for "copied N bytes". */
function byteCounter(): { counter: Transform; bytes: () => number } {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { counter, bytes: () => bytes };
}

/** An nfs:// destination that names an existing directory receives the file under the source's name. */
async function nfsTarget(client: NfsClient, sourceName: string): Promise<string> {
  try {
    const stats = await client.stat(client.urlPath, { followSymlinks: true });
    return stats.type === 'directory' ? `${client.urlPath.replace(/\/$/, '')}/${sourceName}` : client.urlPath;
  } catch (error) {
    if (isNfsError(error, Nfs3Status.NFS3ERR_NOENT)) return client.urlPath;
    throw error;
  }
}

function localTarget(path: string, sourceName: string): string {
  try {
    return statSync(path).isDirectory() ? join(path, sourceName) : path;
  } catch {
    return path;
  }
}

const lastName = (path: string): string => basename(path) || 'file';

export function registerNfsCommands(program: Command, globals: () => GlobalOptions): void {
  const nfs = program.command('nfs').description(`Use an NFSv3 export directly (URLs: ${URL_HELP})`);

  nfs
    .command('ls')
    .description('List a directory (or show one file)')
    .argument('<url>', URL_HELP)
    .option('-l, --long', 'mode, owner, group, size and name, as nfs-ls prints them')
    .option('--follow', 'follow symbolic links in the path')
    .action(async (url: string, options: { long?: boolean; follow?: boolean }) => {
      await withNfs(url, async (client) => {
        const follow = { followSymlinks: options.follow ?? false };
        const stats = await client.stat(client.urlPath, follow);
        const entries: Array<Pick<NfsDirEntry, 'name' | 'attributes'>> =
          stats.type === 'directory' ? await client.readdir(client.urlPath, follow) : [{ name: lastName(client.urlPath), attributes: stats }];
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        if (globals().json) return printJson(entries.map(entryJson));
        for (const { name, attributes: a } of entries) {
          console.log(options.long ? `${modeString(a)} ${a.nlink} ${String(a.uid).padStart(5)} ${String(a.gid).padStart(5)} ${String(a.size).padStart(12)} ${name}` : name);
        }
      });
    });

  nfs
    .command('cat')
    .description('Write a file to stdout')
    .argument('<url>', URL_HELP)
    .option('--follow', 'follow symbolic links')
    .action(async (url: string, options: { follow?: boolean }) => {
      await withNfs(url, (client) => pipeline(client.createReadStream(client.urlPath, { followSymlinks: options.follow ?? false }), process.stdout, { end: false }));
    });

  nfs
    .command('cp')
    .description('Copy a file: local to nfs://, nfs:// to local, or nfs:// to nfs://')
    .argument('<source>', `a local file or ${URL_HELP}`)
    .argument('<destination>', 'a local path or an nfs:// URL; an existing directory receives the file under its name')
    .option('--follow', 'follow symbolic links on the NFS side')
    .action(async (source: string, destination: string, options: { follow?: boolean }) => {
      if (!isNfsUrl(source) && !isNfsUrl(destination)) throw new Error('nfs cp: the source or the destination must be an nfs:// URL.');
      const follow = { followSymlinks: options.follow ?? false };
      const { counter, bytes } = byteCounter();
      if (isNfsUrl(source) && isNfsUrl(destination)) {
        await withNfs(source, (from) =>
          withNfs(destination, async (to) => {
            const target = await nfsTarget(to, lastName(from.urlPath));
            await pipeline(from.createReadStream(from.urlPath, follow), counter, to.createWriteStream(target, follow));
          }),
        );
      } else if (isNfsUrl(source)) {
        await withNfs(source, async (from) => {
          const target = localTarget(destination, lastName(from.urlPath));
          await pipeline(from.createReadStream(from.urlPath, follow), counter, createWriteStream(target));
        });
      } else {
        if (!statSync(source).isFile()) throw new Error(`nfs cp: ${source} is not a regular file.`);
        await withNfs(destination, async (to) => {
          const target = await nfsTarget(to, basename(source));
          await pipeline(createReadStream(source), counter, to.createWriteStream(target, follow));
        });
      }
      if (globals().json) printJson({ copied: bytes() });
      else ok(`copied ${bytes()} bytes`, globals());
    });

  nfs
    .command('mkdir')
    .description('Make a directory')
    .argument('<url>', URL_HELP)
    .option('-p, --parents', 'make missing parents too; an existing directory is fine')
    .option('-m, --mode <octal>', 'permission bits', '755')
    .action(async (url: string, options: { parents?: boolean; mode: string }) => {
      if (!/^[0-7]{1,4}$/.test(options.mode)) throw new Error(`--mode must be octal permission bits such as 755, got ${JSON.stringify(options.mode)}.`);
      await withNfs(url, (client) => client.mkdir(client.urlPath, { recursive: options.parents ?? false, mode: parseInt(options.mode, 8) }));
    });

  nfs
    .command('rm')
    .description('Remove a file or link; directories with -r')
    .argument('<url>', URL_HELP)
    .option('-r, --recursive', 'remove directories and their contents')
    .option('-f, --force', 'succeed when the path does not exist')
    .action(async (url: string, options: { recursive?: boolean; force?: boolean }) => {
      await withNfs(url, (client) =>
        client.rm(client.urlPath, { recursive: options.recursive ?? false, force: options.force ?? false }).catch((error: unknown) => {
          if (isNfsError(error, Nfs3Status.NFS3ERR_ISDIR)) throw new Error(`${error.message}; use -r to remove a directory and its contents.`);
          throw error;
        }),
      );
    });
}
