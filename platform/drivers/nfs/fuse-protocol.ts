/**
 * What the driver and one FUSE mount process say to each other over the child's IPC channel.
 * The driver sends one `mount`; the process answers `mounted` or `failed` and then serves the
 * mount until SIGTERM (or SIGKILL), independently of the driver: a driver that dies leaves its
 * mounts working, and the next one adopts them from its state file.
 */

/** Marks the mount processes' command lines, so a driver recognises its own after a restart. */
export const MOUNT_PROCESS_MARKER = 'osbkit-nfs-mount';

export interface MountRequestMessage {
  type: 'mount';
  /** The server and the path of the share's directory on it. */
  host: string;
  path: string;
  /** AUTH_SYS identity on the server, and the app's identity those files are shown as. */
  serverUid: number;
  serverGid: number;
  appUid: number;
  appGid: number;
  readOnly: boolean;
  mountpoint: string;
  opTimeoutMs: number;
  portmapPort?: number;
  /** libfuse mount options besides the ones the process always sets. */
  allowOther: boolean;
}

export type MountReplyMessage = { type: 'mounted' } | { type: 'failed'; reason: string };

export function isMountRequest(value: unknown): value is MountRequestMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  const ids = ['serverUid', 'serverGid', 'appUid', 'appGid', 'opTimeoutMs'].every((key) => Number.isSafeInteger(message[key]));
  return (
    message.type === 'mount' &&
    typeof message.host === 'string' &&
    typeof message.path === 'string' &&
    typeof message.mountpoint === 'string' &&
    typeof message.readOnly === 'boolean' &&
    typeof message.allowOther === 'boolean' &&
    ids &&
    (message.portmapPort === undefined || Number.isSafeInteger(message.portmapPort))
  );
}

export function isMountReply(value: unknown): value is MountReplyMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  return message.type === 'mounted' || (message.type === 'failed' && typeof message.reason === 'string');
}
