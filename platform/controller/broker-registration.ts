import { randomUUID } from 'node:crypto';
import { Catalog, CatalogError, type ServicePlan } from '../../sdk/catalog/catalog';
import { brokerText } from '../../sdk/client';
import type { ControllerDeps } from './deps';
import { JobFailure, apiErrors } from './errors';
import type { RunningJob } from './jobs';
import { describeBrokerFailure } from './osb-calls';
import type { BrokerCredentials, JobRecord, OfferingDocument, ServiceBrokerRecord } from './records';
import { timestamp } from './store';

/**
 * Registering, updating and removing brokers. Registration and update refuse a URL outside
 * the allow-list at once, then fetch the catalog, validate it with the SDK (every problem at
 * once), add Cloud Controller's own checks, and only then change anything.
 */

export interface BrokerConnection {
  url: string;
  credentials: BrokerCredentials;
}

export interface CheckedOffering {
  document: OfferingDocument;
  plans: ServicePlan[];
}

/** Fetches and checks a catalog; throws a JobFailure naming every problem. */
export async function fetchCheckedCatalog(deps: ControllerDeps, brokerGuid: string | null, connection: BrokerConnection): Promise<CheckedOffering[]> {
  let document: unknown;
  try {
    document = await deps.osb.catalog(deps.osb.clientFor(connection.url, connection.credentials));
  } catch (error) {
    throw JobFailure.of(describeBrokerFailure(error, 'catalog'));
  }
  let catalog: Catalog;
  try {
    catalog = Catalog.from(document);
  } catch (error) {
    if (error instanceof CatalogError) throw JobFailure.of(apiErrors.catalogInvalid(quotable(error.problems)));
    throw error;
  }

  const conflicts: string[] = [];
  const ownerName = (guid: string): string => deps.store.brokers.get(guid)?.name ?? guid;
  const otherOfferings = deps.store.catalog.listOfferings().filter((o) => o.brokerGuid !== brokerGuid);
  const otherPlans = deps.store.catalog.listPlans().flatMap((plan) => {
    const offering = otherOfferings.find((o) => o.guid === plan.offeringGuid);
    return offering ? [{ plan, brokerGuid: offering.brokerGuid }] : [];
  });
  const incompatible: string[] = [];
  for (const offering of catalog.allOfferings()) {
    const takenId = otherOfferings.find((o) => o.catalogId === offering.id);
    if (takenId) conflicts.push(`Service ID '${offering.id}' is already in use by service broker '${ownerName(takenId.brokerGuid)}'`);
    const takenName = otherOfferings.find((o) => o.name === offering.name);
    if (takenName) conflicts.push(`Service name '${offering.name}' is already in use by service broker '${ownerName(takenName.brokerGuid)}'`);
    for (const plan of offering.plans) {
      const takenPlan = otherPlans.find((p) => p.plan.catalogId === plan.id);
      if (takenPlan) conflicts.push(`Plan ID '${plan.id}' is already in use by service broker '${ownerName(takenPlan.brokerGuid)}'`);
    }
    const requires = offering.requires ?? [];
    if (requires.includes('volume_mount') && !deps.volumeServicesEnabled) {
      incompatible.push(`Service ${offering.name} is declared to be a volume mount service but support for volume mount services is disabled.`);
    }
    // The platform has no routes, so nothing could ever be bound to a route service.
    if (requires.includes('route_forwarding')) {
      incompatible.push(`Service ${offering.name} is declared to be a route service (requires route_forwarding), which osbkit does not support: it has no routes to bind one to.`);
    }
  }
  if (conflicts.length > 0) throw JobFailure.of(apiErrors.catalogInvalid(quotable(conflicts)));
  if (incompatible.length > 0) throw JobFailure.of(apiErrors.catalogIncompatible(quotable(incompatible)));

  return catalog.allOfferings().map((offering) => {
    // Dashboard clients need a UAA this platform does not have; their secrets are not kept.
    const { plans, dashboard_client: _dashboardClient, ...rest } = offering;
    return { document: rest, plans };
  });
}

/** The most catalog problems a job lists. */
const MAX_LISTED_PROBLEMS = 50;

/**
 * Catalog problems quote the catalog's ids and names, which are the broker's text: each is
 * cleaned and cut short, and a catalog with thousands of problems lists the first few.
 */
