import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chown, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ArchiveProblem, TarScanner, type ArchiveLimits, type ArchiveSummary } from './package-archive';
import { sealUnpackedTree, type TreeOwner } from './unpacked-tree';

/**
 * Where uploaded app bits live and how they get there: `<dataDir>/packages/<guid>/`, the
 * controller's and mode 0700, holds `upload` (the archive as sent, 0600, removed once
 * unpacked) and `bits/` (what the cell copies into each container).
 *
 * Unpacking: the upload is read once by the strict reader (package-archive.ts); only then is
 * it given, decompressed and cut at its end marker, to GNU tar on standard input, running as
 * the app user in the empty `bits/` (entered before the uid changes, so that user can reach
 * nothing else of the data dir). Last, sealUnpackedTree checks what tar made and hands it to
 * the controller's user, read-only for everyone else.
 */

export interface PackageLimits extends ArchiveLimits {
  /** The most bytes an upload may have; reading stops there. */
  uploadBytes: number;
}

export const DEFAULT_PACKAGE_LIMITS: PackageLimits = {
  uploadBytes: 1024 ** 3,
  unpackedBytes: 2 * 1024 ** 3,
  files: 100_000,
};

/** The client went away before the whole upload arrived. */
export class UploadInterrupted extends Error {
  constructor() {
    super('the upload was interrupted');
    this.name = 'UploadInterrupted';
  }
}

const TAR_TIMEOUT_MS = 30 * 60_000;
const STDERR_LIMIT = 4096;
const END_OF_ARCHIVE = Buffer.alloc(1024);

/** GNU tar, told to keep to what the strict reader already allowed and to apply nothing else. */
const TAR_ARGUMENTS = [
  '--extract', '--file=-', '--no-same-owner', '--no-same-permissions', '--keep-old-files',
  '--no-acls', '--no-selinux', '--no-xattrs', '--warning=no-unknown-keyword', '--warning=no-timestamp',
];

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Resolves once the chunk is handed on; rejects when the reader went away (its callback always comes). */
function write(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    if (stream.destroyed || stream.writableEnded) {
      reject(new Error('the reader went away'));
      return;
    }
    stream.write(chunk, (error) => (error ? reject(error) : resolveWrite()));
  });
}

export class PackageBits {
  readonly root: string;

  /**
   * `unpackAs`: the unprivileged user tar runs as (the cell's app user) when the controller
   * is root; without it tar runs as the controller's own user.
   */
  constructor(
    dataDir: string,
    readonly limits: PackageLimits,
    private readonly unpackAs: TreeOwner | undefined,
  ) {
    this.root = join(resolve(dataDir), 'packages');
  }

  private directoryOf(packageGuid: string): string {
    if (!/^[0-9a-f-]{36}$/.test(packageGuid)) throw new Error(`not a package guid: ${packageGuid}`);
    return join(this.root, packageGuid);
  }

  /** The unpacked files of a READY package: the LRP's appDir. */
  bitsDir(packageGuid: string): string {
    return join(this.directoryOf(packageGuid), 'bits');
  }

  /**
   * Stores `body` (at most `uploadBytes`; a larger `declaredLength` is refused before
   * anything is read) and unpacks it into bitsDir. Throws ArchiveProblem for anything the
   * sender can fix, UploadInterrupted when the sender went away; leaves nothing behind then.
   */
  async receive(packageGuid: string, body: Readable, declaredLength: number | undefined): Promise<{ checksum: string; summary: ArchiveSummary }> {
    const tooLarge = (): ArchiveProblem => new ArchiveProblem(`the upload is larger than ${this.limits.uploadBytes} bytes, the most a package may be`);
    if (declaredLength !== undefined && declaredLength > this.limits.uploadBytes) throw tooLarge();
    const directory = this.directoryOf(packageGuid);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await rm(directory, { recursive: true, force: true });
    await mkdir(directory, { mode: 0o700 });
    try {
      const upload = join(directory, 'upload');
      const checksum = await this.store(body, upload, tooLarge);
      const compressed = isGzip(await this.head(upload));
      const summary = await this.scan(upload, compressed);
      const bits = this.bitsDir(packageGuid);
      await mkdir(bits, { mode: 0o700 });
      if (this.unpackAs) await chown(bits, this.unpackAs.uid, this.unpackAs.gid);
      await this.untar(upload, compressed, summary.length, bits);
      await sealUnpackedTree(bits, this.unpackAs?.uid ?? process.getuid?.() ?? 0, this.unpackAs ? this.controllerUser() : undefined, this.limits);
      await rm(upload, { force: true });
      return { checksum, summary };
    } catch (error) {
      await this.remove(packageGuid);
      throw error;
    }
  }

