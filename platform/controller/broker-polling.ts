import { brokerText, type LastOperationAnswer } from '../../sdk/client';
import type { InstanceScope } from './resources';
import type { RunningJob } from './jobs';
import type { PollRequest } from './osb-calls';

/**
 * What polling an instance or a binding operation has in common: which operation and plan
 * the broker is asked about, and what of its text a last_operation keeps (cleaned and short,
 * see brokerText: whatever answers may not be a broker).
 */

/**
 * Polls about the plan the scope has on record (for an update, the plan before it, as the
 * spec asks), and stops when the job is aborted. Deletes add `isDelete`; callers add `onPoll`.
 */
export function pollRequest(scope: InstanceScope, brokerOperation: string | undefined, job: RunningJob): PollRequest {
  const { plan, offering } = scope;
  return {
    ...(brokerOperation !== undefined ? { operation: brokerOperation } : {}),
    serviceId: offering.catalogId,
    planId: plan.catalogId,
    plan: plan.document,
    signal: job.signal,
  };
}

/** An `onPoll` that hands each new progress text to `show` once, not on every poll. */
export function progressRecorder(show: (description: string) => void): (answer: LastOperationAnswer) => void {
  let shown: string | undefined;
  return (answer) => {
    const said = brokerText(answer.body.description);
    if (answer.body.state !== 'in progress' || said === undefined || said === shown) return;
    shown = said;
    show(said);
  };
}

/** The description a finished operation keeps: the broker's last text, or none. */
export function finalDescription(last: LastOperationAnswer): string {
  return brokerText(last.body.description) ?? '';
}
