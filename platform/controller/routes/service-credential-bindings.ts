import { Router } from 'express';
import { accessOf } from '../authentication';
import { createBinding, deleteBinding } from '../binding-operations';
import type { ControllerDeps } from '../deps';
import { bindingScope, effectiveBindable, instanceScope, isBusy, requireBinding, requiresVolumeMount } from '../resources';
import { ApiError, apiErrors } from '../errors';
import { acceptedWithJob, param, presenterOf, sendSecret, userOf } from '../http';
import { describeBrokerFailure, originatingIdentity } from '../osb-calls';
import type { JobRecord, ServiceBindingRecord, ServiceInstanceRecord, ServiceOfferingRecord, ServicePlanRecord } from '../records';
import {
  Problems, matchesFilter, objectBody, readListQuery, readObject, readRelationship, readString, rejectUnknownFields,
} from '../request-validation';

/**
 * /v3/service_credential_bindings of type app (an app's binding) and key (a service key:
 * a name, an instance, no app). Both go through the same create and delete operations.
 * Rotation is an osbkit extension for app bindings: `predecessor_guid` names the binding the
 * new one replaces (plans with binding_rotatable). A binding is visible to whoever sees its
 * instance's space; its details (credentials) only to those who may read that space's secrets.
 */

/** What every new binding, app binding or key, needs of its instance; the instance's plan and offering. */
function ensureBindable(deps: ControllerDeps, instance: ServiceInstanceRecord): { plan: ServicePlanRecord; offering: ServiceOfferingRecord } {
  const { plan, offering } = instanceScope(deps, instance);
  if (!effectiveBindable(plan, offering)) throw apiErrors.unprocessable('Service plan does not allow bindings.');
  if (isBusy(instance.lastOperation) || deps.store.jobs.processingFor('service_instances', instance.guid)) {
    throw apiErrors.instanceOperationInProgress(instance.name);
  }
  if (instance.lastOperation.type === 'create' && instance.lastOperation.state === 'failed') {
    throw apiErrors.unprocessable('The service instance cannot be bound: its creation failed.');
  }
  if (!instance.usable) {
    throw apiErrors.unprocessable('The service instance cannot be bound: the service broker reported it unusable after a failed operation.');
  }
  return { plan, offering };
}

/**
 * A service key: names are unique per instance, as in Cloud Controller; a key of the same
 * name whose creation failed is replaced (its mitigation carries on), one being deleted or
 * whose deletion failed blocks the name.
 */
function createKey(deps: ControllerDeps, instance: ServiceInstanceRecord, name: string, parameters: Record<string, unknown> | undefined, userId: string): { job: JobRecord } {
  const { store } = deps;
  const same = store.bindings.keyByName(instance.guid, name);
  if (same) {
    const { type, state } = same.lastOperation;
    const replaceable = type === 'create' && state === 'failed' && !store.jobs.processingFor('service_credential_bindings', same.guid);
    if (type === 'delete') {
      throw apiErrors.unprocessable(`The binding name is invalid. Key binding names must be unique. The service instance already has a key binding with the name '${name}' that is getting deleted or its deletion failed.`);
    }
    if (!replaceable) {
      throw apiErrors.unprocessable(`The binding name is invalid. Key binding names must be unique. The service instance already has a key binding with name '${name}'.`);
    }
    store.bindings.delete(same.guid);
  }
  return createBinding(deps, { type: 'key', name, instanceGuid: instance.guid, appGuid: null, predecessorGuid: null, ...(parameters ? { parameters } : {}) }, userId);
}

function ensureIdle(deps: ControllerDeps, binding: ServiceBindingRecord): void {
  if (isBusy(binding.lastOperation) || deps.store.jobs.processingFor('service_credential_bindings', binding.guid)) {
    throw apiErrors.bindingOperationInProgress();
  }
}

