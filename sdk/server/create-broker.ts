import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import type { Logger } from 'pino';
import { asyncModeBroker, type AsyncModeOptions } from '../async-mode';
import type { ServiceBroker } from '../broker';
import { Catalog } from '../catalog/catalog';
import { Engine, type EngineOptions } from '../engine/engine';
import { OsbError, errors } from '../errors';
import { DEFAULT_JSON_DEPTH_LIMIT } from '../json';
import { createLogger } from '../logging';
import { requestLineWriter, type RequestLineWriter } from '../request-line';
import { BrokerMetrics } from '../metrics';
import type { StateStore } from '../store/types';
import { MemoryStore } from '../store/memory';
import { createAuthenticator, type AuthOption } from './auth';
import { ROUTES } from './handlers';
import { sendJson, splitUrl } from './http';
import { Exchange, type ExchangeDeps, type RouteTarget } from './exchange';
import { checkBrokerAgainstCatalog } from './capabilities';

export interface CreateBrokerOptions {
  /** A Catalog, a path to a .yaml/.yml/.json file, or the catalog document itself. */
  catalog: Catalog | string | Record<string, unknown>;
  broker: ServiceBroker;
  /** Defaults to an in-memory store, which loses everything on restart: pass a SqliteStore in production. */
  store?: StateStore;
  /** Required unless `{ none: true }` is passed deliberately. */
  auth: AuthOption;
  logger?: Logger;
  /** Serve Prometheus metrics at /metrics (behind the same auth unless metricsPublic). */
  metrics?: boolean;
  metricsPublic?: boolean;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Deepest accepted nesting of objects and arrays in a request body (default 64); deeper gets 400. */
  bodyDepthLimit?: number;
  engine?: Partial<EngineOptions>;
  /**
   * Answer every provision, update, deprovision, bind and unbind asynchronously (202, then
   * last_operation), `delaySeconds` before the broker's own method runs; 422 AsyncRequired
   * without accepts_incomplete=true. A test target for platforms; see sdk/async-mode.ts.
   */
  asyncMode?: AsyncModeOptions;
}

