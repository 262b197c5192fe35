import { findMountTarget, type Operation } from '../operation';
import { Constraints, PATTERNS } from '../validation';

/**
 * DELETE /2015-02-01/mount-targets/{MountTargetId} → 204; the mount target is `deleting`
 * until the deletion delay has passed, then gone. Its file system counts it (and cannot be
 * deleted) until then.
 */
export const deleteMountTarget: Operation = {
  name: 'DeleteMountTarget',
  method: 'DELETE',
  path: '/2015-02-01/mount-targets/{MountTargetId}',
  throttleStatus: 400,
  async run({ emulator, params }) {
    const id = params.MountTargetId ?? '';
    const constraints = new Constraints();
    constraints.text(id, 'mountTargetId', { min: 13, max: 45, pattern: PATTERNS.mountTargetId });
    constraints.throwIfAny();
    const record = findMountTarget(emulator, id);
    if (record.deletedAtMs === undefined) {
      record.deletedAtMs = emulator.now() + emulator.settings.deletionDelayMs;
      await emulator.commit();
    }
    return { status: 204 };
  },
};
