import { errors } from '../../errors';
import type { FetchBindingBody, FetchInstanceBody } from '../../openapi/wire';
import type { EngineContext } from '../context';
import { readBindingWithInstance } from '../reads';
import { bindingView, instanceView } from '../records';

/**
 * GET of an instance or a binding: what the broker shows of what the SDK stored. Only what
 * exists in full is shown: a create still running is not there yet (404), and an instance
 * being updated is refused (422), since what it holds is about to change.
 */

export async function fetchInstance(engine: EngineContext, instanceId: string): Promise<FetchInstanceBody> {
  const found = await engine.store.getInstance(instanceId);
  const record = found?.record;
  if (!record || record.state !== 'provisioned') {
    throw errors.notFound(`Service instance ${instanceId} does not exist${record?.state === 'provisioning' ? ' yet: it is still being provisioned' : ''}.`);
  }
  if (record.operation?.state === 'in progress' && record.operation.kind === 'update') {
    throw errors.concurrency(`Service instance ${instanceId} is being updated.`);
  }
  const view = instanceView(record, engine.catalog);
  if (!view.offering.instances_retrievable || !engine.broker.getInstance) {
    throw errors.badRequest(`Service offering "${view.offering.name}" does not support fetching instances (instances_retrievable is not true).`);
  }
  const shown = await engine.broker.getInstance(view);
  const body: FetchInstanceBody = { service_id: record.serviceId, plan_id: record.planId };
  if (shown.dashboardUrl) body.dashboard_url = shown.dashboardUrl;
  if (shown.parameters) body.parameters = shown.parameters;
  if (record.maintenanceInfoVersion) body.maintenance_info = { version: record.maintenanceInfoVersion };
  if (shown.metadata) body.metadata = shown.metadata;
  return body;
}

export async function fetchBinding(engine: EngineContext, instanceId: string, bindingId: string): Promise<FetchBindingBody> {
  const { binding: found, instance } = await readBindingWithInstance(engine.store, instanceId, bindingId);
  const record = found?.record;
  if (!record || record.state !== 'bound') {
    throw errors.notFound(`Service binding ${bindingId} does not exist${record?.state === 'binding' ? ' yet: it is still being created' : ''}.`);
  }
  if (!instance) throw errors.notFound(`Service instance ${instanceId} does not exist.`);
  const view = instanceView(instance.record, engine.catalog);
  if (!view.offering.bindings_retrievable || !engine.broker.getBinding) {
    throw errors.badRequest(`Service offering "${view.offering.name}" does not support fetching bindings (bindings_retrievable is not true).`);
  }
  return { ...(await engine.broker.getBinding(bindingView(record), view)) };
}
