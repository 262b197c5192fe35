import { randomUUID } from 'node:crypto';
import { isPlainObject } from '../json';
import type { JsonObject } from '../json';
import { exchange, type RawAnswer } from './http';
import type { ResolvedOptions } from './options';
import type { PlanUnderTest } from './plans';
import { describe, errorBodyProblems, lastOperationProblems, retryAfterProblem, type ErrorEndpoint, type OperationKind } from './shapes';

/**
 * What a check works with: requests to the broker as a platform sends them, the resources the
 * check made (deleted again when it ends), polling, and assertions that name what went wrong
 * with the request that showed it.
 */

/** A MUST the broker broke; the check fails with this message. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/** The check cannot judge this broker (the operation ended before the race it needs, say). */
export class CheckNotApplicable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CheckNotApplicable';
  }
}

export interface Answer extends RawAnswer {
  /** `PUT /v2/service_instances/x?accepts_incomplete=true`, for messages. */
  request: string;
}

export interface SendSpec {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';
  path: string;
  /** An object or array is sent as JSON; a string or Buffer as it is. */
  body?: unknown;
  /** Extra headers; null removes one the context would send. */
  headers?: Record<string, string | null>;
  /** 'none' sends no Authorization header. */
  auth?: 'none' | { username: string; password: string };
}

export type Query = Record<string, string | boolean | undefined>;

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const osbPaths = {
  catalog: '/v2/catalog',
  instance: (instanceId: string, query?: Query) => `/v2/service_instances/${instanceId}${queryString(query)}`,
  instanceLastOperation: (instanceId: string, query?: Query) => `/v2/service_instances/${instanceId}/last_operation${queryString(query)}`,
  binding: (instanceId: string, bindingId: string, query?: Query) => `/v2/service_instances/${instanceId}/service_bindings/${bindingId}${queryString(query)}`,
  bindingLastOperation: (instanceId: string, bindingId: string, query?: Query) =>
    `/v2/service_instances/${instanceId}/service_bindings/${bindingId}/last_operation${queryString(query)}`,
};

interface Made {
  plan: PlanUnderTest;
  instanceId: string;
  bindingId?: string;
}

/** The end of an operation as last_operation told it, or the synchronous answer. */
export interface Outcome {
  state: 'succeeded' | 'failed' | 'gone';
  description?: string;
  /** The 202 that started it, or the synchronous answer. */
  answer: Answer;
  async: boolean;
  operation?: string;
}

const ANSWER_LIMIT_BYTES = 4 * 1024 * 1024;

const shortId = (id: string): string => (id.length > 60 ? `${id.slice(0, 57)}...` : id);

export class CheckContext {
  /** SHOULD-level findings; the check is reported as a warning when it has any and nothing failed. */
  readonly warnings: string[] = [];
  /** MUST-level findings about answers that the check did not look at itself (error bodies). */
  readonly violations: string[] = [];
  private readonly made: Made[] = [];
  private counter = 0;

  constructor(
    private readonly baseUrl: URL,
    readonly options: ResolvedOptions,
    private readonly runId: string,
  ) {}

  // ---------------------------------------------------------------- requests

