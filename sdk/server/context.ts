import type { IncomingMessage } from 'node:http';
import type { Catalog } from '../catalog/catalog';
import type { EngineContext } from '../engine/context';
import type { StoredCaller } from '../store/types';

/** What each endpoint handler receives: the request already authenticated and its headers checked. */
export interface HandlerContext {
  req: IncomingMessage;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  caller: StoredCaller;
  /** The parsed JSON body for PUT and PATCH; undefined otherwise. */
  body: unknown;
  engine: EngineContext;
  catalog: Catalog;
  /** Ids the handler resolved, for the request's log line. */
  log: { instanceId?: string; bindingId?: string };
}

/** The HTTP answer: a JSON body, or one serialised once at start (the catalog). */
export type HandlerResult =
  | { status: number; body: object; /** Seconds, for the Retry-After header. */ retryAfter?: number }
  | { status: number; raw: Buffer };

/** Answers at once (the catalog does) or with a promise. */
export type Handler = (ctx: HandlerContext) => HandlerResult | Promise<HandlerResult>;

export interface RouteSpec {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** A short stable name for logs and metrics. */
  endpoint: string;
  handler: Handler;
  readsBody: boolean;
  /** The lowest X-Broker-API-Version minor this endpoint exists in. */
  minMinor: number;
}
