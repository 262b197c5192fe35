import { Router } from 'express';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { effectivePlanUpdateable, instanceScope, isBusy, requireInstance, requiresVolumeMount } from '../resources';
import { ApiError, apiErrors } from '../errors';
import { acceptedWithJob, param, presenterOf, userOf } from '../http';
import {
  createInstance, deleteInstance, renameOrRetagInstance, updateFingerprint, updateInstance, type InstanceChange,
} from '../instance-operations';
import { describeBrokerFailure, originatingIdentity } from '../osb-calls';
import type { ServiceBindingRecord, ServiceInstanceRecord, ServicePlanRecord } from '../records';
import {
  Problems, matchesFilter, objectBody, readListQuery, readObject, readRelationship, readString, readStringArray,
  rejectUnknownFields, type JsonObject,
} from '../request-validation';

/** /v3/service_instances: managed instances, created, updated and deleted through their broker. */

const MAX_TAGS_LENGTH = 2048;
const INVALID_PLAN = 'Invalid service plan. Ensure that the service plan exists, is available, and you have access to it.';
const VOLUME_SERVICES_DISABLED_WARNING = 'Support for volume services is disabled. This service instance cannot be bound to an app.';

/**
 * Why a plan cannot be used for a new instance or a plan change, or undefined. Only an admin
 * hears that an admin-only plan exists: to anyone else it is as unknown as a missing one.
 */
function planRefusal(deps: ControllerDeps, plan: ServicePlanRecord | undefined, callerIsAdmin: boolean): string | undefined {
  if (!plan || !plan.available) return INVALID_PLAN;
  const offering = deps.store.catalog.offering(plan.offeringGuid);
  const broker = offering && deps.store.brokers.get(offering.brokerGuid);
  if (!offering || !offering.available || broker?.state !== 'available') return INVALID_PLAN;
  if (plan.visibility !== 'public') return callerIsAdmin ? `${INVALID_PLAN} Service plan '${plan.name}' is not enabled: its visibility is 'admin'.` : INVALID_PLAN;
  return undefined;
}

function ensureIdle(deps: ControllerDeps, instance: ServiceInstanceRecord): void {
  if (isBusy(instance.lastOperation) || deps.store.jobs.processingFor('service_instances', instance.guid)) {
    throw apiErrors.instanceOperationInProgress(instance.name);
  }
}

/** Cloud Controller's refusal, without its shares (osbkit has none), naming what is in the way. */
function deletionBlockedBy(deps: ControllerDeps, bindings: ServiceBindingRecord[]): string {
  const apps = bindings.filter((b) => b.appGuid !== null).map((b) => deps.store.apps.get(b.appGuid ?? '')?.name ?? b.appGuid);
  const keys = bindings.filter((b) => b.type === 'key').map((b) => b.name);
  const blockers = [
    ...(apps.length > 0 ? [`bound to app(s) ${apps.join(', ')}`] : []),
    ...(keys.length > 0 ? [`service key(s) ${keys.join(', ')}`] : []),
  ];
  return `Cannot delete service instance. Service keys and bindings must first be deleted: ${blockers.join('; ')}.`;
}

function readParameters(body: JsonObject, problems: Problems): Record<string, unknown> | undefined {
  return readObject(body, 'parameters', problems);
}

