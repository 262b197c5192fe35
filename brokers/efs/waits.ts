import { errors, inProgress, type InProgress, type StepContext } from '../../sdk';
import type { WaitPolicy } from './config';
import { checkpointJson, type Checkpoint } from './records';

/**
 * Waiting for AWS: the next step comes after the policy's first wait, doubled for every wait
 * in a row in the same phase, up to its maximum, so a slow mount target is not polled every
 * second for minutes and a quick one is not kept waiting.
 */
export function waitSeconds(policy: WaitPolicy, waits: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(waits, 30)) / 1000;
}

/** The operation continues in `phase`, after a wait when the same phase waited before. */
export function continueIn<Phase extends string>(
  policy: WaitPolicy,
  from: Checkpoint<Phase>,
  phase: Phase,
  description: string,
  changes: Partial<Pick<Checkpoint<Phase>, 'fileSystemId' | 'accessPointId'>> = {},
): InProgress {
  const waits = from.phase === phase ? from.waits : 0;
  const next: Checkpoint<Phase> = { ...from, ...changes, phase, waits: waits + 1 };
  return inProgress({ checkpoint: checkpointJson(next), retryAfterSeconds: waitSeconds(policy, waits), description });
}

/** The first step: nothing is asked of AWS inside the platform's request, so it gets its 202 at once. */
export function startIn<Phase extends string>(phase: Phase, description: string): InProgress {
  return inProgress({ checkpoint: checkpointJson<Phase>({ phase, waits: 0 }), retryAfterSeconds: 0, description });
}

/** A step aborted by a halting delete or a shutdown stops between AWS calls, never inside one. */
export function throwIfAborted(ctx: StepContext): void {
  if (ctx.signal.aborted) throw errors.unavailable('The step was interrupted (the broker is stopping or a delete halted it); it resumes from its last checkpoint.');
}
