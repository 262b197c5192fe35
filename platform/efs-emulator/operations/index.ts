import type { Operation } from '../operation';
import { createAccessPoint } from './create-access-point';
import { createFileSystem } from './create-file-system';
import { createMountTarget } from './create-mount-target';
import { deleteAccessPoint } from './delete-access-point';
import { deleteFileSystem } from './delete-file-system';
import { deleteMountTarget } from './delete-mount-target';
import { describeAccessPoints } from './describe-access-points';
import { describeFileSystems } from './describe-file-systems';
import { describeMountTargets } from './describe-mount-targets';
import { listTagsForResource } from './list-tags-for-resource';
import { tagResource } from './tag-resource';
import { untagResource } from './untag-resource';

/** Every operation the emulator serves. */
export const OPERATIONS: readonly Operation[] = [
  createFileSystem,
  describeFileSystems,
  deleteFileSystem,
  createMountTarget,
  describeMountTargets,
  deleteMountTarget,
  createAccessPoint,
  describeAccessPoints,
  deleteAccessPoint,
  tagResource,
  listTagsForResource,
  untagResource,
];
