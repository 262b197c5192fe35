import type { OperationRecord } from '../store/types';
import { isoTime, replaceHistoryEntry, type AnyRecord } from './records';
import type { StepAnswer } from './step';

/**
 * A delete (deprovision, unbind) may take over a create (provision, bind) that is still
 * running: the create moves into the history with `haltRequested`, its step in flight is
 * aborted, and the delete waits until that step's answer is recorded, or its runner is
 * known dead. What the create had made reaches the delete as its `haltedCheckpoint`.
 */

/** The record after the halted create's last step answered `answer`. */
export function recordHaltedStep<R extends AnyRecord>(record: R, halted: OperationRecord, answer: StepAnswer<R>, now: number): R {
  let next = record;
  if (answer.kind === 'in progress' && answer.progress.checkpoint !== undefined) {
    next = replaceHistoryEntry(next, { ...halted, checkpoint: answer.progress.checkpoint });
  } else if (answer.kind === 'finished' && isDataCarrier(answer.value)) {
    // The create finished just as it was halted: the delete must see what it made.
    next = { ...next, data: answer.value.data };
  }
  const entry = next.history.find((op) => op.id === halted.id)!;
  return withHaltFinished(next, entry, now);
}

/** Ends the halted create `entry` as failed and hands its last checkpoint to the delete. */
export function withHaltFinished<R extends AnyRecord>(record: R, entry: OperationRecord, now: number): R {
  const deleting = record.operation;
  const finished: OperationRecord = {
    ...entry,
    owner: undefined,
    leaseUntil: undefined,
    state: 'failed',
    description: `Halted: a ${deleting?.kind ?? 'delete'} request arrived before it finished.`,
    updatedAt: isoTime(now),
  };
  const next = replaceHistoryEntry(record, finished);
  if (entry.checkpoint === undefined || (deleting?.kind !== 'deprovision' && deleting?.kind !== 'unbind')) return next;
  return { ...next, operation: { ...deleting, request: { ...deleting.request, haltedCheckpoint: entry.checkpoint } } };
}

function isDataCarrier(value: unknown): value is { data: AnyRecord['data'] } {
  return typeof value === 'object' && value !== null && 'data' in value;
}
