import { fileSystemInUse } from '../errors';
import { findFileSystem, type Operation } from '../operation';
import { Constraints, PATTERNS } from '../validation';

/**
 * DELETE /2015-02-01/file-systems/{FileSystemId} → 204; the file system is `deleting` until the
 * deletion delay has passed, then gone (with its access points and its backing directory).
 * Refused with FileSystemInUse while it has mount targets, including ones still being deleted.
 */
export const deleteFileSystem: Operation = {
  name: 'DeleteFileSystem',
  method: 'DELETE',
  path: '/2015-02-01/file-systems/{FileSystemId}',
  throttleStatus: 400,
  async run({ emulator, params }) {
    const id = params.FileSystemId ?? '';
    const constraints = new Constraints();
    constraints.text(id, 'fileSystemId', { max: 128, pattern: PATTERNS.fileSystemId });
    constraints.throwIfAny();
    const record = findFileSystem(emulator, id);
    if (emulator.store.mountTargetsOf(record.fileSystemId).length > 0) throw fileSystemInUse(record.fileSystemId);
    if (record.deletedAtMs === undefined) {
      record.deletedAtMs = emulator.now() + emulator.settings.deletionDelayMs;
      await emulator.commit();
    }
    return { status: 204 };
  },
};
