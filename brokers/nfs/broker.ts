import {
  answerFromStore, errors, type BindRequest, type BindResult, type DeprovisionRequest, type JsonObject, type JsonValue,
  type ProvisionRequest, type ProvisionResult, type ServiceBroker, type UpdateRequest,
} from '../../sdk';
import { localVolumeDirName, normaliseContainerDir, type VolumeMount } from '../../sdk/volume';
import { ManagedShare, ManagedShareError } from './managed-share';
import { mergeMountOptions, mountConfig, MountOptionsError, readMountOptions, volumeId, type MountOptions, type ReadOptions } from './mount-options';
import { nfsFailureReason } from './nfs-failure';
import { parseShare, shareSource, shareText, shareWithin, ShareSyntaxError, type NfsShare } from '../../sdk/volume/nfs-share';
import type { ShareAllowList } from '../../sdk/volume/nfs-share-allow-list';
import { checkShare, ShareUnusableError } from './share-check';

/**
 * The NFS volume broker, compatible with Cloud Foundry's nfsbroker: plan `Existing` records a
 * share the user names (after checking it against the operator's allow-list and that it can
 * be mounted), plan `Managed` makes a directory per instance on the operator's export. Bind
 * answers `volume_mounts` for the NFS driver in nfsbroker's shape.
 */

export const EXISTING_PLAN = 'Existing';
export const MANAGED_PLAN = 'Managed';
export const DEFAULT_NFS_DRIVER = 'nfsv3driver';
export const DEFAULT_SHARE_CHECK_TIMEOUT_MS = 10_000;

export interface NfsBrokerOptions {
  /** The shares the Existing plan accepts; an empty list refuses every share. */
  allowedShares: ShareAllowList;
  /** The export the Managed plan makes directories on; without it the plan refuses to provision. */
  managedShare?: ManagedShare;
  /** The driver name cells know the NFS driver by. */
  driver?: string;
  /** The bound on the create-time check of an Existing share. */
  shareCheckTimeoutMs?: number;
  /** The portmapper port of Existing shares' servers; 111 unless set. */
  portmapPort?: number;
}

/** What provision keeps for bind and deprovision: the share, and for Managed where its directory was made. */
interface InstanceData {
  share: NfsShare;
  /** The managed share's URL when the directory was made; the directory's name follows from the instance id. */
  managed?: { url: string };
}

const REFUSED_AT_CREATE: Readonly<Record<string, string>> = {
  source: 'source cannot be given: it is made from share',
};
const REFUSED_AT_BIND: Readonly<Record<string, string>> = {
  share: 'share cannot be given at bind: it is fixed when the instance is created',
  source: 'source cannot be given at bind: it is fixed when the instance is created',
};
const REFUSED_BY_MANAGED: Readonly<Record<string, string>> = {
  share: "share is not taken by the Managed plan: it makes the instance's directory on the operator's share",
  ...REFUSED_AT_CREATE,
};

export class NfsVolumeBroker implements ServiceBroker {
  private readonly driver: string;

  constructor(private readonly options: NfsBrokerOptions) {
    this.driver = options.driver ?? DEFAULT_NFS_DRIVER;
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    if (request.plan.name === EXISTING_PLAN) return this.provisionExisting(request);
    if (request.plan.name === MANAGED_PLAN) return this.provisionManaged(request);
    throw errors.internal(new Error(`the NFS broker has no plan named ${JSON.stringify(request.plan.name)}`));
  }

  private async provisionExisting(request: ProvisionRequest): Promise<ProvisionResult> {
    const problems: string[] = [];
    const options = collect(problems, () => readMountOptions(request.parameters, { alsoAllowed: ['share'], refused: REFUSED_AT_CREATE }));
    const share = collect(problems, () => readShare(request.parameters.share));
    if (problems.length > 0 || !options || !share) throw invalidParameters(problems);
    this.checkAllowed(share, (text) => errors.badRequest(text));
    await this.checkReachable(share, options);
    return { data: { share: shareText(share) } };
  }

