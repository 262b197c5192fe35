import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import pino from 'pino';
import { createBroker, type BrokerApp, type ServiceBroker } from '../../../../sdk';

/**
 * A real SDK broker over HTTP, with two test hooks in front of it: every request is
 * recorded (method, path, query, headers, body) and an interceptor may answer a request
 * itself, for the misbehaviour the SDK never produces (malformed bodies, 204, 408, hangs).
 */

export const BROKER_CREDENTIALS = { username: 'broker-user', password: 'broker-pass-Zq81xLw' };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

/** Answers the request itself (returns true) or lets the SDK broker handle it. */
export type Interceptor = (req: Request, res: Response) => boolean | Promise<boolean>;

export interface TestBroker {
  url: string;
  requests: RecordedRequest[];
  app: BrokerApp;
  intercept: Interceptor | undefined;
  /** Requests with this method whose path starts with the prefix. */
  received(method: string, pathPrefix: string): RecordedRequest[];
  stop(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function shut(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startTestBroker(options: { catalog: Record<string, unknown>; broker: ServiceBroker; intercept?: Interceptor }): Promise<TestBroker> {
  const app = createBroker({
    catalog: options.catalog,
    broker: options.broker,
    auth: BROKER_CREDENTIALS,
    logger: pino({ level: 'silent' }),
    engine: { stepIntervalMs: 20, leaseMs: 5_000, scanIntervalMs: 60_000, syncTimeoutMs: 5_000, defaultRetryAfterSeconds: 1 },
  });
  await app.start();
  const requests: RecordedRequest[] = [];
  const web = express();
  const broker: TestBroker = {
    url: '',
    requests,
    app,
    intercept: options.intercept,
    received: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)),
    stop: async () => {
      await shut(server);
      await app.close();
    },
  };
  web.use(express.json());
  web.use(async (req, res, next) => {
    requests.push({
      method: req.method,
      path: req.path,
      query: Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)])),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body: req.body,
    });
    try {
      if (broker.intercept && (await broker.intercept(req, res))) return;
    } catch (error) {
      next(error);
      return;
    }
    app.handle(req, res, next);
  });
  const server = createServer(web);
  broker.url = await listen(server);
  return broker;
}

/** A broker that serves only a catalog, which may be one the SDK would refuse to serve. */
export async function startCatalogOnlyBroker(catalog: unknown): Promise<{ url: string; stop(): Promise<void> }> {
  const web = express();
  web.get('/v2/catalog', (_req, res) => {
    res.json(catalog);
  });
  const server = createServer(web);
  const url = await listen(server);
  return { url, stop: () => shut(server) };
}

/** A URL where nothing listens. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await shut(server);
  return url;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The parameters a PUT carried, for interceptors that act on `fail`. */
export function failMode(req: Request): string | undefined {
  const body = req.body as { parameters?: { fail?: unknown } } | undefined;
  return req.method === 'PUT' && typeof body?.parameters?.fail === 'string' ? body.parameters.fail : undefined;
}

export function decodeIdentity(header: string | undefined): { platform: string; value: Record<string, unknown> } | undefined {
  if (!header) return undefined;
  const [platform, encoded] = header.split(' ');
  return { platform: platform ?? '', value: JSON.parse(Buffer.from(encoded ?? '', 'base64').toString('utf8')) as Record<string, unknown> };
}
