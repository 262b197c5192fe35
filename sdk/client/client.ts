import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type {
  BindRequest, BindResponse, Catalog, FetchBindingResponse, FetchInstanceResponse, LastOperationResponse,
  ProvisionRequest, ProvisionResponse, UpdateRequest, UpdateResponse,
} from '../openapi';
import { formatOriginatingIdentity } from '../identity';
import { DEFAULT_JSON_DEPTH_LIMIT, exceedsJsonDepth, isPlainObject } from '../json';
import { quoteBrokerValue } from './broker-text';
import { bindingPathOf, enc, instancePath, query, queryPrefixed, sep } from './paths';
import { sharedOsbAgents, type OsbAgents } from './agent';
import { exchange, parseBrokerTarget, type BrokerTarget } from './transport';
import {
  OsbMalformedResponseError, OsbPollingTimeoutError, OsbRequestError, OsbResponseError, OsbTimeoutError, OsbTransportError,
} from './errors';

/**
 * A typed OSB 2.17 client for platforms: every endpoint, identity headers, and polling. What
 * answers may be anything a URL points at, so it follows no redirects, reads no more of an
 * answer than its limit, refuses JSON nested deeper than its depth limit, and keeps nothing
 * of an error body but the JSON object (whose `description` errors quote, cleaned and short).
 * Requests go over node:http with keep-alive agents (sdk/client/agent.ts): a quarter to a
 * third of the instructions per call the client took on fetch (docs/benchmarks.md, OSB client).
 */

export interface OsbClientOptions {
  url: string;
  username?: string;
  password?: string;
  apiVersion?: string;
  /** Per request; the spec names about 60 s as what platforms use. */
  timeoutMs?: number;
  /** The most bytes of a catalog answer read (default 10 MiB); reading stops there. */
  catalogLimitBytes?: number;
  /** The most bytes of any other answer read (default 1 MiB); reading stops there. */
  answerLimitBytes?: number;
  /** The deepest nesting of objects and arrays accepted in an answer (default 64). */
  jsonDepthLimit?: number;
  /**
   * The keep-alive connections to send over (node:http and node:https agents); their owner
   * closes them. Without it, the client shares a process-wide pair whose idle connections
   * close by themselves and never hold the process open.
   */
  agent?: OsbAgents;
}

export const DEFAULT_CATALOG_LIMIT_BYTES = 10 * 1024 * 1024;
export const DEFAULT_ANSWER_LIMIT_BYTES = 1024 * 1024;

export interface Identity {
  platform: string;
  value: Record<string, unknown>;
}

export interface CallOptions {
  /** Sent as X-Broker-API-Originating-Identity (omit for platform-initiated calls). */
  identity?: Identity;
  /** Sent as X-Broker-API-Request-Identity; a fresh UUID when omitted. */
  requestId?: string;
  acceptsIncomplete?: boolean;
}

export interface Answer<T> {
  status: number;
  body: T;
  requestId: string;
}

export interface AsyncAnswer<T> extends Answer<T> {
  /** True when the broker answered 202 and the caller must poll. */
  async: boolean;
  operation?: string;
}

export interface PlanRef {
  service_id: string;
  plan_id: string;
}

export interface LastOperationAnswer extends Answer<LastOperationResponse> {
  /** From the Retry-After header, when the broker sent one. */
  retryAfterSeconds?: number;
  /** The broker answered 410 Gone (meaningful only for delete operations). */
  gone: boolean;
}

export interface WaitOptions {
  operation?: string;
  service_id?: string;
  plan_id?: string;
  /** True for deprovision/unbind: a 410 then means success. */
  isDelete?: boolean;
  /** The plan's maximum_polling_duration and/or the platform's own limit; the lower one wins. */
  maxPollingSeconds?: number;
  defaultIntervalMs?: number;
  signal?: AbortSignal;
  onPoll?: (answer: LastOperationAnswer) => void;
}

type Method = 'GET' | 'PUT' | 'PATCH' | 'DELETE';

export class OsbClient {
  private readonly base: string;
  private readonly authHeader: string | undefined;
  private readonly apiVersion: string;
  private readonly timeoutMs: number;
  private readonly catalogLimitBytes: number;
  private readonly answerLimitBytes: number;
  private readonly jsonDepthLimit: number;
  private readonly target: BrokerTarget | { problem: string };
  private readonly agents: OsbAgents;

