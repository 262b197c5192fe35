import type { AsyncAnswer, LastOperationAnswer } from '../../sdk/client';
import { finalDescription, progressRecorder } from './broker-polling';
import { ApiError, JobFailure, apiErrors } from './errors';
import type { RunningJob } from './jobs';
import { classifyBrokerFailure, type FailureKind } from './orphan-mitigation';
import { describeBrokerFailure, describeFailedOperation } from './osb-calls';
import type { OperationPhase } from './records';
import { UNKNOWN_OUTCOME } from './unknown-outcome';

/**
 * The skeleton every broker operation on an instance or a binding follows: record that the
 * request is being sent, send it, finish at once or record the broker's operation and poll
 * last_operation, then finish or fail. A restarted controller resumes from the recorded phase.
 * What differs per operation (the request, what success and failure change, orphan
 * mitigation) is a BrokerOperation, defined next to the resource it works on.
 */

/** What a broker said about the resource in a failure answer (OSB `instance_usable`, `update_repeatable`). */
export interface BrokerFlags {
  instanceUsable: boolean | undefined;
  updateRepeatable: boolean | undefined;
}

export interface OperationFailure {
  kind: FailureKind;
  /** What the user is told. */
  error: ApiError;
  flags: BrokerFlags;
}

export interface BrokerOperation<Answer extends AsyncAnswer<unknown>> {
  /** Names the broker request in failure messages: `provision`, `bind`, ... */
  action: string;
  /** A request that may safely be sent again after a restart (a delete: a broker that already did it answers 410). */
  resendable: boolean;
  /** Records the operation as in progress at this phase; `accepted` is the broker's 202 once there is one. */
  recordPhase(phase: OperationPhase, brokerOperation: string | null, accepted?: Answer): void;
  /** Keeps the broker's progress text on the resource while polling. */
  recordProgress(description: string): void;
  send(): Promise<Answer>;
  waitForLastOperation(brokerOperation: string | undefined, onPoll: (answer: LastOperationAnswer) => void): Promise<LastOperationAnswer>;
  /** The broker is done: `description` is its last text, `answer` its synchronous answer when it did not poll. */
  succeed(description: string, answer?: Answer): void | Promise<void>;
  /** Records the failure, asks for orphan mitigation where the spec wants it, and throws the JobFailure. */
  fail(failure: OperationFailure): never;
  /** How a failure to send or poll reads; describeBrokerFailure unless the operation knows better. */
  describeFailure?(error: unknown): ApiError;
}

export function brokerFlags(body: unknown): BrokerFlags {
  if (typeof body !== 'object' || body === null) return { instanceUsable: undefined, updateRepeatable: undefined };
  const record = body as Record<string, unknown>;
  return {
    instanceUsable: typeof record.instance_usable === 'boolean' ? record.instance_usable : undefined,
    updateRepeatable: typeof record.update_repeatable === 'boolean' ? record.update_repeatable : undefined,
  };
}

/** Sends the request and sees it through. */
export async function runBrokerOperation<Answer extends AsyncAnswer<unknown>>(operation: BrokerOperation<Answer>, job: RunningJob): Promise<void> {
  operation.recordPhase('requesting', null);
  await failingAs(operation, job, async () => {
    const answer = await operation.send();
    if (!answer.async) {
      await operation.succeed('', answer);
      return;
    }
    operation.recordPhase('polling', answer.operation ?? null, answer);
    await poll(operation, answer.operation);
  });
}

/**
 * Carries on an operation a restarted controller found unfinished: polling goes on; a request
 * that may not have reached the broker is sent again when that is safe, and fails otherwise.
 */
export async function resumeBrokerOperation<Answer extends AsyncAnswer<unknown>>(
  operation: BrokerOperation<Answer>,
  recorded: { phase: OperationPhase | null; brokerOperation: string | null },
  job: RunningJob,
): Promise<void> {
  if (recorded.phase !== 'polling') {
    if (operation.resendable) {
      await runBrokerOperation(operation, job);
      return;
    }
    operation.fail({ kind: 'internal-error', error: apiErrors.brokerOperationFailed(UNKNOWN_OUTCOME), flags: brokerFlags(undefined) });
  }
  await failingAs(operation, job, () => poll(operation, recorded.brokerOperation ?? undefined));
}

async function poll<Answer extends AsyncAnswer<unknown>>(operation: BrokerOperation<Answer>, brokerOperation: string | undefined): Promise<void> {
  const last = await operation.waitForLastOperation(brokerOperation, progressRecorder((said) => operation.recordProgress(said)));
  if (last.body.state === 'failed') {
    operation.fail({ kind: 'last-operation-failed', error: describeFailedOperation(last, operation.action), flags: brokerFlags(last.body) });
  }
  await operation.succeed(finalDescription(last));
}

/** A broker failure becomes the operation's failure; an abort or a JobFailure already decided passes through. */
async function failingAs<Answer extends AsyncAnswer<unknown>>(operation: BrokerOperation<Answer>, job: RunningJob, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (job.signal.aborted || error instanceof JobFailure) throw error;
    const described = operation.describeFailure ? operation.describeFailure(error) : describeBrokerFailure(error, operation.action);
    const body = typeof error === 'object' && error !== null ? (error as { body?: unknown }).body : undefined;
    operation.fail({ kind: classifyBrokerFailure(error), error: described, flags: brokerFlags(body) });
  }
}
