import type { Catalog, ParameterSlot, PlanEntry } from '../catalog/catalog';
import { errors } from '../errors';
import type { JsonObject } from '../json';

/**
 * What a request asks of a plan beyond its ids: the maintenance_info it was made against and
 * parameters that fit the plan's schema. Every operation checks these here, after the
 * handler checked the request's shape and ids.
 */

/** A maintenance_info.version that differs from the plan's is a conflict the platform must resolve. */
export function checkMaintenanceInfo(entry: PlanEntry, version: string | undefined): void {
  if (version === undefined) return;
  const expected = entry.plan.maintenance_info?.version;
  if (expected === undefined) {
    throw errors.maintenanceInfoConflict(`Plan "${entry.plan.name}" has no maintenance_info, but the request sent version ${version}.`);
  }
  if (expected !== version) {
    throw errors.maintenanceInfoConflict(
      `maintenance_info.version ${version} does not match the catalog's ${expected} for plan "${entry.plan.name}"; fetch the catalog again.`,
    );
  }
}

export function checkParameters(catalog: Catalog, planId: string, slot: ParameterSlot, parameters: JsonObject): void {
  const problems = catalog.validateParameters(planId, slot, parameters);
  if (problems.length > 0) throw errors.badRequest(`The parameters are invalid: ${problems.join('; ')}.`);
}
