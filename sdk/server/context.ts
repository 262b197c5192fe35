import type { IncomingMessage } from 'node:http';
import type { Catalog } from '../catalog/catalog';
import type { Engine, Outcome } from '../engine/engine';
import type { StoredCaller } from '../engine/steps';

/** What each endpoint handler receives: the request already authenticated and its headers checked. */
export interface HandlerContext {
  req: IncomingMessage;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  caller: StoredCaller;
  /** The parsed JSON body for PUT and PATCH; undefined otherwise. */
  body: unknown;
  engine: Engine;
  catalog: Catalog;
  /** Ids the handler resolved, for the request's log line. */
  log: { instanceId?: string; bindingId?: string };
}

export type HandlerResult = Outcome | { status: number; raw: Buffer };

/** May answer synchronously (the catalog does), which saves the hot path a promise. */
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
