import { chmod, chown, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  answerFromStore, errors, type BindRequest, type BindResult, type DeprovisionRequest, type ProvisionRequest,
  type ProvisionResult, type ServiceBroker, type ServicePlan, type UpdateRequest,
} from '../../sdk';
import { InvalidContainerDirError, localVolumePath, normaliseContainerDir, type VolumeMount } from '../../sdk/volume';

/**
 * The local volume broker: provision makes a directory per instance under `volumesRoot`,
 * bind answers `volume_mounts` for the local driver, deprovision deletes the directory.
 * The driver resolves the same volume id to the same directory (sdk/volume/local-path), so
 * what the app writes lands in the broker's directory.
 */
export interface LocalBrokerOptions {
  volumesRoot: string;
  /** The driver name cells know the local driver by. */
  driver?: string;
  /** Owner of new directories; when unset they are world-writable so any app user can write. */
  owner?: { uid: number; gid: number };
}

export const LOCAL_CATALOG_PATH = join(__dirname, '..', '..', '..', 'catalog', 'local.yaml');

export class LocalVolumeBroker implements ServiceBroker {
  private readonly driver: string;

  constructor(private readonly options: LocalBrokerOptions) {
    this.driver = options.driver ?? 'localdriver';
  }

  async start(): Promise<void> {
    await mkdir(this.options.volumesRoot, { recursive: true });
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    const dir = localVolumePath(this.options.volumesRoot, request.instanceId);
    // recursive: a repeated step after a crash finds the directory already there.
    await mkdir(dir, { recursive: true });
    if (this.options.owner) await chown(dir, this.options.owner.uid, this.options.owner.gid);
    else await chmod(dir, 0o777);
    return {};
  }

  async deprovision(request: DeprovisionRequest): Promise<void> {
    const dir = localVolumePath(this.options.volumesRoot, request.instance.instanceId);
    const exists = await stat(dir).then(() => true, () => false);
    if (!exists) throw errors.gone();
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * The plans differ only in what bindings made later default to, and a directory has no
   * version to upgrade: a plan change or a maintenance_info upgrade changes nothing here, and
   * the SDK records it. The plans have no update parameters to change.
   */
  async update(request: UpdateRequest): Promise<void> {
    if (request.parameters !== undefined && Object.keys(request.parameters).length > 0) {
      throw errors.unprocessable('A local volume has no parameters to change; create a new instance instead.', { instanceUsable: true, updateRepeatable: false });
    }
  }

  async bind(request: BindRequest): Promise<BindResult> {
    const { mount } = request.parameters;
    const readonly = typeof request.parameters.readonly === 'boolean' ? request.parameters.readonly : readOnlyByDefault(request.instance.plan);
    let containerDir: string;
    try {
      containerDir = normaliseContainerDir(typeof mount === 'string' ? mount : `/var/vcap/data/${request.instance.instanceId}`);
    } catch (error) {
      if (error instanceof InvalidContainerDirError) throw errors.badRequest(`The mount parameter is invalid: ${error.message}.`);
      throw error;
    }
    const volumeMount = {
      driver: this.driver,
      container_dir: containerDir,
      mode: readonly === true ? 'r' : 'rw',
      device_type: 'shared',
      device: { volume_id: request.instance.instanceId, mount_config: {} },
    } satisfies VolumeMount;
    return { credentials: {}, volume_mounts: [volumeMount] };
  }

  // The driver unmounts on the cell when the app stops; the broker has nothing to revoke.
  async unbind(): Promise<void> {}

  requiresApp(): boolean {
    return true;
  }

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;
}

/** The read-only plan's bindings mount read-only unless they say otherwise (its metadata says so). */
function readOnlyByDefault(plan: ServicePlan): boolean {
  return plan.metadata?.default_readonly === true;
}
