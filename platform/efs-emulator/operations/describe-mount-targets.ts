import { badRequest } from '../errors';
import { findAccessPoint, findFileSystem, findMountTarget, type Operation } from '../operation';
import { paginate } from '../pagination';
import { describeMountTarget } from '../presenters';
import type { MountTargetRecord } from '../records';
import { Constraints, PATTERNS, queryInteger, queryString } from '../validation';

/** EFS's page size for mount targets when MaxItems is not given; and its largest page. */
const DEFAULT_PAGE = 10;
const MAX_PAGE = 100;

/**
 * GET /2015-02-01/mount-targets?FileSystemId|MountTargetId|AccessPointId&Marker&MaxItems →
 * 200 { Marker?, MountTargets, NextMarker? }. Exactly one of the three ids must be given.
 */
export const describeMountTargets: Operation = {
  name: 'DescribeMountTargets',
  method: 'GET',
  path: '/2015-02-01/mount-targets',
  throttleStatus: 400,
  async run({ emulator, query }) {
    const constraints = new Constraints();
    const maxItems = queryInteger(query, 'MaxItems');
    constraints.range(maxItems, 'maxItems', { min: 1 });
    const marker = queryString(query, 'Marker');
    constraints.text(marker, 'marker', { min: 1, max: 128, pattern: PATTERNS.anyText });
    const fileSystemId = queryString(query, 'FileSystemId');
    constraints.text(fileSystemId, 'fileSystemId', { max: 128, pattern: PATTERNS.fileSystemId });
    const mountTargetId = queryString(query, 'MountTargetId');
    constraints.text(mountTargetId, 'mountTargetId', { min: 13, max: 45, pattern: PATTERNS.mountTargetId });
    const accessPointId = queryString(query, 'AccessPointId');
    constraints.text(accessPointId, 'accessPointId', { max: 128, pattern: PATTERNS.accessPointId });
    constraints.throwIfAny();

    const given = [fileSystemId, mountTargetId, accessPointId].filter((value) => value !== undefined).length;
    if (given !== 1) throw badRequest('Exactly one of FileSystemId, MountTargetId or AccessPointId must be given');
    let matching: MountTargetRecord[];
    if (mountTargetId !== undefined) matching = [findMountTarget(emulator, mountTargetId)];
    else if (fileSystemId !== undefined) matching = emulator.store.mountTargetsOf(findFileSystem(emulator, fileSystemId).fileSystemId);
    else matching = emulator.store.mountTargetsOf(findAccessPoint(emulator, accessPointId as string).fileSystemId);

    const page = paginate(matching, (record) => record.seq, {
      kind: 'mount-targets',
      token: marker,
      pageSize: Math.min(maxItems ?? DEFAULT_PAGE, MAX_PAGE),
      parameter: 'Marker',
    });
    const now = emulator.now();
    return {
      status: 200,
      body: {
        ...(marker === undefined ? {} : { Marker: marker }),
        MountTargets: page.items.map((record) => describeMountTarget(emulator, record, now)),
        ...(page.next === undefined ? {} : { NextMarker: page.next }),
      },
    };
  },
};
