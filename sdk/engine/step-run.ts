import type { Logger } from 'pino';
import type { StepContext } from '../broker';
import type { JsonValue } from '../json';
import type { OperationRecord } from '../store/types';
import type { TargetRef } from './records';

/**
 * One step in flight: the StepContext the broker sees, and the abort handle a delete or a
 * shutdown uses. The AbortController and the scoped logger are made only when the step asks
 * for them, which most never do.
 */
export class StepRun implements StepContext {
  declare checkpoint?: JsonValue;
  readonly operationId: string;
  readonly step: number;
  aborted = false;
  private controller: AbortController | undefined;
  private reason: unknown;
  private scoped: Logger | undefined;

  constructor(
    private readonly parentLogger: Logger,
    readonly ref: TargetRef,
    private readonly op: OperationRecord,
    /** When the step began (epoch ms). */
    readonly since: number,
  ) {
    this.operationId = op.id;
    this.step = op.attempts + 1;
    // Absent rather than undefined on a first step, as the broker API documents.
    if (op.checkpoint !== undefined) this.checkpoint = op.checkpoint;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get logger(): Logger {
    return (this.scoped ??= this.parentLogger.child({ operation: this.op.id, kind: this.op.kind, ...refFields(this.ref) }));
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/** The ids of a target, as log fields. */
export function refFields(ref: TargetRef): Record<string, string> {
  return ref.type === 'instance' ? { instanceId: ref.instanceId } : { instanceId: ref.instanceId, bindingId: ref.bindingId };
}
