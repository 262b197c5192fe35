import { errors, isOsbError, type OsbError } from '../../sdk';
import { MysqlFailure, noAnswerDescription } from '../../sdk/store/mysql/failure';

/**
 * The broker's side of MySQL failures. The sanitising MysqlFailure lives with the SDK's
 * MysqlStore, which needs it too; here it becomes what a broker method throws.
 */

export { MysqlFailure, hasErrorCode, isTimeout, noAnswerDescription, toMysqlFailure } from '../../sdk/store/mysql/failure';

export const UNREACHABLE_DESCRIPTION = 'The MySQL server is unreachable; try again later.';

/**
 * What a broker method throws to the SDK: its own refusals unchanged, an unreachable or
 * unanswering server as 503, anything else as a generic 500 whose cause (sanitised) stays in
 * the logs.
 */
export function toBrokerError(thrown: unknown): OsbError | Error {
  if (isOsbError(thrown)) return thrown;
  if (thrown instanceof MysqlFailure) {
    if (thrown.timeoutMs !== undefined) return errors.unavailable(noAnswerDescription('The MySQL server', thrown.timeoutMs), thrown);
    return thrown.unavailable ? errors.unavailable(UNREACHABLE_DESCRIPTION, thrown) : errors.internal(thrown);
  }
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
