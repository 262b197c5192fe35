import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import request, { type Test } from 'supertest';
import { createBroker, type AuthOption, type BrokerApp, type CreateBrokerOptions, type ServiceBroker, type StateStore } from '../../sdk';
import { osbPaths, type Query } from '../../sdk/testkit/context';
import { ConformanceBroker } from './conformance-broker';
import { CountingStore } from './counting-store';
import { PLAN_SMALL, SERVICE_ID, testCatalog } from './fixtures';

/** Everything a conformance test needs to talk OSB to an SDK broker in-process. */

export const CREDENTIALS = { username: 'platform', password: 'correct-horse-battery' };
export const API_VERSION = '2.17';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A supertest agent that sends what a well-behaved platform sends: Basic auth and the version
 * header. It talks to a handler in-process, or to a URL such as the one `app.listen` gives.
 */
export class Osb {
  constructor(
    readonly target: Handler | string,
    /** null sends no Authorization header. */
    private readonly credentials: { username: string; password: string } | null = CREDENTIALS,
    /** null sends no X-Broker-API-Version header. */
    private readonly version: string | null = API_VERSION,
  ) {}

  get(path: string): Test {
    return this.prepare(request(this.target).get(path));
  }

  put(path: string, body?: unknown): Test {
    const test = this.prepare(request(this.target).put(path));
    return body === undefined ? test : test.send(body as object);
  }

  patch(path: string, body?: unknown): Test {
    const test = this.prepare(request(this.target).patch(path));
    return body === undefined ? test : test.send(body as object);
  }

  delete(path: string): Test {
    return this.prepare(request(this.target).delete(path));
  }

  private prepare(test: Test): Test {
    if (this.credentials) test.auth(this.credentials.username, this.credentials.password);
    if (this.version !== null) test.set('X-Broker-API-Version', this.version);
    return test;
  }
}

/** The OSB paths, as the testkit (osbkit/testkit) builds them: one definition for both suites. */
export const paths = osbPaths;

/** The query a DELETE needs: service_id and plan_id (both required), plus extras. */
export function deleteQuery(planId: string = PLAN_SMALL, extra: Query = {}, serviceId: string = SERVICE_ID): Query {
  return { service_id: serviceId, plan_id: planId, ...extra };
}

export function provisionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service_id: SERVICE_ID,
    plan_id: PLAN_SMALL,
    organization_guid: 'org-guid-1',
    space_guid: 'space-guid-1',
    context: { platform: 'cloudfoundry', organization_guid: 'org-guid-1', space_guid: 'space-guid-1', instance_name: 'db' },
    parameters: { size: 3, name: 'orders' },
    ...overrides,
  };
}

export function bindBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service_id: SERVICE_ID,
    plan_id: PLAN_SMALL,
    bind_resource: { app_guid: 'app-guid-1' },
    parameters: { read_only: true },
    ...overrides,
  };
}

/** Pino output as parsed objects, for tests that check what was logged. */
export interface CapturedLogs {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

export function captureLogs(level = 'info'): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const stream = {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  return { logger: pino({ level }, stream), lines };
}

export interface TestBroker<B extends ServiceBroker = ConformanceBroker> {
  app: BrokerApp;
  broker: B;
  store: CountingStore;
  osb: Osb;
}

export interface TestBrokerOptions<B extends ServiceBroker> extends Partial<Omit<CreateBrokerOptions, 'broker' | 'store'>> {
  broker?: B;
  store?: StateStore;
}

const open = new Set<BrokerApp>();

/** A broker over the test catalog, closed by `closeBrokers` (call it in afterEach). */
export function startBroker<B extends ServiceBroker = ConformanceBroker>(options: TestBrokerOptions<B> = {}): TestBroker<B> {
  const broker = (options.broker ?? new ConformanceBroker()) as B;
  const store = new CountingStore(options.store);
  const auth: AuthOption = options.auth ?? CREDENTIALS;
  const app = createBroker({
    ...options,
    catalog: options.catalog ?? testCatalog(),
    broker,
    store,
    auth,
    logger: options.logger ?? pino({ level: 'silent' }),
    engine: { stepIntervalMs: 10, leaseMs: 5_000, scanIntervalMs: 60_000, syncTimeoutMs: 5_000, ...options.engine },
  });
  open.add(app);
  return { app, broker, store, osb: new Osb(app.handler) };
}

export async function closeBrokers(): Promise<void> {
  const apps = [...open];
  open.clear();
  await Promise.all(apps.map((app) => app.close()));
}

/** Polls `probe` until it returns something truthy; fails with `what` after the deadline. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls a last_operation endpoint until the state is no longer "in progress"; returns the final answer. */
export async function pollLastOperation(osb: Osb, path: string): Promise<request.Response> {
  let last: request.Response | undefined;
  await waitFor(async () => {
    last = await osb.get(path);
    return last.status !== 200 || last.body.state !== 'in progress';
  }, `${path} to finish`);
  return last!;
}

/** Lets `ms` of background work happen, for checks that something did NOT happen. */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
