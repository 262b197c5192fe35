import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readNfsServerFile, type NfsServerFile } from '../../bench/nfs/server-file';
import { connectNfs, type NfsClient, type NfsConnectOptions } from '../../sdk/volume';

/**
 * The shared NFS-Ganesha that scripts/nfs/start-ganesha.sh runs (scripts/ensure-services.sh
 * starts it for `npm test`). Its whereabouts are in the server file it writes; a missing file
 * fails the test, never skips it. Each test file works in its own directory under the export,
 * named uniquely for the run, and removes only that.
 */

export type NfsTestServer = NfsServerFile;

/** The shared server; a missing server file fails the test with the command that starts it. */
export function nfsTestServer(): NfsTestServer {
  return readNfsServerFile();
}

/** A directory of this run under the shared export, made through NFS as root. */
export interface NfsRunDir {
  server: NfsTestServer;
  /** Path inside the export, e.g. "/osbkit-test-1234-ab12cd34". */
  path: string;
  /** The same directory's server path, for URLs. */
  serverPath: string;
  /** nfs:// URL of the directory, with uid=0&gid=0 and the fixed ports. */
  url(relative?: string, query?: string): string;
  /** A client as root on the export. */
  root: NfsClient;
  connect(options?: NfsConnectOptions): Promise<NfsClient>;
  remove(): Promise<void>;
}

export async function makeNfsRunDir(label: string): Promise<NfsRunDir> {
  const server = nfsTestServer();
  const path = `/osbkit-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const base = `nfs://${server.host}${server.export}`;
  const connect = (options: NfsConnectOptions = {}): Promise<NfsClient> =>
    connectNfs(`${base}?version=3`, { uid: 0, gid: 0, nfsPort: server.nfsPort, mountPort: server.mountPort, timeoutMs: 20_000, ...options });
  const root = await connect();
  await root.mkdir(path, { mode: 0o755 });
  return {
    server,
    path,
    serverPath: `${server.export}${path}`,
    url: (relative = '', query = 'uid=0&gid=0') => `${base}${path}${relative ? `/${relative.replace(/^\/+/, '')}` : ''}?version=3&${query}`,
    root,
    connect,
    remove: async () => {
      try {
        await root.rm(path, { recursive: true, force: true });
      } finally {
        await root.close();
        // The export is on this machine: whatever NFS could not remove goes too, and only this run's directory.
        if (server.host === '127.0.0.1' && path.startsWith('/osbkit-test-')) rmSync(`${server.export}${path}`, { recursive: true, force: true });
      }
    },
  };
}
