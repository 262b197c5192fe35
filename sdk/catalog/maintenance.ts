import { errors } from '../errors';
import type { PlanEntry } from './catalog';

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