export function serviceCredentialBindingRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;

  router.get('/v3/service_credential_bindings', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['app_guids', 'service_instance_guids', 'names', 'type']);
    const spaceOf = new Map(store.instances.list().map((i) => [i.guid, i.spaceGuid]));
    const bindings = store.bindings.list().filter((b) =>
      access.seesSpace(spaceOf.get(b.instanceGuid) ?? '')
      && matchesFilter(query, 'app_guids', b.appGuid ?? undefined)
      && matchesFilter(query, 'service_instance_guids', b.instanceGuid)
      && matchesFilter(query, 'names', b.name ?? undefined)
      && matchesFilter(query, 'type', b.type));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(bindings, query, '/v3/service_credential_bindings', (b) => presenter.binding(b)));
  });

  router.get('/v3/service_credential_bindings/:guid', (req, res) => {
    res.json(presenterOf(deps, req).binding(requireBinding(deps, accessOf(req), param(req, 'guid'))));
  });

  router.get('/v3/service_credential_bindings/:guid/details', (req, res) => {
    const access = accessOf(req);
    const binding = requireBinding(deps, access, param(req, 'guid'));
    if (!access.seesSecretsOf(bindingScope(deps, binding).space.guid)) throw apiErrors.notAuthorized();
    const details = binding.established ? store.bindings.details(binding.guid) : undefined;
    if (!details) throw apiErrors.unprocessable('The service credential binding has no details: its creation has not succeeded.');
    sendSecret(res, { credentials: details.credentials, syslog_drain_url: details.syslogDrainUrl, volume_mounts: details.volumeMounts });
  });

  router.get('/v3/service_credential_bindings/:guid/parameters', async (req, res) => {
    const user = userOf(req);
    const access = accessOf(req);
    const binding = requireBinding(deps, access, param(req, 'guid'));
    const { plan, offering, space } = bindingScope(deps, binding);
    if (!access.seesSecretsOf(space.guid)) throw apiErrors.notAuthorized();
    if (offering.document.bindings_retrievable !== true) {
      throw new ApiError(400, 'CF-ServiceFetchBindingParametersNotSupported', 120006, 'This service does not support fetching service binding parameters.');
    }
    if (!binding.established) throw apiErrors.unprocessable('The service credential binding has no parameters to show: its creation has not succeeded.');
    try {
      const fetched = await deps.osb.fetchBinding(offering.brokerGuid, binding.instanceGuid, binding.guid, { service_id: offering.catalogId, plan_id: plan.catalogId }, originatingIdentity(user));
      const parameters = fetched.parameters;
      res.json(typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters : {});
    } catch (error) {
      throw describeBrokerFailure(error, 'fetch binding');
    }
  });

  router.post('/v3/service_credential_bindings', (req, res) => {
    const user = userOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['type', 'name', 'relationships', 'parameters', 'predecessor_guid'], problems);
    const type = body.type;
    if (type !== 'app' && type !== 'key') problems.add("'type' must be 'app' (a binding to an app) or 'key' (a service key)");
    const name = readString(body, 'name', problems, { required: type === 'key' });
    const relationships = readObject(body, 'relationships', problems);
    if (body.relationships === undefined) problems.add("'relationships' is required");
    if (relationships) rejectUnknownFields(relationships, ['service_instance', 'app'], problems, 'relationships.');
    const instanceGuid = readRelationship(relationships, 'service_instance', problems, true);
    const appGuid = readRelationship(relationships, 'app', problems, type === 'app');
    const parameters = readObject(body, 'parameters', problems);
    const predecessorGuid = readString(body, 'predecessor_guid', problems);
    if (type === 'key' && relationships?.app !== undefined) problems.add("'relationships.app' must not be given for type 'key': a service key has no app");
    if (type === 'key' && body.predecessor_guid !== undefined) problems.add("'predecessor_guid' applies only to bindings of type 'app'");
    problems.throwIfAny();

    const access = accessOf(req);
    const instance = store.instances.get(instanceGuid!);
    if (!instance || !access.seesSpace(instance.spaceGuid)) throw apiErrors.unprocessable(`The service instance could not be found: ${instanceGuid!}`);
    if (type === 'key') {
      access.requireDeveloper(instance.spaceGuid);
      const { offering } = ensureBindable(deps, instance);
      if (requiresVolumeMount(offering)) {
        throw apiErrors.unprocessable("Service credential bindings of type 'key' are not supported for volume services: their volume mounts need an app to mount into. Bind the service instance to an app instead.");
      }
      const { job } = createKey(deps, instance, name!, parameters, user);
      acceptedWithJob(res, presenterOf(deps, req), job);
      return;
    }
    const app = store.apps.get(appGuid!);
    if (!app || !access.seesSpace(app.spaceGuid)) throw apiErrors.unprocessable(`The app could not be found: ${appGuid!}`);
    access.requireDeveloper(app.spaceGuid);
    access.requireDeveloper(instance.spaceGuid);
    if (app.spaceGuid !== instance.spaceGuid) throw apiErrors.unprocessable('The service instance and the app are in different spaces.');
    const { plan, offering } = ensureBindable(deps, instance);
    if (requiresVolumeMount(offering) && !deps.volumeServicesEnabled) throw apiErrors.unprocessable('Support for volume mount services is disabled');

    const createFailed = (b: ServiceBindingRecord): boolean => b.lastOperation.type === 'create' && b.lastOperation.state === 'failed';
    // A binding of this pair whose creation failed is replaced, as Cloud Controller does; its mitigation carries on.
    const replaced = store.bindings.ofApp(app.guid).filter((b) =>
      b.instanceGuid === instance.guid && createFailed(b) && !store.jobs.processingFor('service_credential_bindings', b.guid));
    const replacedGuids = new Set(replaced.map((b) => b.guid));
    const existing = store.bindings.ofApp(app.guid).filter((b) => !replacedGuids.has(b.guid));
    let predecessor: ServiceBindingRecord | undefined;
    if (predecessorGuid !== undefined) {
      predecessor = store.bindings.get(predecessorGuid);
      // Only a binding of this app to this instance can be rotated by binding the app again.
      if (!predecessor || predecessor.instanceGuid !== instance.guid || predecessor.type !== 'app' || predecessor.appGuid !== app.guid) {
        throw apiErrors.unprocessable(`The predecessor binding could not be found among the bindings of service instance ${instance.name}: ${predecessorGuid}`);
      }
      if (plan.document.binding_rotatable !== true) throw apiErrors.unprocessable('Service plan does not allow binding rotation.');
      if (!predecessor.established || isBusy(predecessor.lastOperation)) {
        throw apiErrors.unprocessable('The predecessor binding cannot be rotated: it is not a ready binding.');
      }
      if (predecessor.expiresAt !== null && Date.parse(predecessor.expiresAt) <= Date.now()) {
        throw apiErrors.unprocessable('The predecessor binding cannot be rotated: it has expired.');
      }
    } else if (existing.some((b) => b.instanceGuid === instance.guid)) {
      throw apiErrors.unprocessable('The app is already bound to the service instance.');
    }
    if (name !== undefined && existing.some((b) => b.name === name)) {
      throw apiErrors.unprocessable(`The binding name is invalid. Binding names must be unique. The app already has a binding with name '${name}'.`);
    }

    for (const failed of replaced) store.bindings.delete(failed.guid);
    const { job } = createBinding(deps, {
      type: 'app',
      name: name ?? null,
      instanceGuid: instance.guid,
      appGuid: app.guid,
      predecessorGuid: predecessor?.guid ?? null,
      ...(parameters ? { parameters } : {}),
    }, user);
    acceptedWithJob(res, presenterOf(deps, req), job);
  });

  router.delete('/v3/service_credential_bindings/:guid', (req, res) => {
    const user = userOf(req);
    const access = accessOf(req);
    const binding = requireBinding(deps, access, param(req, 'guid'));
    access.requireDeveloper(bindingScope(deps, binding).space.guid);
    ensureIdle(deps, binding);
    acceptedWithJob(res, presenterOf(deps, req), deleteBinding(deps, binding, user));
  });

  return router;
}
