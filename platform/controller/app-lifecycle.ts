import { egressFromBindings } from './binding-egress';
import { CellError, type CellLrp, type CellVolumeMount } from './cell-api';
import type { ControllerDeps } from './deps';
import { bindingScope } from './resources';
import { unbind } from './binding-operations';
import { ApiError, JobFailure, apiErrors } from './errors';
import type { RunningJob } from './jobs';
import { expireUnusedPackages, newestReadyPackage, removePackageFiles } from './package-operations';
import type { AppRecord, JobRecord } from './records';
import { timestamp } from './store';
import { buildVcapServices, type VcapBindingSource, type VcapServices } from './vcap-services';

/**
 * Apps on the cell: what a start sends (the app's environment plus VCAP_SERVICES and
 * VCAP_APPLICATION, the volume mounts of its bindings, and the unpacked bits of its newest
 * package as the app dir), stopping, and deleting an app together with its bindings and packages.
 */

/** The app's established bindings, oldest first, with what VCAP_SERVICES needs from each. */
export function vcapSources(deps: ControllerDeps, appGuid: string): VcapBindingSource[] {
  const sources: VcapBindingSource[] = [];
  for (const binding of deps.store.bindings.ofApp(appGuid)) {
    if (!binding.established) continue;
    const details = deps.store.bindings.details(binding.guid);
    if (!details) continue;
    const { instance, plan, offering } = bindingScope(deps, binding);
    sources.push({
      bindingGuid: binding.guid,
      bindingName: binding.name,
      instanceGuid: instance.guid,
      instanceName: instance.name,
      instanceTags: instance.tags,
      offeringName: offering.name,
      offeringTags: offering.document.tags ?? [],
      planName: plan.name,
      credentials: details.credentials,
      syslogDrainUrl: details.syslogDrainUrl,
      volumeMounts: details.volumeMounts,
    });
  }
  return sources;
}

export function vcapServicesOf(deps: ControllerDeps, appGuid: string): VcapServices {
  return buildVcapServices(vcapSources(deps, appGuid));
}

export function vcapApplicationOf(deps: ControllerDeps, app: AppRecord): Record<string, unknown> {
  const space = deps.store.spaces.get(app.spaceGuid);
  const organization = space && deps.store.organizations.get(space.organizationGuid);
  return {
    application_id: app.guid,
    application_name: app.name,
    application_uris: [],
    uris: [],
    name: app.name,
    process_id: app.guid,
    process_type: 'web',
    space_id: app.spaceGuid,
    space_name: space?.name ?? null,
    organization_id: organization?.guid ?? null,
    organization_name: organization?.name ?? null,
    limits: {},
  };
}

/** Every volume mount of every established binding, in the cell's terms (full device data). */
export function volumeMountsOf(deps: ControllerDeps, appGuid: string): CellVolumeMount[] {
  return vcapSources(deps, appGuid).flatMap((source) =>
    source.volumeMounts.map((mount) => ({
      driver: mount.driver,
      volumeId: mount.device.volume_id,
      mountConfig: mount.device.mount_config ?? {},
      containerDir: mount.container_dir,
      mode: mount.mode,
    })),
  );
}

export function desiredLrp(deps: ControllerDeps, app: AppRecord): CellLrp {
  const environment = deps.store.apps.environment(app.guid);
  return {
    name: app.name,
    command: app.command,
    env: {
      ...environment,
      VCAP_SERVICES: JSON.stringify(vcapServicesOf(deps, app.guid)),
      VCAP_APPLICATION: JSON.stringify(vcapApplicationOf(deps, app)),
    },
    instances: app.instances,
    // Only ever the controller's own copy of uploaded bits: no client names a host path.
    ...(app.packageGuid !== null ? { appDir: deps.packages.bitsDir(app.packageGuid) } : {}),
    volumeMounts: volumeMountsOf(deps, app.guid),
    egress: egressFromBindings(vcapSources(deps, app.guid).map((source) => source.credentials)),
  };
}

function cellFailure(error: unknown): ApiError {
  if (error instanceof CellError) return apiErrors.runnerUnavailable(error.message);
  return apiErrors.runnerUnavailable('the cell failed');
}

