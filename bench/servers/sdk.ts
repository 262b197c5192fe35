import { createServer } from 'node:http';
import express from 'express';
import { createBroker, createLogDestination, createLogger, SqliteStore, type ServiceBroker } from '../../sdk';
import { BENCH_CATALOG, arg, checkpointMode, portArg, ready } from './common';

/**
 * A trivial broker on the SDK with the durable SQLite store, logging one line per request
 * (to a file, as a production broker would to its log) with the SDK's default logger. `--mode router` mounts the SDK's
 * express Router in an express app instead of serving the node:http handler directly.
 * `--checkpoints auto` leaves WAL checkpoints to SQLite inside commits instead of the store's
 * thread (see checkpointMode in common.ts).
 */
const broker: ServiceBroker = {
  async provision() {
    return { dashboardUrl: 'https://dashboard.example/bench' };
  },
  async deprovision() {},
  async update() {},
  async bind() {
    return { credentials: { username: 'bench', password: 'bench-password' } };
  },
  async unbind() {},
  async getInstance() {
    return {};
  },
  async getBinding() {
    return {};
  },
};

async function main(): Promise<void> {
  // The logger an SDK broker gets by default (redaction included), writing to a file.
  const logger = createLogger({ name: 'bench', destination: createLogDestination({ path: arg('log') ?? '/dev/null' }) });
  const app = createBroker({
    catalog: BENCH_CATALOG,
    broker,
    store: new SqliteStore({ path: arg('db')!, ...(checkpointMode() === 'auto' ? { checkpointIntervalMs: 0 } : {}) }),
    auth: { username: 'bench', password: 'bench-secret' },
    logger,
  });
  await app.start();
  const port = portArg();
  if (arg('mode') === 'router') {
    const outer = express();
    outer.use(app.router());
    outer.listen(port, '127.0.0.1', () => ready(port));
  } else {
    createServer(app.handler).listen(port, '127.0.0.1', () => ready(port));
  }
}

void main();

// A clean exit lets `node --cpu-prof` write its profile.
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
