import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import type { Logger } from 'pino';
import type { ServiceBroker } from '../broker';
import { Catalog } from '../catalog/catalog';
import { Engine, type EngineOptions } from '../engine/engine';
import { OsbError, errors, toOsbError } from '../errors';
import { createLogger } from '../logging';
import { BrokerMetrics } from '../metrics';
import type { StateStore } from '../store/types';
import { MemoryStore } from '../store/memory';
import { createAuthenticator, type AuthOption } from './auth';
import type { HandlerContext, HandlerResult, RouteSpec } from './context';
import { ROUTES } from './handlers';
import { readJsonBody, sendJson, splitUrl } from './http';
import { checkApiVersion, readCaller } from './preconditions';
import type { StoredCaller } from '../engine/steps';
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
  engine?: Partial<EngineOptions>;
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
  close(): Promise<void>;
  readonly catalog: Catalog;
  readonly store: StateStore;
  readonly engine: Engine;
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

type RouteStore = { spec: RouteSpec } | { metrics: true };

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

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
  const engine = new Engine(store, catalog, options.broker, logger, { ...DEFAULT_ENGINE, ...options.engine }, metrics);
  const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;

  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 4096 });
  for (const spec of ROUTES) router.on(spec.method, spec.path, () => undefined, { spec } satisfies RouteStore);
  if (metrics) router.on('GET', '/metrics', () => undefined, { metrics: true } satisfies RouteStore);

  let started: Promise<void> | undefined;
  let ready = false;
  let closed = false;
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

  const handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    const began = process.hrtime.bigint();
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
      sendJson(res, err.status, err.toBody(), echoed ? { 'x-broker-api-request-identity': echoed } : {});
      return;
    }
    const route = found.store as RouteStore;
    const log: HandlerContext['log'] = {};
    const endpoint = 'spec' in route ? route.spec.endpoint : 'metrics';
    const finish = (status: number, error?: OsbError): void => {
      const durationMs = Number(process.hrtime.bigint() - began) / 1e6;
      metrics?.observeRequest(endpoint, status, durationMs / 1000);
      const line = {
        requestId: echoed,
        method: req.method,
        endpoint,
        ...log,
        status,
        durationMs: Math.round(durationMs * 1000) / 1000,
      };
      if (error && status >= 500) logger.error({ ...line, err: error.cause ?? error }, 'request failed');
      else logger.info(line, 'request');
    };
    // An answer about a change goes out only once the change is durable.
    const mustSync = req.method !== 'GET' && store.sync !== undefined;
    const respond = (result: HandlerResult): void => {
      if (mustSync) {
        store.sync!().then(() => send(result), (error: unknown) => sendError(errors.internal(error)));
        return;
      }
      send(result);
    };
    const send = (result: HandlerResult): void => {
      const headers: Record<string, string> = {};
      if (echoed) headers['x-broker-api-request-identity'] = echoed;
      if ('raw' in result) sendJson(res, result.status, result.raw, headers);
      else {
        if (result.retryAfter !== undefined) headers['retry-after'] = String(result.retryAfter);
        sendJson(res, result.status, result.body, headers);
      }
      finish(result.status);
    };
    const fail = (thrown: unknown): void => {
      const error = toOsbError(thrown);
      if (mustSync) {
        store.sync!().then(() => sendError(error), (syncError: unknown) => sendError(errors.internal(syncError)));
        return;
      }
      sendError(error);
    };
    const sendError = (error: OsbError): void => {
      const headers: Record<string, string> = {};
      if (echoed) headers['x-broker-api-request-identity'] = echoed;
      if (error.status === 401 && authenticate.kind === 'basic') headers['www-authenticate'] = 'Basic realm="osbkit"';
      if (!res.headersSent) sendJson(res, error.status, error.toBody(), headers);
      else res.end();
      finish(error.status, error);
    };

    // The common case runs without a single await (a started broker, Basic auth, a handler
    // that answers from memory); anything asynchronous falls back to promises.
    const serveMetrics = async (): Promise<void> => {
      const text = await metrics!.registry.metrics();
      res.writeHead(200, { 'content-type': metrics!.registry.contentType });
      res.end(text);
      finish(200);
    };
    const dispatch = (spec: RouteSpec, body: unknown): void | Promise<void> => {
      const result = spec.handler({ req, params: found.params, query, caller: callerOf(spec), body, engine, catalog, log });
      if (isPromise(result)) return result.then(respond);
      respond(result);
    };
    let caller: StoredCaller | undefined;
    const callerOf = (spec: RouteSpec): StoredCaller => (caller ??= readCaller(req, checkApiVersion(req, spec.minMinor)));
    const afterAuth = (): void | Promise<void> => {
      if ('metrics' in route) return serveMetrics();
      const spec = route.spec;
      callerOf(spec);
      if (spec.readsBody) return readJsonBody(req, bodyLimit).then((body) => dispatch(spec, body));
      return dispatch(spec, undefined);
    };
    const afterStart = (): void | Promise<void> => {
      if ('metrics' in route && options.metricsPublic) return afterAuth();
      const allowed = authenticate(req);
      if (isPromise(allowed)) {
        return allowed.then((ok) => {
          if (!ok) throw errors.unauthorized();
          return afterAuth();
        });
      }
      if (!allowed) throw errors.unauthorized();
      return afterAuth();
    };
    try {
      if (closed) throw errors.unavailable('The service broker is shutting down.');
      const pending = ready
        ? afterStart()
        : start().then(afterStart, (error: unknown) => {
            throw errors.unavailable('The service broker cannot reach its state store or backing service yet; try again later.', error);
          });
      if (isPromise(pending)) pending.catch(fail);
    } catch (error) {
      fail(error);
    }
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
      server.on('close', () => void app.close());
      return { url: `http://${shownHost}:${address.port}`, server };
    },
    async close() {
      if (closed) return;
      closed = true;
      await engine.close();
      await options.broker.stop?.();
      await store.close();
    },
    catalog,
    store,
    engine,
    metrics,
  };
  return app;
}
