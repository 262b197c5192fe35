import { PortmapError } from './errors';
import { RpcConnection } from './rpc-connection';
import { NO_AUTH } from './rpc-message';

/** The portmapper (RFC 1833, version 2 of program 100000): which TCP port serves a program. */

export const PORTMAP_PORT = 111;
const PMAPPROC_GETPORT = { program: 100000, version: 2, procedure: 3, name: 'PMAPPROC_GETPORT' };
const IPPROTO_TCP = 6;

export interface PortmapOptions {
  /** The portmapper's own port. Default 111. */
  port?: number;
  timeoutMs?: number;
}

/** Asks the portmapper on `host` for the TCP port of `program` `version`; a port of 0 means "not registered". */
export async function getPort(host: string, program: number, version: number, options: PortmapOptions = {}): Promise<number> {
  const connection = new RpcConnection({ host, port: options.port ?? PORTMAP_PORT, timeoutMs: options.timeoutMs ?? 10_000, connectTimeoutMs: options.timeoutMs ?? 10_000 });
  try {
    const reader = await connection.call(
      PMAPPROC_GETPORT,
      NO_AUTH,
      (w) => w.uint32(program).uint32(version).uint32(IPPROTO_TCP).uint32(0),
      { idempotent: true },
    );
    const port = reader.uint32();
    if (port === 0 || port > 65535) throw new PortmapError(program, version, host);
    return port;
  } finally {
    await connection.close();
  }
}