  private async provisionManaged(request: ProvisionRequest): Promise<ProvisionResult> {
    const managed = this.options.managedShare;
    if (!managed) throw errors.unprocessable('The Managed plan is not available: the operator has configured no managed share (--managed-share or OSBKIT_NFS_MANAGED_SHARE).');
    const options = readOptions(request.parameters, { refused: REFUSED_BY_MANAGED });
    if (options.uid === undefined || options.gid === undefined) {
      throw invalidParameters(["the Managed plan needs uid and gid: the owner of the instance's directory (mode 0770)"]);
    }
    const dir = localVolumeDirName(request.instanceId);
    try {
      await managed.createInstanceDir(dir, { uid: options.uid, gid: options.gid });
    } catch (error) {
      throw managedFailure(managed, 'create', error);
    }
    return { data: { share: shareText(managed.instanceShare(dir)), managed: { url: managed.url } } };
  }

  async deprovision(request: DeprovisionRequest): Promise<void> {
    if (request.instance.plan.name !== MANAGED_PLAN) return;
    // A create that failed part-way stored no data: its directory, if any, is where this broker makes them.
    const data = request.instance.data === undefined ? undefined : readInstanceData(request.instance.data);
    const managed = data?.managed ? ManagedShare.parse(data.managed.url, this.managedConnectTimeout()) : this.options.managedShare;
    if (!managed) return;
    const dir = localVolumeDirName(request.instance.instanceId);
    let removed: boolean;
    try {
      removed = await managed.removeInstanceDir(dir);
    } catch (error) {
      throw managedFailure(managed, 'remove', error);
    }
    if (!removed) throw errors.gone();
  }

  async bind(request: BindRequest): Promise<BindResult> {
    const { instance } = request;
    const data = readInstanceData(instance.data);
    if (!data.managed) this.checkAllowed(data.share, (text) => errors.unprocessable(`${text} It was allowed when the instance was created; the operator has since changed the allow-list.`));
    const refused = instance.plan.name === MANAGED_PLAN ? REFUSED_BY_MANAGED : REFUSED_AT_CREATE;
    const created = readOptions(instance.parameters, { refused, ...(data.managed ? {} : { alsoAllowed: ['share'] }) });
    const bound = readOptions(request.parameters, { refused: REFUSED_AT_BIND });
    let options: MountOptions;
    try {
      options = mergeMountOptions(created, bound);
    } catch (error) {
      if (error instanceof MountOptionsError) throw invalidParameters(error.problems);
      throw error;
    }
    const config = mountConfig(shareSource(data.share), options);
    const volumeMount = {
      driver: this.driver,
      container_dir: options.mount ?? normaliseContainerDir(`/var/vcap/data/${instance.instanceId}`),
      mode: options.readonly === true ? 'r' : 'rw',
      device_type: 'shared',
      device: { volume_id: volumeId(instance.instanceId, config), mount_config: config },
    } satisfies VolumeMount;
    return { credentials: {}, volume_mounts: [volumeMount] };
  }

  // The driver unmounts on the cell when the app stops; the broker has nothing to revoke.
  async unbind(): Promise<void> {}

  /**
   * Only maintenance_info upgrades reach here (the plans are not plan_updateable): an instance
   * is a share or a directory, with nothing versioned to upgrade, so the SDK records the new
   * version. The share and the mount options are fixed at create time.
   */
  async update(request: UpdateRequest): Promise<void> {
    if (request.parameters !== undefined && Object.keys(request.parameters).length > 0) {
      throw errors.unprocessable('The parameters of an NFS instance cannot change; bindings take their own mount options, or create a new instance.', {
        instanceUsable: true,
        updateRepeatable: false,
      });
    }
  }

  requiresApp(): boolean {
    return true;
  }

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;