  async send(spec: SendSpec): Promise<Answer> {
    const headers: Record<string, string> = {
      'x-broker-api-version': this.options.apiVersion,
      'x-broker-api-request-identity': randomUUID(),
      accept: 'application/json',
    };
    const auth = spec.auth ?? (this.options.username !== undefined ? { username: this.options.username, password: this.options.password ?? '' } : 'none');
    if (auth !== 'none') headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    let body: string | Buffer | undefined;
    if (spec.body !== undefined) {
      body = typeof spec.body === 'string' || Buffer.isBuffer(spec.body) ? spec.body : JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    if (spec.method !== 'GET' && spec.path.startsWith('/v2/service_instances/')) headers['x-broker-api-originating-identity'] = this.identityHeader();
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      if (value === null) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    const raw = await exchange(this.baseUrl, { method: spec.method, path: spec.path, headers, ...(body !== undefined ? { body } : {}) }, {
      timeoutMs: this.options.requestTimeoutMs,
      answerLimitBytes: ANSWER_LIMIT_BYTES,
    });
    const answer: Answer = { ...raw, request: `${spec.method} ${spec.path.length > 160 ? `${spec.path.slice(0, 157)}...` : spec.path}` };
    this.inspectError(answer, spec);
    return answer;
  }

  /** Every error answer is held to the spec's error body, whichever check provoked it. */
  private inspectError(answer: Answer, spec: SendSpec): void {
    if (answer.status < 400) return;
    const isInstance = /^\/v2\/service_instances\/[^/?]+(\?|$)/.test(spec.path);
    const endpoint: ErrorEndpoint = isInstance && spec.method === 'PATCH' ? 'update' : isInstance && spec.method === 'DELETE' ? 'deprovision' : 'other';
    for (const problem of errorBodyProblems(answer.json, endpoint)) this.violations.push(`${answer.request} answered ${answer.status} with an error body where ${problem}`);
    if (/\n\s+at .+[:(]\d+:\d+\)?/.test(answer.text) || /Traceback \(most recent call last\)/.test(answer.text)) {
      this.warnings.push(`${answer.request} answered ${answer.status} with what looks like a stack trace; a client must never see one`);
    } else if (answer.text.trim() !== '' && !isPlainObject(answer.json)) {
      this.warnings.push(`${answer.request} answered ${answer.status} with a body that is not a JSON object: ${describe(answer.text)}`);
    }
  }

  identityHeader(platform = this.options.platform, value?: Record<string, unknown>): string {
    const identity = value ?? (platform === 'kubernetes'
      ? { username: 'osbkit-check', uid: `uid-${this.runId}`, groups: ['osbkit-check'], extra: {} }
      : { user_id: `user-${this.runId}` });
    return `${platform} ${Buffer.from(JSON.stringify(identity)).toString('base64')}`;
  }

  // ---------------------------------------------------------------- names and bodies

  /** A new id in the unreserved characters, unique to this run. */
  newId(kind: 'inst' | 'bind' | 'app'): string {
    this.counter += 1;
    return `${this.options.idPrefix}-${this.runId}-${kind}-${this.counter}-${randomUUID().slice(0, 8)}`;
  }

  context(): JsonObject {
    if (this.options.platform === 'kubernetes') return { platform: 'kubernetes', namespace: 'osbkit-check', clusterid: `cluster-${this.runId}`, instance_name: 'osbkit-check' };
    return {
      platform: this.options.platform,
      organization_guid: `org-${this.runId}`,
      organization_name: 'osbkit-check',
      space_guid: `space-${this.runId}`,
      space_name: 'osbkit-check',
      instance_name: 'osbkit-check',
    };
  }

  provisionBody(plan: PlanUnderTest, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      service_id: plan.serviceId,
      plan_id: plan.planId,
      organization_guid: `org-${this.runId}`,
      space_guid: `space-${this.runId}`,
      context: this.context(),
      parameters: plan.options.parameters ?? {},
      ...overrides,
    };
  }

  bindBody(plan: PlanUnderTest, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const { platform } = this.options;
    const context = platform === 'kubernetes'
      ? { platform, namespace: 'osbkit-check', clusterid: `cluster-${this.runId}` }
      : { platform, organization_guid: `org-${this.runId}`, organization_name: 'osbkit-check', space_guid: `space-${this.runId}`, space_name: 'osbkit-check' };
    return {
      service_id: plan.serviceId,
      plan_id: plan.planId,
      context,
      bind_resource: plan.options.bindResource ?? { app_guid: this.appGuid },
      parameters: plan.options.bindParameters ?? {},
      ...overrides,
    };
  }

  /** One app per check: binding twice with identical bodies must look identical. */
  readonly appGuid = `osbkit-check-app-${randomUUID()}`;

  deleteQuery(plan: PlanUnderTest, acceptsIncomplete = this.acceptsIncomplete(plan)): Query {
    return { service_id: plan.serviceId, plan_id: plan.planId, accepts_incomplete: acceptsIncomplete ? true : undefined };
  }

  /** Whether requests for the plan say `accepts_incomplete=true`: yes unless it is declared synchronous. */
  acceptsIncomplete(plan: PlanUnderTest): boolean {
    return plan.options.async !== false;
  }

  incomplete(plan: PlanUnderTest): Query {
    return { accepts_incomplete: this.acceptsIncomplete(plan) ? true : undefined };
  }

  // ---------------------------------------------------------------- instances

  async provision(plan: PlanUnderTest, instanceId: string, body: unknown, query: Query = this.incomplete(plan)): Promise<Answer> {
    const answer = await this.send({ method: 'PUT', path: osbPaths.instance(instanceId, query), body });
    // Anything but a refusal may have made something; so may a sloppy refusal, which its check tests.
    this.remember({ plan, instanceId });
    return answer;
  }

  /** Provisions a new instance and waits until it exists; fails the check when it does not. */
  async provisioned(plan: PlanUnderTest, overrides: Record<string, unknown> = {}): Promise<{ instanceId: string; outcome: Outcome }> {
    const instanceId = this.newId('inst');
    const answer = await this.provision(plan, instanceId, this.provisionBody(plan, overrides));
    this.expectStatus(answer, [201, 202], `a provision of plan ${plan.label} (give the plan's parameters in the options if it needs some)`);
    const outcome = await this.finish(plan, { instanceId }, answer, 'provision');
    if (outcome.state !== 'succeeded') throw new CheckFailure(`the provision of ${instanceId} (plan ${plan.label}) ended ${outcome.state}${outcome.description ? `: ${outcome.description}` : ''}`);
    return { instanceId, outcome };
  }

