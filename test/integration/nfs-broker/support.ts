import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { createNfsBroker, nfsCatalogPath, type NfsBrokerConfig, type NfsVolumeBroker } from '../../../brokers/nfs';
import { startBroker, type Osb } from '../../support/osb-harness';

/** The NFS broker in-process over its real catalog, and the requests a platform sends it. */

export const NFS_SERVICE_ID = '59f5fa97-c1ef-4bef-badb-bcf63b1b49b7';
export const EXISTING_PLAN_ID = '689f3aa4-b3c5-4fbb-9426-deaa8756604f';
export const MANAGED_PLAN_ID = '0d2c1d2a-8de1-46ee-ab26-178163ea67c5';

export function startNfsBroker(config: NfsBrokerConfig): Osb {
  return startBroker<NfsVolumeBroker>({ broker: createNfsBroker(config), catalog: nfsCatalogPath }).osb;
}

export const provision = (osb: Osb, planId: string, parameters: Record<string, unknown>, instanceId: string = randomUUID()) =>
  osb.put(`/v2/service_instances/${instanceId}`).send({ service_id: NFS_SERVICE_ID, plan_id: planId, organization_guid: 'org-1', space_guid: 'space-1', parameters });

export const bind = (osb: Osb, instanceId: string, planId: string, parameters: Record<string, unknown> = {}, bindingId: string = randomUUID()) =>
  osb.put(`/v2/service_instances/${instanceId}/service_bindings/${bindingId}`).send({
    service_id: NFS_SERVICE_ID,
    plan_id: planId,
    bind_resource: { app_guid: randomUUID() },
    parameters,
  });

export const deprovision = (osb: Osb, instanceId: string, planId: string) =>
  osb.delete(`/v2/service_instances/${instanceId}?service_id=${NFS_SERVICE_ID}&plan_id=${planId}`);

/** libnfs's nfs-ls, to see the server through a client that is not ours. */
export async function nfsLs(url: string): Promise<string> {
  return (await promisify(execFile)('nfs-ls', [url], { encoding: 'utf8' })).stdout;
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers: an NFS server that hangs. */
export async function blackHole(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that was just listened on and closed, so connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}