function saveState(deps: ControllerDeps, app: AppRecord, state: AppRecord['state']): AppRecord {
  const next = { ...app, state, updatedAt: timestamp() };
  deps.store.apps.save(next);
  return next;
}

/** Starts the app with its newest READY package (Cloud Controller refuses a start without bits too). */
export async function startApp(deps: ControllerDeps, app: AppRecord): Promise<AppRecord> {
  const bits = newestReadyPackage(deps, app.guid);
  if (!bits) throw apiErrors.packageInvalid('bits have not been uploaded; upload a package (POST /v3/packages, then /v3/packages/:guid/upload) first');
  // Recorded before the cell is asked, so the package is kept while the cell copies it.
  if (app.packageGuid !== bits.guid) {
    app = { ...app, packageGuid: bits.guid, updatedAt: timestamp() };
    deps.store.apps.save(app);
  }
  const lrp = desiredLrp(deps, app);
  try {
    await deps.cell.desire(app.guid, lrp);
  } catch (error) {
    deps.logger.warn({ app: app.guid, err: error }, 'the cell refused to start the app');
    throw cellFailure(error);
  }
  deps.logger.info({ app: app.guid, instances: app.instances, package: bits.guid, volumeMounts: lrp.volumeMounts.length }, 'app started');
  const started = saveState(deps, app, 'STARTED');
  await expireUnusedPackages(deps, app.guid);
  return started;
}

export async function stopApp(deps: ControllerDeps, app: AppRecord): Promise<AppRecord> {
  try {
    await deps.cell.stop(app.guid);
  } catch (error) {
    deps.logger.warn({ app: app.guid, err: error }, 'the cell refused to stop the app');
    throw cellFailure(error);
  }
  deps.logger.info({ app: app.guid }, 'app stopped');
  return saveState(deps, app, 'STOPPED');
}

/**
 * Desired state against actual, as Cloud Controller's sync with Diego does: a started app
 * the cell does not know (the cell restarted, or lost it) is desired again.
 */
export async function syncStartedApps(deps: ControllerDeps): Promise<number> {
  let desired = 0;
  for (const app of deps.store.apps.list()) {
    if (app.state !== 'STARTED') continue;
    try {
      const instances = await deps.cell.status(app.guid);
      if (instances.length > 0) continue;
      await deps.cell.desire(app.guid, desiredLrp(deps, app));
      desired++;
      deps.logger.warn({ app: app.guid }, 'the cell did not know a started app; desired it again');
    } catch (error) {
      deps.logger.warn({ app: app.guid, err: error }, 'could not sync an app with the cell');
    }
  }
  return desired;
}

export async function restartApp(deps: ControllerDeps, app: AppRecord): Promise<AppRecord> {
  return startApp(deps, await stopApp(deps, app));
}

export function deleteApp(deps: ControllerDeps, app: AppRecord, userId: string): JobRecord {
  return deps.jobs.enqueue(
    { operation: 'app.delete', resourceType: 'apps', resourceGuid: app.guid, userId },
    (job) => removeApp(deps, app.guid, job),
  );
}

/** Stops the app, unbinds every binding through its broker, then forgets the app. */
export async function removeApp(deps: ControllerDeps, appGuid: string, job: RunningJob): Promise<void> {
  const app = deps.store.apps.get(appGuid);
  if (!app) return;
  try {
    await deps.cell.stop(appGuid);
  } catch (error) {
    throw JobFailure.of(cellFailure(error));
  }
  if (app.state !== 'STOPPED') saveState(deps, app, 'STOPPED');
  for (const binding of deps.store.bindings.ofApp(appGuid)) {
    // A binding this job was unbinding before a restart has no job of its own: it is simply sent again.
    if (deps.store.jobs.processingFor('service_credential_bindings', binding.guid)) {
      throw JobFailure.of(apiErrors.unprocessable(`An operation for service binding ${binding.guid} is in progress; delete the app when it has finished.`));
    }
    await unbind(deps, binding.guid, job);
  }
  const packages = deps.store.packages.ofApp(appGuid);
  deps.store.apps.delete(appGuid);
  await removePackageFiles(deps, packages);
  deps.logger.info({ app: appGuid }, 'app deleted');
}