  async remove(packageGuid: string): Promise<void> {
    await rm(this.directoryOf(packageGuid), { recursive: true, force: true });
  }

  /** Directories of packages that are not in `keep` (left by a controller that stopped while unpacking). */
  async removeAllBut(keep: ReadonlySet<string>): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const removed = names.filter((name) => !keep.has(name));
    for (const name of removed) await rm(join(this.root, name), { recursive: true, force: true });
    return removed;
  }

  private controllerUser(): TreeOwner {
    return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  }

  /** Copies the body to `path`, stopping at the limit; returns its SHA-256. */
  private async store(body: Readable, path: string, tooLarge: () => ArchiveProblem): Promise<string> {
    const file = await open(path, 'wx', 0o600);
    const hash = createHash('sha256');
    let bytes = 0;
    // Not destroyed when left early: the request must stay open for the answer.
    const chunks = body.iterator({ destroyOnReturn: false });
    try {
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await chunks.next();
        } catch {
          throw new UploadInterrupted();
        }
        if (next.done) break;
        const buffer = next.value as Buffer;
        bytes += buffer.length;
        if (bytes > this.limits.uploadBytes) throw tooLarge();
        hash.update(buffer);
        await file.write(buffer);
      }
    } finally {
      await file.close();
    }
    if (!body.readableEnded) throw new UploadInterrupted();
    return hash.digest('hex');
  }

  private async head(path: string): Promise<Buffer> {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(2);
      const { bytesRead } = await file.read(buffer, 0, 2, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }

  /** The upload's tar stream, decompressed when it is gzip. */
  private tarStream(path: string, compressed: boolean): Readable {
    const file = createReadStream(path);
    if (!compressed) return file;
    const gunzip = createGunzip();
    file.on('error', (error) => gunzip.destroy(error));
    gunzip.on('close', () => file.destroy());
    return file.pipe(gunzip);
  }

  private async scan(path: string, compressed: boolean): Promise<ArchiveSummary> {
    const scanner = new TarScanner(this.limits);
    const stream = this.tarStream(path, compressed);
    try {
      for await (const chunk of stream) {
        if (scanner.write(chunk as Buffer)) break;
      }
    } catch (error) {
      if (error instanceof ArchiveProblem) throw error;
      if (compressed) throw new ArchiveProblem('the gzip data is corrupt or truncated');
      throw error;
    } finally {
      stream.destroy();
    }
    return scanner.finish();
  }

  /** Gives tar exactly the `length` bytes the scanner read, then an end marker. */
  private async untar(path: string, compressed: boolean, length: number, into: string): Promise<void> {
    const tar = spawn('tar', TAR_ARGUMENTS, {
      cwd: into,
      ...(this.unpackAs ? { uid: this.unpackAs.uid, gid: this.unpackAs.gid } : {}),
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    tar.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolveExit, reject) => {
      tar.once('error', reject);
      tar.once('close', (code) => resolveExit(code));
    });
    const timer = setTimeout(() => tar.kill('SIGKILL'), TAR_TIMEOUT_MS);
    // A tar that stops reading early (it failed) closes the pipe; its exit status says why.
    tar.stdin.on('error', () => undefined);
    const feeding = (async () => {
      const stream = this.tarStream(path, compressed);
      let remaining = length;
      try {
        for await (const chunk of stream) {
          const buffer = chunk as Buffer;
          const part = buffer.subarray(0, Math.min(buffer.length, remaining));
          remaining -= part.length;
          await write(tar.stdin, part);
          if (remaining === 0) break;
        }
        await write(tar.stdin, END_OF_ARCHIVE);
      } finally {
        stream.destroy();
        tar.stdin.end();
      }
    })();
    try {
      const [code] = await Promise.all([exited, feeding.catch(() => undefined)]);
      if (code !== 0) {
        const reason = stderr.split('\n').map((line) => line.trim()).filter(Boolean).slice(0, 3).join('; ');
        throw new ArchiveProblem(`tar could not unpack the archive${reason ? `: ${reason}` : ` (exit status ${String(code)})`}`);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
