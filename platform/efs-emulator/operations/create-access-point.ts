import { accessPointAlreadyExists, accessPointLimitExceeded, incorrectFileSystemLifeCycleState } from '../errors';
import { findFileSystem, type Operation } from '../operation';
import { describeAccessPoint } from '../presenters';
import { lifeCycleState, type AccessPointRecord, type CreationInfo, type PosixUser, type RootDirectory } from '../records';
import { mergeTags, readTags } from '../tags';
import { BodyReader, Constraints, MAX_POSIX_ID, PATTERNS } from '../validation';

/**
 * POST /2015-02-01/access-points → 200 AccessPointDescription, state `creating`. ClientToken
 * makes it idempotent: the same token on the same file system answers AccessPointAlreadyExists
 * with the existing access point's id. With a backing directory, a RootDirectory that has
 * CreationInfo is created right away (EFS creates it on the first mount through the access point).
 */
export const createAccessPoint: Operation = {
  name: 'CreateAccessPoint',
  method: 'POST',
  path: '/2015-02-01/access-points',
  // The one operation for which EFS models ThrottlingException, with status 429.
  throttleStatus: 429,
  async run({ emulator, body }) {
    const input = BodyReader.of(body);
    const constraints = new Constraints();
    const clientToken = input.string('ClientToken');
    if (constraints.required(clientToken, 'clientToken')) constraints.text(clientToken, 'clientToken', { min: 1, max: 64, pattern: PATTERNS.anyText });
    const fileSystemId = input.string('FileSystemId');
    if (constraints.required(fileSystemId, 'fileSystemId')) constraints.text(fileSystemId, 'fileSystemId', { max: 128, pattern: PATTERNS.fileSystemId });
    const tags = readTags(input, constraints);
    const posixUser = readPosixUser(input, constraints);
    const rootDirectory = readRootDirectory(input, constraints);
    constraints.throwIfAny();

    const fileSystem = findFileSystem(emulator, fileSystemId as string);
    const existing = emulator.store.accessPointByClientToken(fileSystem.fileSystemId, clientToken as string);
    if (existing) throw accessPointAlreadyExists(existing.accessPointId);
    const state = lifeCycleState(fileSystem, emulator.now());
    if (state !== 'available') throw incorrectFileSystemLifeCycleState(fileSystem.fileSystemId, state);
    if (emulator.store.countAccessPoints(fileSystem.fileSystemId) >= emulator.settings.accessPointLimit) {
      throw accessPointLimitExceeded(fileSystem.fileSystemId, emulator.settings.accessPointLimit);
    }
    const allTags = mergeTags([], tags ?? []);

    const now = emulator.now();
    const record: AccessPointRecord = {
      accessPointId: emulator.newId('fsap'),
      fileSystemId: fileSystem.fileSystemId,
      clientToken: clientToken as string,
      ...(posixUser === undefined ? {} : { posixUser }),
      rootDirectory: rootDirectory ?? { Path: '/' },
      tags: allTags,
      seq: emulator.store.takeSeq(),
      createdAtMs: now,
      availableAtMs: now + emulator.settings.creationDelayMs,
    };
    emulator.store.accessPoints.set(record.accessPointId, record);
    await emulator.createAccessPointRoot(record);
    await emulator.commit();
    return { status: 200, body: describeAccessPoint(emulator, record, emulator.now()) };
  },
};

function readPosixUser(input: BodyReader, constraints: Constraints): PosixUser | undefined {
  const reader = input.structure('PosixUser');
  if (reader === undefined) return undefined;
  const uid = reader.integer('Uid');
  if (constraints.required(uid, 'posixUser.uid')) constraints.range(uid, 'posixUser.uid', { min: 0, max: MAX_POSIX_ID });
  const gid = reader.integer('Gid');
  if (constraints.required(gid, 'posixUser.gid')) constraints.range(gid, 'posixUser.gid', { min: 0, max: MAX_POSIX_ID });
  const secondaryGids = reader.integerList('SecondaryGids');
  constraints.listSize(secondaryGids, 'posixUser.secondaryGids', { min: 0, max: 16 });
  secondaryGids?.forEach((value, index) => constraints.range(value, `posixUser.secondaryGids.${index + 1}.member`, { min: 0, max: MAX_POSIX_ID }));
  return { Uid: uid ?? 0, Gid: gid ?? 0, ...(secondaryGids === undefined ? {} : { SecondaryGids: secondaryGids }) };
}

function readRootDirectory(input: BodyReader, constraints: Constraints): RootDirectory | undefined {
  const reader = input.structure('RootDirectory');
  if (reader === undefined) return undefined;
  const path = reader.string('Path');
  constraints.text(path, 'rootDirectory.path', { min: 1, max: 100, pattern: PATTERNS.rootDirectoryPath });
  const infoReader = reader.structure('CreationInfo');
  let creationInfo: CreationInfo | undefined;
  if (infoReader !== undefined) {
    const ownerUid = infoReader.integer('OwnerUid');
    if (constraints.required(ownerUid, 'rootDirectory.creationInfo.ownerUid')) constraints.range(ownerUid, 'rootDirectory.creationInfo.ownerUid', { min: 0, max: MAX_POSIX_ID });
    const ownerGid = infoReader.integer('OwnerGid');
    if (constraints.required(ownerGid, 'rootDirectory.creationInfo.ownerGid')) constraints.range(ownerGid, 'rootDirectory.creationInfo.ownerGid', { min: 0, max: MAX_POSIX_ID });
    const permissions = infoReader.string('Permissions');
    if (constraints.required(permissions, 'rootDirectory.creationInfo.permissions')) {
      constraints.text(permissions, 'rootDirectory.creationInfo.permissions', { min: 3, max: 4, pattern: PATTERNS.permissions });
    }
    creationInfo = { OwnerUid: ownerUid ?? 0, OwnerGid: ownerGid ?? 0, Permissions: permissions ?? '' };
  }
  return { Path: path ?? '/', ...(creationInfo === undefined ? {} : { CreationInfo: creationInfo }) };
}
