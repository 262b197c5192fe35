import { createLogger } from '../../../sdk/logging';
import { connectNfs, NfsError, Nfs3Status, type NfsClient } from '../../../sdk/volume/nfs';
import { loadFuseModule, withFuseOptions } from './fuse-binding';
import { isMountRequest, MOUNT_PROCESS_MARKER, type MountReplyMessage, type MountRequestMessage } from './fuse-protocol';
import { mountFailureReason } from './mount-failure';
import { lazyUnmount, mountAt } from './mount-table';
import { NfsFuseFs } from './nfs-fuse-fs';

/**
 * One FUSE mount of one NFS share, as a process of its own (started by FuseMounter): a server
 * that hangs, or a crash in the native FUSE binding, stays inside this process and this mount.
 * Run as `node fuse-process.js osbkit-nfs-mount <mountpoint>`; the rest comes over IPC.
 */

/** Bytes per READ and WRITE, and how many are outstanding; bench:nfs measures them. */
const CHUNK_BYTES = 1024 * 1024;
const READ_WINDOW = 4;
const WRITE_WINDOW = 8;
const COMMIT_EVERY_BYTES = 32 * 1024 * 1024;
/** The kernel's own limit for one FUSE WRITE with libfuse 2 (big_writes). */
const FUSE_MAX_WRITE = 128 * 1024;
/** How long a stop may spend writing back what is still behind before it unmounts anyway. */
const STOP_FLUSH_MS = 10_000;
/** How often the process looks whether its mount is still there (someone may have unmounted it). */
const WATCH_MS = 2000;

const logger = createLogger({ name: 'nfs-mount' });

function reply(message: MountReplyMessage): void {
  process.send?.(message);
}

async function mount(request: MountRequestMessage): Promise<NfsFuseFs> {
  const fuse = loadFuseModule();
  if ('problem' in fuse) throw new Error(fuse.problem);
  const client = await connectNfs(
    { host: request.host, path: request.path, version: 3 },
    { uid: request.serverUid, gid: request.serverGid, timeoutMs: request.opTimeoutMs, ...(request.portmapPort !== undefined && { portmapPort: request.portmapPort }) },
  );
  try {
    const root = await client.resolve(client.urlPath);
    if (root.attributes.type !== 'directory') throw new NfsError(Nfs3Status.NFS3ERR_NOTDIR, 'LOOKUP', request.path);
    const fs = new NfsFuseFs({
      client,
      root,
      readOnly: request.readOnly,
      ids: { serverUid: request.serverUid, serverGid: request.serverGid, appUid: request.appUid, appGid: request.appGid },
      opTimeoutMs: request.opTimeoutMs,
      readAhead: { chunkSize: Math.min(CHUNK_BYTES, client.readChunkSize), window: READ_WINDOW },
      writeBehind: { chunkSize: Math.min(CHUNK_BYTES, client.writeChunkSize), window: WRITE_WINDOW, commitEveryBytes: COMMIT_EVERY_BYTES },
      logger,
    });
    const options = [
      ...(request.allowOther ? ['allow_other'] : []),
      ...(request.readOnly ? ['ro'] : []),
      'big_writes',
      `max_write=${FUSE_MAX_WRITE}`,
      `max_read=${FUSE_MAX_WRITE}`,
      `max_readahead=${CHUNK_BYTES}`,
      `fsname=${fsName(request)}`,
      'subtype=osbkit-nfs',
    ];
    const Fuse = withFuseOptions(fuse.module, options);
    // The binding's own bound on an operation, behind the file system's: it answers ETIMEDOUT.
    const instance = new Fuse(request.mountpoint, fs.operations(), { timeout: request.opTimeoutMs + 5000 });
    await new Promise<void>((resolve, reject) => instance.mount((error) => (error ? reject(error) : resolve())));
    const mounted = await mountAt(request.mountpoint);
    if (mounted === undefined) throw new Error(`${request.mountpoint} is not in the mount table after mounting`);
    serveUntilStopped(fs, client, request.mountpoint, mounted.device);
    return fs;
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}

/** The name mount tables show: the share, with the characters libfuse reads as separators left out. */
function fsName(request: MountRequestMessage): string {
  return `${request.host}:${request.path}`.replace(/[,\\\s]/g, '_');
}

/**
 * Until SIGTERM: then what is behind is written (within STOP_FLUSH_MS), the mount detached and
 * the process ends. Only this process's own mount is detached (it is told by its device
 * number), never a later one at the same path. A mount someone else took away ends it too.
 */
function serveUntilStopped(fs: NfsFuseFs, client: NfsClient, mountpoint: string, device: string): void {
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const flushed = await Promise.race([fs.flushAll().then(() => true), delay(STOP_FLUSH_MS).then(() => false)]);
    if (!flushed) logger.warn({ mountpoint }, `writes still behind after ${STOP_FLUSH_MS} ms are dropped: the server does not answer`);
    if ((await mountAt(mountpoint))?.device === device) {
      const problem = await lazyUnmount(mountpoint, 'fuse');
      if (problem !== undefined) logger.warn({ mountpoint, problem }, 'fusermount -u -z failed');
    }
    await Promise.race([client.close(), delay(2000)]);
    logger.info({ mountpoint, why }, 'unmounted');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const watch = setInterval(() => {
    void mountAt(mountpoint).then((entry) => {
      if (entry?.device !== device) void stop('the mount was taken away');
    });
  }, WATCH_MS);
  watch.unref();
  // The FUSE thread keeps no handle on the event loop; this keeps the process serving.
  setInterval(() => undefined, 1 << 30);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function main(): void {
  if (process.argv[2] !== MOUNT_PROCESS_MARKER || process.send === undefined) {
    process.stderr.write('fuse-process: started by the NFS volume driver only\n');
    process.exit(2);
  }
  // A driver that dies closes the channel; the mount goes on serving the app until it is told to stop.
  process.on('disconnect', () => logger.info({ mountpoint: process.argv[3] }, 'driver went away; the mount stays'));
  process.once('message', (message: unknown) => {
    if (!isMountRequest(message)) {
      reply({ type: 'failed', reason: 'invalid mount request' });
      process.exit(2);
    }
    mount(message).then(
      () => {
        logger.info({ mountpoint: message.mountpoint, server: message.host, path: message.path, readOnly: message.readOnly }, 'mounted');
        reply({ type: 'mounted' });
      },
      (error: unknown) => {
        logger.warn({ mountpoint: message.mountpoint, err: error instanceof Error ? error.message : String(error) }, 'mount failed');
        reply({ type: 'failed', reason: mountFailureReason(error) });
        // Gives the reply time to leave before the process ends.
        setTimeout(() => process.exit(1), 100);
      },
    );
  });
}

main();
