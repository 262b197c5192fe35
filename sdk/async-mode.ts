import { inProgress, isInProgress, type InProgress, type ServiceBroker, type StepContext } from './broker';
import { errors } from './errors';
import { isPlainObject, type JsonValue } from './json';

/**
 * Async mode: any broker answers provision, update, deprovision, bind and unbind
 * asynchronously, as a test target for platforms. Each operation answers 202 at once, waits
 * `delaySeconds` in steps of its own (last_operation says "in progress" meanwhile), then runs
 * the broker's own method, whose own steps follow as usual. A request without
 * accepts_incomplete=true gets 422 AsyncRequired, as the spec asks of a broker that can only
 * answer asynchronously. The wait and the broker's checkpoint travel in one checkpoint, so a
 * restart resumes both; a halted create hands the broker its own checkpoint (or none, when
 * the wait had not ended and the broker was never called).
 */

export interface AsyncModeOptions {
  /** How long each operation stays "in progress" before the broker's method runs (default 0). */
  delaySeconds?: number;
}

type Waiting = { asyncMode: 'waiting'; until: number };
type Running = { asyncMode: 'running'; waitSteps: number; inner?: JsonValue };

function phase(checkpoint: JsonValue | undefined): Waiting | Running | undefined {
  if (!isPlainObject(checkpoint)) return undefined;
  if (checkpoint.asyncMode === 'waiting' && typeof checkpoint.until === 'number') return { asyncMode: 'waiting', until: checkpoint.until };
  if (checkpoint.asyncMode === 'running' && typeof checkpoint.waitSteps === 'number') {
    return { asyncMode: 'running', waitSteps: checkpoint.waitSteps, ...(checkpoint.inner !== undefined ? { inner: checkpoint.inner as JsonValue } : {}) };
  }
  return undefined;
}

/** The broker's own checkpoint inside one of ours, for haltedCheckpoint. */
function innerCheckpoint(checkpoint: JsonValue | undefined): JsonValue | undefined {
  const current = phase(checkpoint);
  return current?.asyncMode === 'running' ? current.inner : undefined;
}

/**
 * The wait goes in steps of at most a second: a delete that halts a create waiting here is let
 * through at the end of the current step, not at the end of the whole delay.
 */
const waitStep = (leftMs: number): number => Math.min(leftMs, 1000) / 1000;

type Method<R, T> = (request: R, ctx: StepContext) => Promise<T>;

function delayed<R extends { acceptsIncomplete: boolean }, T>(kind: string, method: Method<R, T>, delayMs: number, unwrap: (request: R) => R = (r) => r): Method<R, T | InProgress> {
  return async (request, ctx) => {
    const current = phase(ctx.checkpoint);
    if (current === undefined) {
      // Refuse before anything is stored or done: a refused request leaves nothing behind.
      if (!request.acceptsIncomplete) throw errors.asyncRequired(`This broker runs in async mode: every ${kind} is asynchronous; repeat the request with accepts_incomplete=true.`);
      return inProgress({ checkpoint: { asyncMode: 'waiting', until: Date.now() + delayMs }, retryAfterSeconds: waitStep(delayMs), description: `${kind} accepted; it starts in ${delayMs / 1000} s` });
    }
    if (current.asyncMode === 'waiting') {
      const left = current.until - Date.now();
      if (left > 0) return inProgress({ checkpoint: current, retryAfterSeconds: waitStep(left), description: `${kind} accepted; it starts in ${Math.ceil(left / 1000)} s` });
    }
    const waitSteps = current.asyncMode === 'waiting' ? ctx.step - 1 : current.waitSteps;
    // Field by field: the SDK's context may keep its fields behind getters, which a spread would lose.
    const inner: StepContext = {
      checkpoint: current.asyncMode === 'running' ? current.inner : undefined,
      signal: ctx.signal,
      operationId: ctx.operationId,
      step: ctx.step - waitSteps,
      logger: ctx.logger,
    };
    const result = await method(unwrap(request), inner);
    if (!isInProgress(result)) return result;
    return inProgress({
      ...(result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}),
      ...(result.description !== undefined ? { description: result.description } : {}),
      ...(result.dashboardUrl !== undefined ? { dashboardUrl: result.dashboardUrl } : {}),
      checkpoint: { asyncMode: 'running', waitSteps, ...(result.checkpoint !== undefined ? { inner: result.checkpoint } : {}) },
    });
  };
}

/** `broker`, answering every operation asynchronously after `delaySeconds`. */
export function asyncModeBroker(broker: ServiceBroker, options: AsyncModeOptions = {}): ServiceBroker {
  const delaySeconds = options.delaySeconds ?? 0;
  if (!Number.isFinite(delaySeconds) || delaySeconds < 0) throw new Error('asyncMode.delaySeconds must be a number of seconds, 0 or more');
  const delayMs = delaySeconds * 1000;
  const wrapped: ServiceBroker = {
    provision: delayed('provision', broker.provision.bind(broker), delayMs),
    deprovision: delayed('deprovision', broker.deprovision.bind(broker), delayMs, (request) =>
      request.haltedCheckpoint === undefined ? request : { ...request, haltedCheckpoint: innerCheckpoint(request.haltedCheckpoint) }),
  };
  if (broker.update) wrapped.update = delayed('update', broker.update.bind(broker), delayMs);
  if (broker.bind) wrapped.bind = delayed('bind', broker.bind.bind(broker), delayMs);
  if (broker.unbind) {
    wrapped.unbind = delayed('unbind', broker.unbind.bind(broker), delayMs, (request) =>
      request.haltedCheckpoint === undefined ? request : { ...request, haltedCheckpoint: innerCheckpoint(request.haltedCheckpoint) });
  }
  if (broker.getInstance) wrapped.getInstance = broker.getInstance.bind(broker);
  if (broker.getBinding) wrapped.getBinding = broker.getBinding.bind(broker);
  if (broker.requiresApp) wrapped.requiresApp = broker.requiresApp.bind(broker);
  if (broker.start) wrapped.start = broker.start.bind(broker);
  if (broker.stop) wrapped.stop = broker.stop.bind(broker);
  return wrapped;
}