  constructor(options: OsbClientOptions) {
    // An older caller's fake fetch (for tests) would otherwise be ignored while real requests go out.
    if ('fetch' in options) throw new TypeError('OsbClient: the fetch option is gone; requests go over node:http (pass agent: createOsbAgents() to use agents of your own)');
    this.base = options.url.replace(/\/+$/, '');
    this.authHeader = options.username !== undefined
      ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`
      : undefined;
    this.apiVersion = options.apiVersion ?? '2.17';
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.catalogLimitBytes = options.catalogLimitBytes ?? DEFAULT_CATALOG_LIMIT_BYTES;
    this.answerLimitBytes = options.answerLimitBytes ?? DEFAULT_ANSWER_LIMIT_BYTES;
    this.jsonDepthLimit = options.jsonDepthLimit ?? DEFAULT_JSON_DEPTH_LIMIT;
    this.target = parseBrokerTarget(this.base);
    this.agents = options.agent ?? sharedOsbAgents();
  }

  async getCatalog(options: CallOptions = {}): Promise<Answer<Catalog>> {
    const answer = (await this.request('GET', '/v2/catalog', undefined, 'catalog', options, [200], this.catalogLimitBytes)).answer;
    if (!Array.isArray((answer.body as Record<string, unknown>).services)) {
      throw new OsbMalformedResponseError(answer.status, 'catalog', 'services must be an array');
    }
    return answer as Answer<Catalog>;
  }

  async provision(instanceId: string, body: ProvisionRequest, options: CallOptions = {}): Promise<AsyncAnswer<ProvisionResponse>> {
    const answer = await this.call('PUT', instancePath(instanceId, options.acceptsIncomplete), body, 'provision', options, [200, 201, 202]);
    return asyncAnswer(answer, 'provision') as AsyncAnswer<ProvisionResponse>;
  }

  async update(instanceId: string, body: UpdateRequest, options: CallOptions = {}): Promise<AsyncAnswer<UpdateResponse>> {
    const answer = await this.call('PATCH', instancePath(instanceId, options.acceptsIncomplete), body, 'update', options, [200, 202]);
    return asyncAnswer(answer, 'update') as AsyncAnswer<UpdateResponse>;
  }

  /** 410 counts as success: the instance is gone either way. */
  async deprovision(instanceId: string, plan: PlanRef, options: CallOptions = {}): Promise<AsyncAnswer<Record<string, unknown>> & { gone: boolean }> {
    const path = `${instancePath(instanceId, options.acceptsIncomplete)}${sep(options.acceptsIncomplete)}${query({ ...plan })}`;
    const answer = await this.call('DELETE', path, undefined, 'deprovision', options, [200, 202, 410]);
    return { ...(asyncAnswer(answer, 'deprovision') as AsyncAnswer<Record<string, unknown>>), gone: answer.status === 410 };
  }

  async fetchInstance(instanceId: string, hints: Partial<PlanRef> = {}, options: CallOptions = {}): Promise<Answer<FetchInstanceResponse>> {
    const path = `/v2/service_instances/${enc(instanceId)}${queryPrefixed(hints)}`;
    return (await this.call('GET', path, undefined, 'fetch instance', options, [200])) as Answer<FetchInstanceResponse>;
  }

  async instanceLastOperation(instanceId: string, params: Partial<PlanRef> & { operation?: string } = {}, options: CallOptions = {}): Promise<LastOperationAnswer> {
    const path = `/v2/service_instances/${enc(instanceId)}/last_operation${queryPrefixed(params)}`;
    return this.lastOperation(path, 'instance last_operation', options);
  }

  async bind(instanceId: string, bindingId: string, body: BindRequest, options: CallOptions = {}): Promise<AsyncAnswer<BindResponse>> {
    const path = `${bindingPathOf(instanceId, bindingId)}${options.acceptsIncomplete ? '?accepts_incomplete=true' : ''}`;
    const answer = await this.call('PUT', path, body, 'bind', options, [200, 201, 202]);
    const result = asyncAnswer(answer, 'bind') as AsyncAnswer<BindResponse>;
    if (!result.async) checkBindBody(answer.status, result.body as Record<string, unknown>);
    return result;
  }

  async unbind(instanceId: string, bindingId: string, plan: PlanRef, options: CallOptions = {}): Promise<AsyncAnswer<Record<string, unknown>> & { gone: boolean }> {
    const flags = options.acceptsIncomplete ? { accepts_incomplete: 'true' } : {};
    const path = `${bindingPathOf(instanceId, bindingId)}${queryPrefixed({ ...flags, ...plan })}`;
    const answer = await this.call('DELETE', path, undefined, 'unbind', options, [200, 202, 410]);
    return { ...(asyncAnswer(answer, 'unbind') as AsyncAnswer<Record<string, unknown>>), gone: answer.status === 410 };
  }

  async fetchBinding(instanceId: string, bindingId: string, hints: Partial<PlanRef> = {}, options: CallOptions = {}): Promise<Answer<FetchBindingResponse>> {
    const path = `${bindingPathOf(instanceId, bindingId)}${queryPrefixed(hints)}`;
    return (await this.call('GET', path, undefined, 'fetch binding', options, [200])) as Answer<FetchBindingResponse>;
  }

  async bindingLastOperation(instanceId: string, bindingId: string, params: Partial<PlanRef> & { operation?: string } = {}, options: CallOptions = {}): Promise<LastOperationAnswer> {
    const path = `${bindingPathOf(instanceId, bindingId)}/last_operation${queryPrefixed(params)}`;
    return this.lastOperation(path, 'binding last_operation', options);
  }

  /**
   * Polls last_operation until the operation ends, honouring Retry-After and the maximum
   * polling duration. Resolves with the final answer (state succeeded or failed); a 410 for
   * a delete resolves as succeeded. Other error statuses keep polling, as the spec says.
   * When the next wait would pass the limit, the last poll is made at the limit instead.
   */
  async waitForOperation(target: { instanceId: string; bindingId?: string }, options: WaitOptions = {}): Promise<LastOperationAnswer> {
    const started = Date.now();
    const limitMs = options.maxPollingSeconds !== undefined ? options.maxPollingSeconds * 1000 : Infinity;
    const params = {
      ...(options.service_id ? { service_id: options.service_id } : {}),
      ...(options.plan_id ? { plan_id: options.plan_id } : {}),
      ...(options.operation ? { operation: options.operation } : {}),
    };
    let lastPoll = false;
    for (;;) {
      options.signal?.throwIfAborted();
      let wait = options.defaultIntervalMs ?? 1000;
      try {
        const answer = target.bindingId === undefined
          ? await this.instanceLastOperation(target.instanceId, params)
          : await this.bindingLastOperation(target.instanceId, target.bindingId, params);
        options.onPoll?.(answer);
        if (answer.gone) {
          if (options.isDelete) return { ...answer, body: { state: 'succeeded' } };
        } else if (answer.body.state === 'succeeded' || answer.body.state === 'failed') {
          return answer;
        }
        if (answer.retryAfterSeconds !== undefined) wait = answer.retryAfterSeconds * 1000;
      } catch (error) {
        // A broker that fails to answer a poll may answer the next one; only the limit stops us.
        if (!(error instanceof OsbResponseError || error instanceof OsbTimeoutError || error instanceof OsbTransportError || error instanceof OsbMalformedResponseError)) throw error;
      }
      const remainingMs = limitMs - (Date.now() - started);
      if (lastPoll || remainingMs <= 0) throw new OsbPollingTimeoutError(options.operation, options.maxPollingSeconds ?? 0);
      if (wait >= remainingMs) {
        wait = remainingMs;
        lastPoll = true;
      }
      await sleep(wait, options.signal);
    }
  }

  private async lastOperation(path: string, endpoint: string, options: CallOptions): Promise<LastOperationAnswer> {
    const { answer, headers } = await this.request('GET', path, undefined, endpoint, options, [200, 410]);
    if (answer.status === 410) return { ...answer, body: { state: 'succeeded' } as LastOperationResponse, gone: true };
    const state = (answer.body as Record<string, unknown>).state;
    if (state !== 'in progress' && state !== 'succeeded' && state !== 'failed') {
      throw new OsbMalformedResponseError(answer.status, endpoint, `state must be "in progress", "succeeded" or "failed", not ${quoteBrokerValue(state)}`);
    }
    const retryAfter = parseRetryAfter(headers['retry-after']);
    return { ...(answer as Answer<LastOperationResponse>), gone: false, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) };
  }

  private async call(method: Method, path: string, body: unknown, endpoint: string, options: CallOptions, ok: number[]): Promise<Answer<unknown>> {
    return (await this.request(method, path, body, endpoint, options, ok)).answer;
  }

  private async request(
    method: Method,
    path: string,
    body: unknown,
    endpoint: string,
    options: CallOptions,
    ok: number[],
    limitBytes = this.answerLimitBytes,
  ): Promise<{ answer: Answer<unknown>; headers: IncomingHttpHeaders }> {
    const requestId = options.requestId ?? randomUUID();
    const headers: Record<string, string> = {
      'x-broker-api-version': this.apiVersion,
      'x-broker-api-request-identity': requestId,
      accept: 'application/json',
    };
    if (this.authHeader) headers.authorization = this.authHeader;
    if (options.identity) headers['x-broker-api-originating-identity'] = formatOriginatingIdentity(options.identity.platform, options.identity.value);
    let payload: string | undefined;
    if (body !== undefined) {
      // Before anything is sent: a body that cannot be serialised was never sent, which is
      // not a transport failure (that could call for orphan mitigation).
      try {
        payload = JSON.stringify(body);
      } catch (error) {
        throw new OsbRequestError(endpoint, `its body cannot be serialised as JSON (${(error as Error).message})`);
      }
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    // A broker URL that cannot be used means nothing was sent: not a failure that could call for orphan mitigation.
    if ('problem' in this.target) throw new OsbRequestError(endpoint, this.target.problem);
    const result = await exchange(this.target, this.agents, { method, path, headers, payload, limitBytes, timeoutMs: this.timeoutMs });
    if (result.kind === 'timeout') throw new OsbTimeoutError(endpoint, this.timeoutMs);
    if (result.kind === 'transport') throw new OsbTransportError(endpoint, result.cause);
    const { status, text } = result;
    const accepted = ok.includes(status);
    if (text === undefined) {
      if (accepted) throw new OsbMalformedResponseError(status, endpoint, `the body is larger than the limit of ${limitBytes} bytes; the rest was not read`);
      throw new OsbResponseError(status, {}, endpoint);
    }
    const parsed = this.parseAnswer(text, status, endpoint, accepted);
    if (!accepted) throw new OsbResponseError(status, parsed, endpoint);
    return { answer: { status, body: parsed, requestId }, headers: result.headers };
  }

  /**
   * An accepted answer must be a JSON object within the depth limit. An error answer that is
   * not one becomes `{}`: it is not an OSB error, and its text is not ours to show.
   */
  private parseAnswer(text: string, status: number, endpoint: string, accepted: boolean): Record<string, unknown> {
    if (text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (accepted) throw new OsbMalformedResponseError(status, endpoint, 'the body is not JSON');
      return {};
    }
    if (!isPlainObject(parsed)) {
      if (accepted) throw new OsbMalformedResponseError(status, endpoint, 'the body is not a JSON object');
      return {};
    }
    if (exceedsJsonDepth(parsed, this.jsonDepthLimit)) {
      if (accepted) throw new OsbMalformedResponseError(status, endpoint, `the body nests objects and arrays more than ${this.jsonDepthLimit} levels deep, which is the limit`);
      return {};
    }
    return parsed;
  }
}

function asyncAnswer(answer: Answer<unknown>, endpoint: string): AsyncAnswer<unknown> {
  const body = answer.body as Record<string, unknown>;
  if (answer.status !== 202) return { ...answer, async: false };
  const operation = body.operation;
  if (operation !== undefined && operation !== null && (typeof operation !== 'string' || operation.length > 10_000)) {
    throw new OsbMalformedResponseError(202, endpoint, 'operation must be a string of at most 10,000 characters');
  }
  return { ...answer, async: true, ...(typeof operation === 'string' ? { operation } : {}) };
}

function checkBindBody(status: number, body: Record<string, unknown>): void {
  if (body.credentials !== undefined && !isPlainObject(body.credentials)) {
    throw new OsbMalformedResponseError(status, 'bind', 'credentials must be an object');
  }
  if (body.volume_mounts !== undefined && !Array.isArray(body.volume_mounts)) {
    throw new OsbMalformedResponseError(status, 'bind', 'volume_mounts must be an array');
  }
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

export { OsbMalformedResponseError, OsbPollingTimeoutError, OsbRequestError, OsbResponseError, OsbTimeoutError, OsbTransportError };
