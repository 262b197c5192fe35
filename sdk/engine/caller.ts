import type { Caller } from '../broker';
import { parseOriginatingIdentity } from '../identity';
import type { StoredCaller } from '../store/types';

/**
 * The caller a broker method is handed, from what the operation stored: the identity header
 * is kept as sent and parsed again on each step, so a resumed step sees what the first saw.
 */
export function callerFrom(stored: StoredCaller | undefined): Caller {
  const caller: Caller = { apiVersion: stored?.apiVersion ?? '2.17' };
  if (stored?.requestId) caller.requestId = stored.requestId;
  if (stored?.identityHeader) {
    const parsed = parseOriginatingIdentity(stored.identityHeader);
    if (parsed.ok) caller.identity = parsed.identity;
  }
  return caller;
}