export function serviceInstanceRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;

  router.get('/v3/service_instances', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['names', 'space_guids', 'service_plan_guids', 'type']);
    const instances = store.instances.list().filter((i) =>
      access.seesSpace(i.spaceGuid)
      && matchesFilter(query, 'names', i.name)
      && matchesFilter(query, 'space_guids', i.spaceGuid)
      && matchesFilter(query, 'service_plan_guids', i.planGuid)
      && matchesFilter(query, 'type', 'managed'));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(instances, query, '/v3/service_instances', (i) => presenter.instance(i)));
  });

  router.get('/v3/service_instances/:guid', (req, res) => {
    res.json(presenterOf(deps, req).instance(requireInstance(deps, accessOf(req), param(req, 'guid'))));
  });

  router.get('/v3/service_instances/:guid/parameters', async (req, res) => {
    const user = userOf(req);
    const instance = requireInstance(deps, accessOf(req), param(req, 'guid'));
    const { plan, offering } = instanceScope(deps, instance);
    if (offering.document.instances_retrievable !== true) {
      throw new ApiError(400, 'CF-ServiceFetchInstanceParametersNotSupported', 120004, 'This service does not support fetching service instance parameters.');
    }
    if (isBusy(instance.lastOperation) || instance.lastOperation.type === 'create' && instance.lastOperation.state === 'failed') {
      throw apiErrors.unprocessable('The service instance has no parameters to show while it is being created or after its creation failed.');
    }
    try {
      res.json(await deps.osb.fetchInstanceParameters(offering.brokerGuid, instance.guid, { service_id: offering.catalogId, plan_id: plan.catalogId }, originatingIdentity(user)));
    } catch (error) {
      throw describeBrokerFailure(error, 'fetch instance');
    }
  });

  router.post('/v3/service_instances', (req, res) => {
    const user = userOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['type', 'name', 'relationships', 'parameters', 'tags'], problems);
    if (body.type !== 'managed') problems.add("'type' must be 'managed' (user-provided service instances are not supported)");
    const name = readString(body, 'name', problems, { required: true });
    const relationships = readObject(body, 'relationships', problems);
    if (body.relationships === undefined) problems.add("'relationships' is required");
    const spaceGuid = readRelationship(relationships, 'space', problems, true);
    const planGuid = readRelationship(relationships, 'service_plan', problems, true);
    if (relationships) rejectUnknownFields(relationships, ['space', 'service_plan'], problems, 'relationships.');
    const parameters = readParameters(body, problems);
    const tags = readStringArray(body, 'tags', problems, { maxTotalLength: MAX_TAGS_LENGTH });
    problems.throwIfAny();

    const access = accessOf(req);
    if (!store.spaces.get(spaceGuid!) || !access.seesSpace(spaceGuid!)) throw apiErrors.unprocessable('Invalid space. Ensure that the space exists and you have access to it.');
    access.requireDeveloper(spaceGuid!);
    const plan = store.catalog.plan(planGuid!);
    const refusal = planRefusal(deps, plan, access.isAdmin);
    if (refusal) throw apiErrors.unprocessable(refusal);
    if (store.instances.byName(spaceGuid!, name!)) throw apiErrors.unprocessable(`The service instance name is taken: ${name!}.`);
    const offering = store.catalog.offering(plan!.offeringGuid)!;
    const warnings = requiresVolumeMount(offering) && !deps.volumeServicesEnabled ? [VOLUME_SERVICES_DISABLED_WARNING] : [];

    const { job } = createInstance(deps, { name: name!, spaceGuid: spaceGuid!, plan: plan!, tags: tags ?? [], ...(parameters ? { parameters } : {}) }, user, warnings);
    acceptedWithJob(res, presenterOf(deps, req), job);
  });

  router.patch('/v3/service_instances/:guid', (req, res) => {
    const user = userOf(req);
    const access = accessOf(req);
    const instance = requireInstance(deps, access, param(req, 'guid'));
    access.requireDeveloper(instance.spaceGuid);
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['name', 'tags', 'parameters', 'relationships', 'maintenance_info'], problems);
    const name = readString(body, 'name', problems);
    const tags = readStringArray(body, 'tags', problems, { maxTotalLength: MAX_TAGS_LENGTH });
    const parameters = readParameters(body, problems);
    const relationships = readObject(body, 'relationships', problems);
    if (relationships) rejectUnknownFields(relationships, ['service_plan'], problems, 'relationships.');
    const planGuid = readRelationship(relationships, 'service_plan', problems, false);
    const maintenanceInfo = readObject(body, 'maintenance_info', problems);
    let maintenanceVersion: string | undefined;
    if (maintenanceInfo) {
      rejectUnknownFields(maintenanceInfo, ['version'], problems, 'maintenance_info.');
      maintenanceVersion = readString(maintenanceInfo, 'version', problems, { required: true }, 'maintenance_info.version');
    }
    problems.throwIfAny();

    ensureIdle(deps, instance);
    if (instance.lastOperation.type === 'create' && instance.lastOperation.state === 'failed') {
      throw apiErrors.unprocessable('The service instance cannot be updated because its creation failed; delete it and create it again.');
    }
    const scope = instanceScope(deps, instance);
    if (name !== undefined && name !== instance.name && store.instances.byName(instance.spaceGuid, name)) {
      throw apiErrors.unprocessable(`The service instance name is taken: ${name}.`);
    }

    const change: InstanceChange = {
      ...(name !== undefined && name !== instance.name ? { name } : {}),
      ...(tags !== undefined ? { tags } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
    };
    let targetPlan = scope.plan;
    if (planGuid !== undefined && planGuid !== instance.planGuid) {
      const newPlan = store.catalog.plan(planGuid);
      const refusal = planRefusal(deps, newPlan, accessOf(req).isAdmin);
      if (refusal) throw apiErrors.unprocessable(refusal);
      if (newPlan!.offeringGuid !== scope.offering.guid) throw apiErrors.unprocessable('The service plan relates to a different service offering.');
      if (!effectivePlanUpdateable(scope.plan, scope.offering)) throw apiErrors.unprocessable('The service does not support changing plans.');
      change.newPlanGuid = newPlan!.guid;
      targetPlan = newPlan!;
    }
    if (maintenanceVersion !== undefined) {
      const offered = targetPlan.document.maintenance_info?.version;
      if (offered === undefined) throw apiErrors.unprocessable('The service broker does not support upgrades for service instances created from this plan.');
      if (offered !== maintenanceVersion) {
        throw apiErrors.unprocessable('maintenance_info.version requested is invalid. Please ensure the catalog is up to date and you are providing a version supported by this service plan.');
      }
      if (maintenanceVersion !== instance.maintenanceInfoVersion) change.maintenanceInfoVersion = maintenanceVersion;
    }

    const brokerChange = change.newPlanGuid !== undefined || change.parameters !== undefined || change.maintenanceInfoVersion !== undefined;
    // A rename changes the OSB context's instance_name, which only brokers that allow context updates hear about.
    const osbContextChange = change.name !== undefined && scope.offering.document.allow_context_updates === true;
    if (!brokerChange && !osbContextChange) {
      const updated = renameOrRetagInstance(deps, instance.guid, change);
      res.json(presenterOf(deps, req).instance(updated ?? instance));
      return;
    }
    if (instance.blockedUpdate !== null && instance.blockedUpdate === updateFingerprint(change)) {
      throw apiErrors.unprocessable('The service broker reported that this update cannot be repeated. Change the request, or delete the service instance.');
    }
    acceptedWithJob(res, presenterOf(deps, req), updateInstance(deps, instance, change, user));
  });

  router.delete('/v3/service_instances/:guid', (req, res) => {
    const user = userOf(req);
    const access = accessOf(req);
    const instance = requireInstance(deps, access, param(req, 'guid'));
    access.requireDeveloper(instance.spaceGuid);
    ensureIdle(deps, instance);
    const bindings = store.bindings.ofInstance(instance.guid);
    if (bindings.length > 0) throw apiErrors.unprocessable(deletionBlockedBy(deps, bindings));
    acceptedWithJob(res, presenterOf(deps, req), deleteInstance(deps, instance, user));
  });

  return router;
}