  /** Refuses a share outside the operator's allow-list, or inside the Managed plan's export. */
  private checkAllowed(share: NfsShare, refuse: (text: string) => Error): void {
    const managed = this.options.managedShare;
    if (managed && shareWithin(share, managed.share)) {
      throw refuse(`The share ${shareText(share)} is not allowed: it lies in the Managed plan's share ${shareText(managed.share)}, whose directories belong to other instances.`);
    }
    if (this.options.allowedShares.find(share)) return;
    const rules = this.options.allowedShares.empty ? 'this broker allows no existing shares (the operator has set no --allowed-shares)' : `this broker allows only shares matching ${this.options.allowedShares}`;
    throw refuse(`The share ${shareText(share)} is not allowed: ${rules}.`);
  }

  private async checkReachable(share: NfsShare, options: MountOptions): Promise<void> {
    const identity = options.uid !== undefined && options.gid !== undefined ? { uid: options.uid, gid: options.gid, checkAccess: true } : { uid: 0, gid: 0, checkAccess: false };
    try {
      await checkShare(share, {
        timeoutMs: this.options.shareCheckTimeoutMs ?? DEFAULT_SHARE_CHECK_TIMEOUT_MS,
        ...identity,
        ...(this.options.portmapPort !== undefined ? { portmapPort: this.options.portmapPort } : {}),
      });
    } catch (error) {
      const reason = error instanceof ShareUnusableError ? error.reason : nfsFailureReason(error);
      if (reason === undefined) throw error;
      throw errors.unprocessable(`Cannot use the share ${shareText(share)} (server ${share.host}): ${reason}.`);
    }
  }

  private managedConnectTimeout(): number {
    return this.options.shareCheckTimeoutMs ?? DEFAULT_SHARE_CHECK_TIMEOUT_MS;
  }
}

function readOptions(parameters: JsonObject, options: ReadOptions): MountOptions {
  try {
    return readMountOptions(parameters, options);
  } catch (error) {
    if (error instanceof MountOptionsError) throw invalidParameters(error.problems);
    throw error;
  }
}

function readShare(value: JsonValue | undefined): NfsShare {
  if (value === undefined) throw new MountOptionsError(['share is required: the NFS share as server/path (for example 10.0.0.5/exports/data)']);
  if (typeof value !== 'string') throw new MountOptionsError([`share must be a string, got ${JSON.stringify(value)}`]);
  try {
    return parseShare(value);
  } catch (error) {
    if (!(error instanceof ShareSyntaxError)) throw error;
    const shown = value.length > 100 ? `${JSON.stringify(value.slice(0, 97))}...` : JSON.stringify(value);
    throw new MountOptionsError([`the share ${shown} is invalid: ${error.problem}`]);
  }
}

/** Runs a reader that reports problems as MountOptionsError, adding them to `problems`. */
function collect<T>(problems: string[], read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof MountOptionsError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

function invalidParameters(problems: string[]): Error {
  return errors.badRequest(`The parameters are invalid: ${problems.join('; ')}.`);
}

function managedFailure(managed: ManagedShare, action: 'create' | 'remove', error: unknown): unknown {
  const reason = error instanceof ManagedShareError ? error.reason : nfsFailureReason(error);
  if (reason === undefined) return error;
  return errors.unavailable(`Cannot ${action} the instance's directory on the managed share ${shareText(managed.share)}: ${reason}.`, error);
}

/** The broker's own record, read back with the same checks as anything else from outside the process. */
function readInstanceData(data: JsonValue | undefined): InstanceData {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || typeof data.share !== 'string') {
    throw errors.internal(new Error('the instance has no stored share'));
  }
  const share = parseShare(data.share);
  const managed = data.managed;
  if (managed === undefined) return { share };
  if (typeof managed !== 'object' || managed === null || Array.isArray(managed) || typeof managed.url !== 'string') {
    throw errors.internal(new Error('the instance has a malformed managed-share record'));
  }
  return { share, managed: { url: managed.url } };
}