  async deprovision(plan: PlanUnderTest, instanceId: string, query: Query = this.deleteQuery(plan)): Promise<Answer> {
    const answer = await this.send({ method: 'DELETE', path: osbPaths.instance(instanceId, query) });
    if (answer.status === 200 || answer.status === 410) this.forget({ instanceId });
    return answer;
  }

  async deprovisioned(plan: PlanUnderTest, instanceId: string): Promise<Outcome> {
    const answer = await this.deprovision(plan, instanceId);
    this.expectStatus(answer, [200, 202], `the deprovision of ${instanceId}`);
    const outcome = await this.finish(plan, { instanceId }, answer, 'deprovision');
    if (outcome.state === 'failed') throw new CheckFailure(`the deprovision of ${instanceId} failed${outcome.description ? `: ${outcome.description}` : ''}`);
    this.forget({ instanceId });
    return outcome;
  }

  // ---------------------------------------------------------------- bindings

  async bind(plan: PlanUnderTest, instanceId: string, bindingId: string, body: unknown, query: Query = this.incomplete(plan)): Promise<Answer> {
    const answer = await this.send({ method: 'PUT', path: osbPaths.binding(instanceId, bindingId, query), body });
    this.remember({ plan, instanceId, bindingId });
    return answer;
  }

  async bound(plan: PlanUnderTest, instanceId: string, overrides: Record<string, unknown> = {}): Promise<{ bindingId: string; outcome: Outcome }> {
    const bindingId = this.newId('bind');
    const answer = await this.bind(plan, instanceId, bindingId, this.bindBody(plan, overrides));
    this.expectStatus(answer, [201, 202], `a bind to plan ${plan.label} (give the plan's bind parameters in the options if it needs some)`);
    const outcome = await this.finish(plan, { instanceId, bindingId }, answer, 'bind');
    if (outcome.state !== 'succeeded') throw new CheckFailure(`the bind ${bindingId} (plan ${plan.label}) ended ${outcome.state}${outcome.description ? `: ${outcome.description}` : ''}`);
    return { bindingId, outcome };
  }

  async unbind(plan: PlanUnderTest, instanceId: string, bindingId: string, query: Query = this.deleteQuery(plan)): Promise<Answer> {
    const answer = await this.send({ method: 'DELETE', path: osbPaths.binding(instanceId, bindingId, query) });
    if (answer.status === 200 || answer.status === 410) this.forget({ instanceId, bindingId });
    return answer;
  }

  async unbound(plan: PlanUnderTest, instanceId: string, bindingId: string): Promise<Outcome> {
    const answer = await this.unbind(plan, instanceId, bindingId);
    this.expectStatus(answer, [200, 202], `the unbind of ${bindingId}`);
    const outcome = await this.finish(plan, { instanceId, bindingId }, answer, 'unbind');
    if (outcome.state === 'failed') throw new CheckFailure(`the unbind of ${bindingId} failed${outcome.description ? `: ${outcome.description}` : ''}`);
    this.forget({ instanceId, bindingId });
    return outcome;
  }

  // ---------------------------------------------------------------- operations

  /**
   * The end of the operation an answer started: a synchronous answer is its own end; a 202
   * is followed on last_operation with the operation it named, as a platform does.
   */
  async finish(plan: PlanUnderTest, target: { instanceId: string; bindingId?: string }, answer: Answer, kind: OperationKind): Promise<Outcome> {
    if (answer.status !== 202) return { state: answer.status === 410 ? 'gone' : 'succeeded', answer, async: false };
    const operation = isPlainObject(answer.json) && typeof answer.json.operation === 'string' ? answer.json.operation : undefined;
    const end = await this.poll(plan, target, operation, kind);
    return { ...end, answer, async: true, ...(operation !== undefined ? { operation } : {}) };
  }