function quotable(problems: string[]): string[] {
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => brokerText(problem, 300) ?? '');
  if (problems.length > MAX_LISTED_PROBLEMS) shown.push(`... and ${problems.length - MAX_LISTED_PROBLEMS} more`);
  return shown;
}

export function registerBroker(deps: ControllerDeps, input: { name: string; url: string; credentials: BrokerCredentials }, userId: string): JobRecord {
  deps.osb.checkUrl(input.url);
  const now = timestamp();
  const broker: ServiceBrokerRecord = {
    guid: randomUUID(),
    name: input.name,
    url: input.url,
    username: input.credentials.username,
    state: 'synchronizing',
    createdAt: now,
    updatedAt: now,
  };
  deps.logger.info({ broker: broker.guid, name: broker.name, url: broker.url }, 'registering service broker');
  return deps.store.transaction(() => {
    deps.store.brokers.insert(broker, input.credentials.password);
    return deps.jobs.enqueue(
      { operation: 'service_broker.catalog.synchronize', resourceType: 'service_brokers', resourceGuid: broker.guid, userId },
      (job) => synchronizeNewBroker(deps, broker.guid, job),
    );
  });
}

/** The first catalog fetch; a broker whose catalog cannot be used is not kept. */
export async function synchronizeNewBroker(deps: ControllerDeps, brokerGuid: string, job: RunningJob): Promise<void> {
  const { store } = deps;
  const broker = store.brokers.get(brokerGuid);
  const credentials = store.brokers.credentials(brokerGuid);
  if (!broker || !credentials) throw JobFailure.of(apiErrors.notFound('Service broker'));
  try {
    const offerings = await fetchCheckedCatalog(deps, brokerGuid, { url: broker.url, credentials });
    store.transaction(() => {
      store.catalog.synchronize(brokerGuid, offerings, deps.autoEnableAccess ? 'public' : 'admin');
      store.brokers.update(brokerGuid, { state: 'available' });
    });
    deps.logger.info({ broker: brokerGuid, offerings: offerings.length }, 'service broker registered');
  } catch (error) {
    if (job.signal.aborted) throw error;
    store.brokers.delete(brokerGuid);
    throw error;
  }
}

export function updateBroker(
  deps: ControllerDeps,
  broker: ServiceBrokerRecord,
  changes: { name?: string; url?: string; credentials?: BrokerCredentials },
  userId: string,
): JobRecord {
  if (changes.url !== undefined) deps.osb.checkUrl(changes.url);
  const { credentials, ...visible } = changes;
  return deps.jobs.enqueue(
    {
      operation: 'service_broker.update',
      resourceType: 'service_brokers',
      resourceGuid: broker.guid,
      userId,
      payload: { ...visible, credentialsChanged: credentials !== undefined },
    },
    async () => {
      const stored = deps.store.brokers.credentials(broker.guid);
      const current = deps.store.brokers.get(broker.guid);
      if (!stored || !current) throw JobFailure.of(apiErrors.notFound('Service broker'));
      const connection = { url: changes.url ?? current.url, credentials: credentials ?? stored };
      const offerings = await fetchCheckedCatalog(deps, broker.guid, connection);
      deps.store.transaction(() => {
        deps.store.catalog.synchronize(broker.guid, offerings, deps.autoEnableAccess ? 'public' : 'admin');
        deps.store.brokers.update(broker.guid, { ...visible, ...(credentials ? { credentials } : {}), state: 'available' });
      });
      deps.logger.info({ broker: broker.guid, offerings: offerings.length }, 'service broker updated');
    },
  );
}

export function deleteBroker(deps: ControllerDeps, broker: ServiceBrokerRecord, userId: string): JobRecord {
  return deps.jobs.enqueue(
    { operation: 'service_broker.delete', resourceType: 'service_brokers', resourceGuid: broker.guid, userId },
    async () => removeBroker(deps, broker.guid),
  );
}

export async function removeBroker(deps: ControllerDeps, brokerGuid: string): Promise<void> {
  const { store } = deps;
  if (!store.brokers.get(brokerGuid)) return;
  const instances = store.instances.ofBroker(brokerGuid);
  if (instances.length > 0) {
    throw JobFailure.of(apiErrors.unprocessable(`Can not remove brokers that have associated service instances: ${instances.map((i) => i.name).join(', ')}`));
  }
  deps.mitigator.abandonBroker(brokerGuid);
  store.brokers.delete(brokerGuid);
  deps.logger.info({ broker: brokerGuid }, 'service broker removed');
}
