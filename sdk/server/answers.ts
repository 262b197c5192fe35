import type { DeleteOutcome } from '../engine/first-step';
import type { LastOperation } from '../engine/operations/last-operation';
import type { HandlerResult } from './context';

/** The HTTP answers that more than one endpoint gives alike. */

/** Deprovision and unbind: 200, 410 when the broker found it gone, or 202. */
export function deleteAnswer(outcome: DeleteOutcome): HandlerResult {
  switch (outcome.kind) {
    case 'deleted':
      return { status: 200, body: {} };
    case 'gone':
      return { status: 410, body: {} };
    case 'accepted':
      return { status: 202, body: outcome.answer };
  }
}

/** Both last_operation endpoints: 200, with Retry-After while the operation runs. */
export function lastOperationAnswer({ answer, retryAfterSeconds }: LastOperation): HandlerResult {
  return retryAfterSeconds === undefined ? { status: 200, body: answer } : { status: 200, body: answer, retryAfter: retryAfterSeconds };
}
