import { findAccessPoint, type Operation } from '../operation';
import { Constraints, PATTERNS } from '../validation';

/**
 * DELETE /2015-02-01/access-points/{AccessPointId} → 204; `deleting` until the deletion delay
 * has passed, then gone. Its directory and the data in it stay, as on EFS.
 */
export const deleteAccessPoint: Operation = {
  name: 'DeleteAccessPoint',
  method: 'DELETE',
  path: '/2015-02-01/access-points/{AccessPointId}',
  throttleStatus: 400,
  async run({ emulator, params }) {
    const id = params.AccessPointId ?? '';
    const constraints = new Constraints();
    constraints.text(id, 'accessPointId', { max: 128, pattern: PATTERNS.accessPointId });
    constraints.throwIfAny();
    const record = findAccessPoint(emulator, id);
    if (record.deletedAtMs === undefined) {
      record.deletedAtMs = emulator.now() + emulator.settings.deletionDelayMs;
      await emulator.commit();
    }
    return { status: 204 };
  },
};
