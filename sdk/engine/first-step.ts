import { errors } from '../errors';
import type { AsyncOperation } from '../openapi/wire';
import type { InstanceRecord, OperationRecord, Versioned } from '../store/types';
import type { EngineContext } from './context';
import { describeTarget, findOperation, type AnyRecord } from './records';
import type { StepOutcome } from './runner';
import type { Target } from './targets';

/**
 * How a request waits for the operation it started: it runs the first step itself, and
 * either answers at once (202) while the rest runs in the background, or, when the platform
 * does not accept async answers, keeps stepping up to a deadline.
 */

export type FirstStep<R extends AnyRecord> =
  /** `gone`: a delete found the resource already gone at the broker. */
  | { kind: 'finished'; record: R; gone: boolean }
  /** The operation goes on in the background; `record` as its first step left it (none when a delete halted it). */
  | { kind: 'accepted'; record?: R };

/** How deprovision and unbind end. */
export type DeleteOutcome =
  | { kind: 'deleted' }
  /** The broker found it already gone. */
  | { kind: 'gone' }
  | { kind: 'accepted'; answer: AsyncOperation };

export function deleteOutcome(operation: string, step: FirstStep<AnyRecord>): DeleteOutcome {
  if (step.kind === 'accepted') return { kind: 'accepted', answer: { operation } };
  return step.gone ? { kind: 'gone' } : { kind: 'deleted' };
}

/**
 * What the record returns to when the broker refuses the first step (a 4xx), so that a
 * refused request changes nothing: the record as it was, `'none'` when there was none (it
 * then reads as never made), or `'keep'` to leave the failure recorded.
 */
export type OnRefusal<R extends AnyRecord> = { restore: R } | 'none' | 'keep';

export async function runFirstStep<R extends AnyRecord>(
  engine: EngineContext,
  target: Target<R>,
  op: OperationRecord,
  onRefusal: OnRefusal<R>,
  written?: Versioned<R>,
  /** A binding's instance as the request just read it (see binding-instance.ts). */
  instance?: InstanceRecord,
): Promise<FirstStep<R>> {
  const { runner, options } = engine;
  let outcome = await runner.runStep(target, op.id, written, instance);
  if (outcome.kind === 'in progress' && op.async) {
    runner.drive(target, op.id, outcome.retryAfterMs);
    return { kind: 'accepted', record: outcome.record };
  }
  if (outcome.kind === 'in progress') outcome = await driveInline(engine, target, op.id, outcome);
  switch (outcome.kind) {
    case 'succeeded':
      return { kind: 'finished', record: outcome.record, gone: outcome.gone === true };
    case 'failed':
      if (outcome.error && outcome.error.status >= 400 && outcome.error.status < 500) {
        if (onRefusal !== 'keep') {
          const known = outcome.version !== undefined ? { record: outcome.record, version: outcome.version } : undefined;
          await restore(engine, target, op.id, onRefusal, known);
        }
        throw outcome.error;
      }
      // The 500 hides the broker's message from the client; the request's log line keeps it.
      throw outcome.error ?? errors.internal(outcome.cause);
    case 'halted':
      if (op.async) return { kind: 'accepted' };
      throw errors.concurrency(`The ${describeTarget(target.ref)} was deleted while this request ran.`);
    case 'in progress':
      // The next step may be due later than the limit allows: then this answer comes at once.
      runner.drive(target, op.id, outcome.retryAfterMs);
      throw errors.unavailable(
        `The operation is still running and cannot finish within the ${options.syncTimeoutMs / 1000} s a request without accepts_incomplete=true may take; repeat the request with accepts_incomplete=true to follow it.`,
      );
    case 'lost':
      throw errors.concurrency(`The ${describeTarget(target.ref)} was changed by another request.`);
  }
}

/** A delete that halted a running create: waits for the create to stop, then runs the delete's first step. */
export async function runAfterHalt<R extends AnyRecord>(
  engine: EngineContext,
  target: Target<R>,
  op: OperationRecord,
  halted: OperationRecord,
): Promise<FirstStep<R>> {
  const { runner, logger, options } = engine;
  runner.abortLocal(halted.id);
  logger.info({ operation: op.id, halted: halted.id }, 'a delete request halts a create in progress');
  if (op.async) {
    runner.drive(target, op.id, 0);
    return { kind: 'accepted' };
  }
  const deadline = Date.now() + options.syncTimeoutMs;
  for (;;) {
    const current = await target.load();
    if (!current) throw errors.gone();
    if (!(await runner.settleHaltedCreate(target, current.record))) break;
    if (Date.now() > deadline) {
      runner.drive(target, op.id, 0);
      throw errors.unavailable('The create being halted has not stopped yet; repeat the request with accepts_incomplete=true to follow it.');
    }
    await runner.sleep(50);
  }
  // A delete that halted a create has no earlier state to return to ("never existed" would
  // make the platform forget what the broker kept): a refusal stays recorded.
  return runFirstStep(engine, target, op, 'keep');
}

/** The platform did not accept async answers: keep stepping within the request, up to a deadline. */
async function driveInline<R extends AnyRecord>(
  engine: EngineContext,
  target: Target<R>,
  opId: string,
  first: StepOutcome<R> & { kind: 'in progress' },
): Promise<StepOutcome<R>> {
  const deadline = Date.now() + engine.options.syncTimeoutMs;
  let outcome: StepOutcome<R> = first;
  while (outcome.kind === 'in progress' && Date.now() + outcome.retryAfterMs < deadline) {
    await engine.runner.sleep(outcome.retryAfterMs);
    outcome = await engine.runner.runStep(target, opId);
  }
  return outcome;
}

async function restore<R extends AnyRecord>(
  engine: EngineContext,
  target: Target<R>,
  opId: string,
  onRefusal: { restore: R } | 'none',
  known: Versioned<R> | undefined,
): Promise<void> {
  await engine.runner.mutate(target, (record) => {
    if (findOperation(record, opId) === undefined) return undefined;
    if (onRefusal !== 'none') return onRefusal.restore;
    // It did not exist before this request: leave a record that reads as "never existed".
    return { ...record, state: 'deleted', operation: undefined, history: [] };
  }, known);
}
