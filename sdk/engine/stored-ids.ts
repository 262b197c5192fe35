import type { OsbError } from '../errors';
import type { EngineContext } from './context';

/**
 * Ids that name something the catalog does not have. On the endpoints that delete or read
 * what exists, this is not final: the spec lets a broker drop a plan (or an offering) while
 * instances of it live on, and the platform still names it when it deletes or polls them.
 */
export interface UnknownIds {
  serviceId?: string;
  planId?: string;
  /** The answer when the stored instance does not carry these ids. */
  refusal: OsbError;
}

/**
 * Accepts ids the catalog no longer has when they are those of the stored instance;
 * otherwise the catalog's refusal stands. Rare, so the extra read is no burden.
 */
export async function requireStoredIds(engine: EngineContext, instanceId: string, unknown: UnknownIds): Promise<void> {
  const record = (await engine.store.getInstance(instanceId))?.record;
  const stored = record !== undefined
    && (unknown.serviceId === undefined || unknown.serviceId === record.serviceId)
    && (unknown.planId === undefined || unknown.planId === record.planId);
  if (!stored) throw unknown.refusal;
}
