import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validApiSecret } from './api-secret';
import { Cell, type CellOptions } from './cell';
import { describeError } from './logger';
import { createCellApp } from './server';

export interface StartCellOptions extends CellOptions {
  /** 0 picks a free port. */
  port: number;
  /** Loopback only (default 127.0.0.1). */
  host?: string;
  /** What every API request must carry as `Authorization: Bearer`; see api-secret.ts. */
  apiSecret: string;
}

export interface RunningCell {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Log followers hold their connections open indefinitely.
    server.closeAllConnections();
  });
}

/** Starts a cell (purging leftovers of a previous one) and its HTTP API. */
export async function startCell(options: StartCellOptions): Promise<RunningCell> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`the cell API binds loopback addresses only, not ${host}`);
  // Checked before the purge runs, so a misconfigured cell changes nothing.
  validApiSecret(options.apiSecret);
  const cell = new Cell(options);
  await cell.start();
  const server = createServer(createCellApp(cell, options.logger, { apiSecret: options.apiSecret }));
  let address: AddressInfo;
  try {
    address = await listen(server, options.port, host);
  } catch (error) {
    await cell.shutdown();
    throw error;
  }
  const printableHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${printableHost}:${address.port}`;
  options.logger.info({ url }, 'cell API listening');
  return {
    url,
    async close() {
      await closeServer(server).catch((error: unknown) => {
        options.logger.error({ err: describeError(error) }, 'cannot close the cell API');
      });
      await cell.shutdown();
    },
  };
}
