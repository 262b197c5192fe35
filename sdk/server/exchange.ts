import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog';
import type { Engine } from '../engine/engine';
import { errors, toOsbError, type OsbError } from '../errors';
import type { RequestLine, RequestLineWriter } from '../request-line';
import type { BrokerMetrics } from '../metrics';
import type { StateStore } from '../store/types';
import type { Authenticator } from './auth';
import type { HandlerContext, HandlerResult, RouteSpec } from './context';
import { readJsonBody, sendJson } from './http';
import { checkApiVersion, readCaller } from './preconditions';

/** What every request of one broker shares. */
export interface ExchangeDeps {
  logger: Logger;
  /**
   * Each endpoint's request line: `logger` is a child with the method and endpoint bound
   * (pino serialises bindings once), without redaction since the lines' fields are the SDK's
   * own and hold no secrets; `write` writes the usual line, of a request with the endpoint's
   * own method, through it.
   */
  requestLines: ReadonlyMap<string, { logger: Logger; write: RequestLineWriter }>;
  metrics: BrokerMetrics | undefined;
  metricsPublic: boolean;
  store: StateStore;
  authenticate: Authenticator;
  engine: Engine;
  catalog: Catalog;
  bodyLimit: number;
  bodyDepthLimit: number;
  /** Resolves once the store and the broker are started; undefined once they are. */
  pendingStart(): Promise<void> | undefined;
  isClosed(): boolean;
}

export type RouteTarget = { spec: RouteSpec } | { metrics: true };

/** One request, from a matched route to its answer and log line. */
export class Exchange {
  private readonly log: HandlerContext['log'] = {};
  private readonly endpoint: string;
  /** An answer about a change goes out only once the change is durable. */
  private readonly mustSync: boolean;

  constructor(
    private readonly deps: ExchangeDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly route: RouteTarget,
    private readonly params: Record<string, string | undefined>,
    private readonly query: URLSearchParams,
    private readonly requestId: string | undefined,
    /** performance.now() when the request arrived. */
    private readonly began: number,
  ) {
    this.endpoint = 'spec' in route ? route.spec.endpoint : 'metrics';
    this.mustSync = req.method !== 'GET' && deps.store.sync !== undefined;
  }

  /** Answers the request; never rejects, since every failure becomes an error answer. */
  async run(): Promise<void> {
    try {
      if (this.deps.isClosed()) throw errors.unavailable('The service broker is shutting down.');
      // What answers at once is not awaited: each await is a turn of the microtask queue. With
      // the shared header object of sendJson and readCaller built without spreads, this took a
      // catalog from about 80,500 to 75,400 instructions per request (7 %; npm run
      // bench:instructions -- catalog, SQLite's own checkpoints, 2026-12-06).
      const starting = this.deps.pendingStart();
      if (starting) await this.started(starting);
      if (!('metrics' in this.route && this.deps.metricsPublic)) {
        const allowed = this.deps.authenticate(this.req);
        if (allowed !== true && (allowed === false || !(await allowed))) throw errors.unauthorized();
      }
      if ('metrics' in this.route) return await this.serveMetrics();
      const spec = this.route.spec;
      // Headers are checked before the body is read, so a bad header never waits for a body.
      const caller = readCaller(this.req, checkApiVersion(this.req, spec.minMinor));
      const body = spec.readsBody ? await readJsonBody(this.req, this.deps.bodyLimit, this.deps.bodyDepthLimit) : undefined;
      const { engine, catalog } = this.deps;
      const result = spec.handler({ req: this.req, params: this.params, query: this.query, caller, body, engine, catalog, log: this.log });
      this.respond(result instanceof Promise ? await result : result);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Starts the store and the broker on the first request, when the app was not started. */
  private async started(starting: Promise<void>): Promise<void> {
    try {
      await starting;
    } catch (error) {
      throw errors.unavailable('The service broker cannot reach its state store or backing service yet; try again later.', error);
    }
  }

  private async serveMetrics(): Promise<void> {
    const registry = this.deps.metrics!.registry;
    const text = await registry.metrics();
    this.res.writeHead(200, { 'content-type': registry.contentType });
    this.res.end(text);
    this.finish(200);
  }

  private respond(result: HandlerResult): void {
    this.whenDurable(() => this.send(result));
  }

  private fail(thrown: unknown): void {
    const error = toOsbError(thrown);
    this.whenDurable(() => this.sendError(error));
  }

  /** Runs `answer` once every change this request made is durable; a failed sync is a 500. */
  private whenDurable(answer: () => void): void {
    if (!this.mustSync) return answer();
    this.deps.store.sync!().then(answer, (error: unknown) => this.sendError(errors.internal(error)));
  }

  /** Every answer echoes the request identity, errors included. */
  private answerHeaders(): Record<string, string> | undefined {
    return this.requestId ? { 'x-broker-api-request-identity': this.requestId } : undefined;
  }

  private send(result: HandlerResult): void {
    let headers = this.answerHeaders();
    try {
      if ('raw' in result) sendJson(this.res, result.status, result.raw, headers);
      else {
        if (result.retryAfter !== undefined) (headers ??= {})['retry-after'] = String(result.retryAfter);
        sendJson(this.res, result.status, result.body, headers);
      }
    } catch (error) {
      // A body that cannot be serialised: send runs in a promise callback after the sync, where
      // a throw would be an unhandled rejection, so it becomes a 500 here.
      this.sendError(errors.internal(error));
      return;
    }
    this.finish(result.status);
  }

  private sendError(error: OsbError): void {
    let headers = this.answerHeaders();
    if (error.status === 401 && this.deps.authenticate.kind === 'basic') (headers ??= {})['www-authenticate'] = 'Basic realm="osbkit"';
    if (!this.res.headersSent) sendJson(this.res, error.status, error.toBody(this.endpoint), headers);
    else this.res.end();
    this.finish(error.status, error);
  }

  private finish(status: number, error?: OsbError): void {
    const durationMs = performance.now() - this.began;
    this.deps.metrics?.observeRequest(this.endpoint, status, durationMs / 1000);
    const line: RequestLine = {
      requestId: this.requestId,
      instanceId: this.log.instanceId,
      bindingId: this.log.bindingId,
      status,
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    if (error && status >= 500) {
      this.deps.logger.error({ method: this.req.method, endpoint: this.endpoint, ...line, err: error.cause ?? error }, 'request failed');
    } else if (this.req.method !== ('spec' in this.route ? this.route.spec.method : 'GET')) {
      // The endpoint's method is bound; a HEAD routed to a GET endpoint says so itself.
      this.deps.requestLines.get(this.endpoint)!.logger.info({ method: this.req.method, ...line }, 'request');
    } else {
      this.deps.requestLines.get(this.endpoint)!.write(line);
    }
  }
}
