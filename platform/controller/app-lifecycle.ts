import { egressFromBindings } from './binding-egress';
import { CellError, type CellLrp, type CellVolumeMount } from './cell-api';
import { bindingScope, type ControllerContext } from './context';
import { unbind } from './binding-operations';
import { ApiError, JobFailure, apiErrors } from './errors';
import type { JobContext } from './jobs';
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
export function vcapSources(context: ControllerContext, appGuid: string): VcapBindingSource[] {
  const sources: VcapBindingSource[] = [];
  for (const binding of context.store.bindings.ofApp(appGuid)) {
    if (!binding.established) continue;
    const details = context.store.bindings.details(binding.guid);
    if (!details) continue;
    const { instance, plan, offering } = bindingScope(context, binding);
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

export function vcapServicesOf(context: ControllerContext, appGuid: string): VcapServices {
  return buildVcapServices(vcapSources(context, appGuid));
}

export function vcapApplicationOf(context: ControllerContext, app: AppRecord): Record<string, unknown> {
  const space = context.store.spaces.get(app.spaceGuid);
  const organization = space && context.store.organizations.get(space.organizationGuid);
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
export function volumeMountsOf(context: ControllerContext, appGuid: string): CellVolumeMount[] {
  return vcapSources(context, appGuid).flatMap((source) =>
    source.volumeMounts.map((mount) => ({
      driver: mount.driver,
      volumeId: mount.device.volume_id,
      mountConfig: mount.device.mount_config ?? {},
      containerDir: mount.container_dir,
      mode: mount.mode,
    })),
  );
}

export function desiredLrp(context: ControllerContext, app: AppRecord): CellLrp {
  const environment = context.store.apps.environment(app.guid);
  return {
    name: app.name,
    command: app.command,
    env: {
      ...environment,
      VCAP_SERVICES: JSON.stringify(vcapServicesOf(context, app.guid)),
      VCAP_APPLICATION: JSON.stringify(vcapApplicationOf(context, app)),
    },
    instances: app.instances,
    // Only ever the controller's own copy of uploaded bits: no client names a host path.
    ...(app.packageGuid !== null ? { appDir: context.packages.bitsDir(app.packageGuid) } : {}),
    volumeMounts: volumeMountsOf(context, app.guid),
    egress: egressFromBindings(vcapSources(context, app.guid).map((source) => source.credentials)),
  };
}

function cellFailure(error: unknown): ApiError {
  if (error instanceof CellError) return apiErrors.runnerUnavailable(error.message);
  return apiErrors.runnerUnavailable('the cell failed');
}

function saveState(context: ControllerContext, app: AppRecord, state: AppRecord['state']): AppRecord {
  const next = { ...app, state, updatedAt: timestamp() };
  context.store.apps.save(next);
  return next;
}

/** Starts the app with its newest READY package (Cloud Controller refuses a start without bits too). */
export async function startApp(context: ControllerContext, app: AppRecord): Promise<AppRecord> {
  const bits = newestReadyPackage(context, app.guid);
  if (!bits) throw apiErrors.packageInvalid('bits have not been uploaded; upload a package (POST /v3/packages, then /v3/packages/:guid/upload) first');
  // Recorded before the cell is asked, so the package is kept while the cell copies it.
  if (app.packageGuid !== bits.guid) {
    app = { ...app, packageGuid: bits.guid, updatedAt: timestamp() };
    context.store.apps.save(app);
  }
  const lrp = desiredLrp(context, app);
  try {
    await context.cell.desire(app.guid, lrp);
  } catch (error) {
    context.logger.warn({ app: app.guid, err: error }, 'the cell refused to start the app');
    throw cellFailure(error);
  }
  context.logger.info({ app: app.guid, instances: app.instances, package: bits.guid, volumeMounts: lrp.volumeMounts.length }, 'app started');
  const started = saveState(context, app, 'STARTED');
  await expireUnusedPackages(context, app.guid);
  return started;
}

export async function stopApp(context: ControllerContext, app: AppRecord): Promise<AppRecord> {
  try {
    await context.cell.stop(app.guid);
  } catch (error) {
    context.logger.warn({ app: app.guid, err: error }, 'the cell refused to stop the app');
    throw cellFailure(error);
  }
  context.logger.info({ app: app.guid }, 'app stopped');
  return saveState(context, app, 'STOPPED');
}

/**
 * Desired state against actual, as Cloud Controller's sync with Diego does: a started app
 * the cell does not know (the cell restarted, or lost it) is desired again.
 */
export async function syncStartedApps(context: ControllerContext): Promise<number> {
  let desired = 0;
  for (const app of context.store.apps.list()) {
    if (app.state !== 'STARTED') continue;
    try {
      const instances = await context.cell.status(app.guid);
      if (instances.length > 0) continue;
      await context.cell.desire(app.guid, desiredLrp(context, app));
      desired++;
      context.logger.warn({ app: app.guid }, 'the cell did not know a started app; desired it again');
    } catch (error) {
      context.logger.warn({ app: app.guid, err: error }, 'could not sync an app with the cell');
    }
  }
  return desired;
}

export async function restartApp(context: ControllerContext, app: AppRecord): Promise<AppRecord> {
  return startApp(context, await stopApp(context, app));
}

export function deleteApp(context: ControllerContext, app: AppRecord, userId: string): JobRecord {
  return context.jobs.enqueue(
    { operation: 'app.delete', resourceType: 'apps', resourceGuid: app.guid, userId },
    (job) => removeApp(context, app.guid, job),
  );
}

/** Stops the app, unbinds every binding through its broker, then forgets the app. */
export async function removeApp(context: ControllerContext, appGuid: string, job: JobContext): Promise<void> {
  const app = context.store.apps.get(appGuid);
  if (!app) return;
  try {
    await context.cell.stop(appGuid);
  } catch (error) {
    throw JobFailure.of(cellFailure(error));
  }
  if (app.state !== 'STOPPED') saveState(context, app, 'STOPPED');
  for (const binding of context.store.bindings.ofApp(appGuid)) {
    // A binding this job was unbinding before a restart has no job of its own: it is simply sent again.
    if (context.store.jobs.processingFor('service_credential_bindings', binding.guid)) {
      throw JobFailure.of(apiErrors.unprocessable(`An operation for service binding ${binding.guid} is in progress; delete the app when it has finished.`));
    }
    await unbind(context, binding.guid, job);
  }
  const packages = context.store.packages.ofApp(appGuid);
  context.store.apps.delete(appGuid);
  await removePackageFiles(context, packages);
  context.logger.info({ app: appGuid }, 'app deleted');
}
