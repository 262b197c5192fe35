import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ApiError } from './api';
import { IgnoreRules } from './cf-ignore';

/**
 * What `osbkit push` uploads: the app directory's files, directories and symbolic links,
 * less what cf leaves out and what `.cfignore` names, packed by the system's GNU tar
 * (hard links stored as files, owners as 0, setuid and setgid bits dropped) and gzip-compressed.
 */

export interface AppFiles {
  root: string;
  /** Relative paths as the file system has them (bytes), parents before what they hold. */
  paths: Buffer[];
  files: number;
  bytes: number;
  /** Sockets, FIFOs and devices: never uploaded. */
  skipped: string[];
}

export function collectAppFiles(root: string): AppFiles {
  if (!existsSync(root)) throw new ApiError(`The app directory '${root}' does not exist.`);
  if (!statSync(root).isDirectory()) throw new ApiError(`'${root}' is not a directory; push uploads a directory's files.`);
  const cfignore = join(root, '.cfignore');
  const rules = IgnoreRules.from(existsSync(cfignore) ? readFileSync(cfignore, 'utf8') : undefined);
  const found: AppFiles = { root, paths: [], files: 0, bytes: 0, skipped: [] };
  const walk = (relative: Buffer): void => {
    const directory = relative.length === 0 ? Buffer.from(root) : Buffer.concat([Buffer.from(`${root}/`), relative]);
    for (const name of readdirSync(directory, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const path = relative.length === 0 ? name : Buffer.concat([relative, Buffer.from('/'), name]);
      const stat = lstatSync(Buffer.concat([directory, Buffer.from('/'), name]));
      const shown = path.toString('utf8');
      if (rules.ignores(shown, stat.isDirectory())) continue;
      if (stat.isDirectory()) {
        found.paths.push(path);
        walk(path);
      } else if (stat.isFile() || stat.isSymbolicLink()) {
        found.paths.push(path);
        found.files++;
        if (stat.isFile()) found.bytes += stat.size;
      } else {
        found.skipped.push(shown);
      }
    }
  };
  walk(Buffer.alloc(0));
  if (found.files === 0) throw new ApiError(`No app files found in '${root}'.`);
  return found;
}

const TAR_ARGUMENTS = [
  '--create', '--file=-', '--format=gnu', '--no-recursion', '--null', '--verbatim-files-from', '--files-from=-',
  '--hard-dereference', '--owner=0', '--group=0', '--numeric-owner', '--mode=ug-s',
];

/** Writes the gzip-compressed tar archive of `files` to `archive`; answers its size. */
export async function packAppFiles(files: AppFiles, archive: string): Promise<number> {
  const tar = spawn('tar', TAR_ARGUMENTS, {
    cwd: files.root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.once('error', (error) => reject(new ApiError(`Cannot run tar to pack the app's files: ${error.message}`)));
    tar.once('close', resolve);
  });
  tar.stdin.on('error', () => undefined);
  tar.stdin.end(Buffer.concat(files.paths.flatMap((path) => [path, Buffer.from([0])])));
  const [, code] = await Promise.all([pipeline(tar.stdout, createGzip(), createWriteStream(archive, { mode: 0o600 })), exited]);
  if (code !== 0) throw new ApiError(`tar could not pack the app's files (exit status ${String(code)}): ${stderr.trim().split('\n').slice(0, 3).join('; ')}`);
  return statSync(archive).size;
}
