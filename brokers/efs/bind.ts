import { errors, type BindRequest, type BindResult, type InProgress, type StepContext, type UnbindRequest } from '../../sdk';
import type { ResolvedEfsConfig } from './config';
import type { EfsApi } from './efs-api';
import { accessPointClientToken, accessPointTags, hasTag, idTagValue, rootDirectoryPath, TAG_KEYS } from './naming';
import { readBindParameters } from './parameters';
import { readBindingData, readCheckpoint, readInstanceData, type BindPhase, type BindingData, type Checkpoint } from './records';
import { efsVolumeMount } from './volume-mount';
import { continueIn, throwIfAborted } from './waits';

/**
 * A binding is an EFS access point: the app's POSIX identity, rooted in the instance's shared
 * directory or in one of its own, made with that identity as owner (mode 0770) when missing.
 * CreateAccessPoint carries a ClientToken derived from the bind operation, so a step that runs
 * again finds the access point the first run made. Bind waits (as SDK steps) until AWS reports
 * it `available`, then answers the volume mount.
 */

const PHASES: readonly BindPhase[] = ['create-access-point', 'access-point'];
/** Owner and group may read and write; nobody else. */
export const ROOT_DIRECTORY_PERMISSIONS = '0770';

export async function bindStep(api: EfsApi, config: ResolvedEfsConfig, request: BindRequest, ctx: StepContext): Promise<BindResult | InProgress> {
  const parameters = readBindParameters(request.parameters);
  const instance = readInstanceData(request.instance.data);
  if (!instance) throw errors.internal(new Error('the instance has no stored file system'));
  const rootPath = rootDirectoryPath(parameters.rootDirectory, request.bindingId);
  const checkpoint: Checkpoint<BindPhase> = readCheckpoint(ctx.checkpoint, PHASES) ?? { phase: 'create-access-point', waits: 0 };

  let accessPointId = checkpoint.accessPointId;
  let state: string | undefined;
  if (!accessPointId) {
    const made = await api.createAccessPoint({
      fileSystemId: instance.fileSystemId,
      clientToken: accessPointClientToken(ctx.operationId),
      uid: parameters.uid,
      gid: parameters.gid,
      rootPath,
      permissions: ROOT_DIRECTORY_PERMISSIONS,
      tags: accessPointTags(request.instance.instanceId, request.bindingId),
    });
    accessPointId = made.accessPointId;
    state = made.state;
    ctx.logger.info({ fileSystemId: instance.fileSystemId, accessPointId, rootPath }, 'EFS access point created');
  } else {
    throwIfAborted(ctx);
    const found = await api.describeAccessPoint(accessPointId);
    if (!found) throw errors.unprocessable(`The access point ${accessPointId} was deleted while it was being created.`);
    state = found.LifeCycleState;
  }

  if (state === 'creating' || state === 'updating' || state === undefined) {
    return continueIn(config.waits, checkpoint, 'access-point', `Waiting for the access point ${accessPointId} to become available (it is ${state ?? 'not listed yet'}).`, { accessPointId });
  }
  if (state !== 'available') throw errors.unprocessable(`The access point ${accessPointId} is ${state}; it cannot be mounted.`);

  const data: BindingData = { fileSystemId: instance.fileSystemId, accessPointId, rootPath };
  const volumeMount = efsVolumeMount({
    instanceId: request.instance.instanceId,
    fileSystemId: instance.fileSystemId,
    region: instance.region,
    accessPointId,
    rootPath,
    uid: parameters.uid,
    gid: parameters.gid,
    readonly: parameters.readonly,
    ...(parameters.mount !== undefined ? { mount: parameters.mount } : {}),
    driver: config.driver,
    ...(config.nfsExport ? { nfsExport: config.nfsExport } : {}),
  });
  return { credentials: {}, volume_mounts: [volumeMount], data: { ...data } };
}

/**
 * Deletes the binding's access point; its directory and data stay, as EFS leaves them. A bind
 * that failed or was halted stored no id: then every access point of the file system tagged
 * with this binding goes. 410 when there was none.
 */
export async function unbindStep(api: EfsApi, request: UnbindRequest): Promise<void> {
  const stored = readBindingData(request.binding.data)?.accessPointId ?? readCheckpoint(request.haltedCheckpoint, PHASES)?.accessPointId;
  const ids: string[] = [];
  if (stored) {
    ids.push(stored);
  } else {
    const fileSystemId = readInstanceData(request.instance.data)?.fileSystemId;
    if (!fileSystemId) throw errors.gone();
    const bindingTag = idTagValue(request.binding.bindingId);
    const instanceTag = idTagValue(request.instance.instanceId);
    for (const accessPoint of await api.accessPoints(fileSystemId)) {
      if (accessPoint.AccessPointId && hasTag(accessPoint.Tags, TAG_KEYS.bindingId, bindingTag) && hasTag(accessPoint.Tags, TAG_KEYS.instanceId, instanceTag)) {
        ids.push(accessPoint.AccessPointId);
      }
    }
  }
  let deleted = 0;
  for (const id of ids) if (await api.deleteAccessPoint(id)) deleted += 1;
  if (deleted === 0) throw errors.gone();
}