export interface BrokerApp {
  /** A node:http request handler, usable with http.createServer, https or any framework. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The same handler for a framework: unknown paths go to `next`. */
  handle: (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;
  /** An express Router to mount in an existing express app. */
  router(): import('express').Router;
  /** Initialises the store, calls broker.start and resumes unfinished operations. */
  start(): Promise<void>;
  /** Listens on host:port (127.0.0.1 by default); resolves with the URL. */
  listen(port: number, host?: string): Promise<{ url: string; server: Server }>;
  /**
   * Stops the servers `listen` made (they take no new connections; requests under way
   * finish), then the engine, the broker (broker.stop) and the store.
   */
  close(): Promise<void>;
  readonly catalog: Catalog;
  readonly store: StateStore;
  readonly metrics: BrokerMetrics | undefined;
}

const DEFAULT_ENGINE: EngineOptions = {
  leaseMs: 30_000,
  stepIntervalMs: 1_000,
  scanIntervalMs: 15_000,
  retentionMs: 3 * 24 * 60 * 60_000,
  syncTimeoutMs: 50_000,
  defaultRetryAfterSeconds: 2,
};

export function createBroker(options: CreateBrokerOptions): BrokerApp {
  const logger = options.logger ?? createLogger();
  const catalog = options.catalog instanceof Catalog
    ? options.catalog
    : typeof options.catalog === 'string'
      ? Catalog.load(options.catalog)
      : Catalog.from(options.catalog);
  checkBrokerAgainstCatalog(options.broker, catalog);
  const store: StateStore = options.store ?? new MemoryStore();
  const authenticate = createAuthenticator(options.auth);
  if (authenticate.kind === 'none') logger.warn('this broker accepts requests without authentication');
  const metrics = options.metrics ? new BrokerMetrics(store) : undefined;
  const broker = options.asyncMode ? asyncModeBroker(options.broker, options.asyncMode) : options.broker;
  const engine = new Engine(store, catalog, broker, logger, { ...DEFAULT_ENGINE, ...options.engine }, metrics);
  const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
  const bodyDepthLimit = options.bodyDepthLimit ?? DEFAULT_JSON_DEPTH_LIMIT;

  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 4096 });
  for (const spec of ROUTES) router.on(spec.method, spec.path, () => undefined, { spec } satisfies RouteTarget);
  if (metrics) router.on('GET', '/metrics', () => undefined, { metrics: true } satisfies RouteTarget);

  let started: Promise<void> | undefined;
  let ready = false;
  let closed = false;
  const listening = new Set<Server>();
  const start = (): Promise<void> => {
    started ??= (async () => {
      await store.init();
      await options.broker.start?.();
      await engine.start();
      logger.info({ offerings: catalog.allOfferings().length, plans: catalog.allPlans().length }, 'service broker ready');
      ready = true;
    })().catch((error: unknown) => {
      // A backing service that is down at boot must not leave the broker broken for good:
      // the next request tries again.
      started = undefined;
      throw error;
    });
    return started;
  };

  const requestLines = new Map<string, { logger: Logger; write: RequestLineWriter }>();
  const addRequestLine = (method: string, endpoint: string): void => {
    const lineLogger = logger.child({ method, endpoint }, { redact: { paths: [] } });
    requestLines.set(endpoint, { logger: lineLogger, write: requestLineWriter(logger, lineLogger, method, endpoint) });
  };
  for (const spec of ROUTES) addRequestLine(spec.method, spec.endpoint);
  addRequestLine('GET', 'metrics');

  const exchangeDeps: ExchangeDeps = {
    logger,
    requestLines,
    metrics,
    metricsPublic: options.metricsPublic === true,
    store,
    authenticate,
    engine,
    catalog,
    bodyLimit,
    bodyDepthLimit,
    pendingStart: () => (ready ? undefined : start()),
    isClosed: () => closed,
  };

  const handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    const began = performance.now();
    const { path, query } = splitUrl(req.url ?? '/');
    const found = router.find(req.method as 'GET', path);
    const requestId = req.headers['x-broker-api-request-identity'];
    const echoed = typeof requestId === 'string' && requestId !== '' ? requestId : undefined;
    if (!found) {
      if (next) return next();
      const allowed = ROUTES.some((r) => router.find(r.method, path) !== null);
      const err = allowed
        ? new OsbError(405, `${req.method} is not allowed on ${path}.`, { code: 'MethodNotAllowed' })
        : errors.notFound(`No such endpoint: ${req.method} ${path}.`);
      sendJson(res, err.status, err.toBody(), echoed ? { 'x-broker-api-request-identity': echoed } : undefined);
      return;
    }
    new Exchange(exchangeDeps, req, res, found.store as RouteTarget, found.params, query, echoed, began).run();
  };

  const app: BrokerApp = {
    handler: (req, res) => handle(req, res),
    handle,
    router() {
      // Loaded lazily so standalone brokers never pay for express.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const express = require('express') as typeof import('express');
      const expressRouter = express.Router();
      expressRouter.use((req, res, next) => handle(req, res, next));
      return expressRouter;
    },
    start,
    async listen(port, host = '127.0.0.1') {
      await start();
      const server = createServer(app.handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      listening.add(server);
      server.on('close', () => {
        listening.delete(server);
        void app.close();
      });
      return { url: `http://${shownHost}:${address.port}`, server };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listening].map(stopServer));
      await engine.close();
      await options.broker.stop?.();
      await store.close();
    },
    catalog,
    store,
    metrics,
  };
  return app;
}

/**
 * Closes a server: its idle keep-alive connections at once, a busy one as soon as its answer
 * has gone (node closes only those idle when close() is called, and would keep the others
 * until its keep-alive timeout), and any still busy after SERVER_CLOSE_GRACE_MS, so that a
 * client that never ends its request cannot hold close() up.
 */
// Half the 10 s osbkit up waits before SIGKILL (Kubernetes waits 30 s), so the engine and the store still get to close.
const SERVER_CLOSE_GRACE_MS = 5_000;
const IDLE_SWEEP_MS = 50;

function stopServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const force = setTimeout(() => server.closeAllConnections(), SERVER_CLOSE_GRACE_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