  /** Polls last_operation until the state is final; a delete that answers 410 is over. */
  async poll(plan: PlanUnderTest, target: { instanceId: string; bindingId?: string }, operation: string | undefined, kind: OperationKind): Promise<{ state: 'succeeded' | 'failed' | 'gone'; description?: string }> {
    const deleting = kind === 'deprovision' || kind === 'unbind';
    const query: Query = { service_id: plan.serviceId, plan_id: plan.planId, operation };
    const path = target.bindingId === undefined
      ? osbPaths.instanceLastOperation(target.instanceId, query)
      : osbPaths.bindingLastOperation(target.instanceId, target.bindingId, query);
    const limitMs = this.options.operationTimeoutMs ?? (plan.maximumPollingSeconds !== undefined ? plan.maximumPollingSeconds * 1000 : 120_000);
    const deadline = Date.now() + limitMs;
    for (;;) {
      const answer = await this.send({ method: 'GET', path });
      if (answer.status === 410 || (deleting && answer.status === 404)) {
        if (!deleting) throw new CheckFailure(`${answer.request} answered ${answer.status} while a ${kind} runs; 410 is only for deletes`);
        return { state: 'gone' };
      }
      this.expectStatus(answer, [200], `polling the ${kind}`);
      const problems = lastOperationProblems(answer.json, kind);
      if (problems.length > 0) throw new CheckFailure(`${answer.request} answered a last_operation body where ${problems.join('; ')}`);
      const retryProblem = retryAfterProblem(answer.headers['retry-after']);
      if (retryProblem) this.warnings.push(`${answer.request}: ${retryProblem}`);
      const body = answer.json as { state: string; description?: string };
      if (body.state !== 'in progress') {
        return { state: body.state === 'succeeded' ? 'succeeded' : 'failed', ...(body.description !== undefined ? { description: body.description } : {}) };
      }
      if (Date.now() > deadline) throw new CheckFailure(`the ${kind} was still in progress after ${Math.round(limitMs / 1000)} s`);
      const retryAfter = Number(answer.headers['retry-after']);
      const waitMs = Math.min(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 200, this.options.maxPollIntervalMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  // ---------------------------------------------------------------- assertions

  expectStatus(answer: Answer, allowed: number[], what: string): void {
    if (allowed.includes(answer.status)) return;
    const expected = allowed.length === 1 ? String(allowed[0]) : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
    throw new CheckFailure(`${what}: ${answer.request} answered ${answer.status}, expected ${expected}. Body: ${describe(answer.json ?? (answer.text || undefined))}`);
  }

  expectError(answer: Answer, status: number, code: string | undefined, what: string): void {
    this.expectStatus(answer, [status], what);
    const found = isPlainObject(answer.json) ? answer.json.error : undefined;
    if (code !== undefined && found !== code) {
      throw new CheckFailure(`${what}: ${answer.request} answered ${status} with "error": ${JSON.stringify(found)}, expected "${code}"`);
    }
  }

  must(condition: boolean, message: string): void {
    if (!condition) throw new CheckFailure(message);
  }

  should(condition: boolean, message: string): void {
    if (!condition) this.warnings.push(message);
  }

  // ---------------------------------------------------------------- cleanup

  /** After a plan change: the instance is deleted with its new plan's ids. */
  replan(instanceId: string, plan: PlanUnderTest): void {
    for (const item of this.made) if (item.instanceId === instanceId) item.plan = plan;
  }

  private remember(item: Made): void {
    if (!this.made.some((m) => m.instanceId === item.instanceId && m.bindingId === item.bindingId)) this.made.push(item);
  }

  private forget(item: { instanceId: string; bindingId?: string }): void {
    const index = this.made.findIndex((m) => m.instanceId === item.instanceId && m.bindingId === item.bindingId);
    if (index >= 0) this.made.splice(index, 1);
  }

  /** Deletes what the check made, bindings first; returns what could not be deleted. */
  async cleanup(): Promise<string[]> {
    const left: string[] = [];
    const bindings = this.made.filter((m) => m.bindingId !== undefined);
    const instances = this.made.filter((m) => m.bindingId === undefined);
    for (const item of [...bindings, ...instances]) {
      try {
        await this.deleteWithRetry(item);
      } catch (error) {
        left.push(`${item.bindingId ? `binding ${shortId(item.bindingId)} of ` : ''}instance ${shortId(item.instanceId)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.made.length = 0;
    return left;
  }

  private async deleteWithRetry(item: Made): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const query = this.deleteQuery(item.plan, true);
      const answer = item.bindingId === undefined
        ? await this.send({ method: 'DELETE', path: osbPaths.instance(item.instanceId, query) })
        : await this.send({ method: 'DELETE', path: osbPaths.binding(item.instanceId, item.bindingId, query) });
      if (answer.status === 200 || answer.status === 410) return;
      if (answer.status === 202) {
        const end = await this.finish(item.plan, item, answer, item.bindingId === undefined ? 'deprovision' : 'unbind');
        if (end.state !== 'failed') return;
      } else if (answer.status !== 422 || Date.now() > deadline) {
        // 422 ConcurrencyError: an operation of the check still runs; wait for it.
        throw new CheckFailure(`${answer.request} answered ${answer.status}`);
      }
      if (Date.now() > deadline) throw new CheckFailure('it could not be deleted within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
