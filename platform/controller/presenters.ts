import { describeMitigation } from './orphan-mitigation';
import type {
  AppRecord, JobRecord, LastOperation, OrganizationRecord, OrphanMitigationRecord, PackageRecord, RoleRecord, ServiceBindingRecord,
  ServiceBrokerRecord, ServiceInstanceRecord, ServiceOfferingRecord, ServicePlanRecord, SpaceRecord, UserRecord,
} from './records';
import type { ListQuery } from './request-validation';
import type { ControllerStore } from './store';

/**
 * Resources as Cloud Controller v3 shows them. Fields marked "osbkit" are extensions the
 * CLI reads so it does not need a second request per row.
 */

type Json = Record<string, unknown>;

const NO_METADATA = { labels: {}, annotations: {} };

function relation(guid: string | null): Json {
  return { data: guid === null ? null : { guid } };
}

export function lastOperationView(operation: LastOperation, mitigation?: OrphanMitigationRecord): Json {
  const note = describeMitigation(mitigation);
  return {
    type: operation.type,
    state: operation.state,
    description: note ? `${operation.description}${operation.description ? ' ' : ''}${note}` : operation.description,
    created_at: operation.createdAt,
    updated_at: operation.updatedAt,
  };
}

export class Presenter {
  constructor(
    private readonly store: ControllerStore,
    private readonly base: string,
  ) {}

  href(path: string): { href: string } {
    return { href: `${this.base}${path}` };
  }

  /** One page of `items`; the page links keep the request's filters, so following `next` lists the same set. */
  list<T>(items: T[], query: ListQuery, path: string, present: (item: T) => Json): Json {
    const totalPages = Math.max(1, Math.ceil(items.length / query.perPage));
    const filters = [...query.filters].map(([name, values]) => `${name}=${values.map(encodeURIComponent).join(',')}&`).join('');
    const pageHref = (page: number): { href: string } => this.href(`${path}?${filters}page=${page}&per_page=${query.perPage}`);
    const start = (query.page - 1) * query.perPage;
    return {
      pagination: {
        total_results: items.length,
        total_pages: totalPages,
        first: pageHref(1),
        last: pageHref(totalPages),
        next: query.page < totalPages ? pageHref(query.page + 1) : null,
        previous: query.page > 1 ? pageHref(Math.min(query.page - 1, totalPages)) : null,
      },
      resources: items.slice(start, start + query.perPage).map(present),
    };
  }

  organization(organization: OrganizationRecord): Json {
    return {
      guid: organization.guid,
      created_at: organization.createdAt,
      updated_at: organization.updatedAt,
      name: organization.name,
      suspended: false,
      relationships: { quota: relation(null) },
      metadata: NO_METADATA,
      links: { self: this.href(`/v3/organizations/${organization.guid}`) },
    };
  }

  space(space: SpaceRecord): Json {
    return {
      guid: space.guid,
      created_at: space.createdAt,
      updated_at: space.updatedAt,
      name: space.name,
      relationships: { organization: relation(space.organizationGuid), quota: relation(null) },
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/spaces/${space.guid}`),
        organization: this.href(`/v3/organizations/${space.organizationGuid}`),
      },
    };
  }

  user(user: UserRecord): Json {
    return {
      guid: user.guid,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
      username: user.username,
      presentation_name: user.username,
      origin: 'uaa',
      admin: user.admin, // osbkit
      metadata: NO_METADATA,
      links: { self: this.href(`/v3/users/${user.guid}`) },
    };
  }

  role(role: RoleRecord): Json {
    return {
      guid: role.guid,
      created_at: role.createdAt,
      updated_at: role.updatedAt,
      type: role.type,
      relationships: { user: relation(role.userGuid), organization: relation(role.organizationGuid), space: relation(role.spaceGuid) },
      links: {
        self: this.href(`/v3/roles/${role.guid}`),
        user: this.href(`/v3/users/${role.userGuid}`),
        ...(role.organizationGuid !== null ? { organization: this.href(`/v3/organizations/${role.organizationGuid}`) } : {}),
        ...(role.spaceGuid !== null ? { space: this.href(`/v3/spaces/${role.spaceGuid}`) } : {}),
      },
    };
  }

  broker(broker: ServiceBrokerRecord): Json {
    return {
      guid: broker.guid,
      name: broker.name,
      url: broker.url,
      created_at: broker.createdAt,
      updated_at: broker.updatedAt,
      relationships: {},
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/service_brokers/${broker.guid}`),
        service_offerings: this.href(`/v3/service_offerings?service_broker_guids=${broker.guid}`),
      },
    };
  }

  offering(offering: ServiceOfferingRecord): Json {
    const doc = offering.document;
    const broker = this.store.brokers.get(offering.brokerGuid);
    const metadata = (doc.metadata ?? {}) as Json;
    return {
      guid: offering.guid,
      name: offering.name,
      description: doc.description,
      available: offering.available,
      tags: doc.tags ?? [],
      requires: doc.requires ?? [],
      created_at: offering.createdAt,
      updated_at: offering.updatedAt,
      shareable: metadata.shareable === true,
      documentation_url: typeof metadata.documentationUrl === 'string' ? metadata.documentationUrl : null,
      broker_catalog: {
        id: offering.catalogId,
        metadata,
        features: {
          plan_updateable: doc.plan_updateable ?? false,
          bindable: doc.bindable,
          instances_retrievable: doc.instances_retrievable ?? false,
          bindings_retrievable: doc.bindings_retrievable ?? false,
          allow_context_updates: doc.allow_context_updates ?? false,
        },
      },
      broker_name: broker?.name ?? null, // osbkit
      relationships: { service_broker: relation(offering.brokerGuid) },
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/service_offerings/${offering.guid}`),
        service_plans: this.href(`/v3/service_plans?service_offering_guids=${offering.guid}`),
        service_broker: this.href(`/v3/service_brokers/${offering.brokerGuid}`),
      },
    };
  }

  plan(plan: ServicePlanRecord): Json {
    const doc = plan.document;
    const offering = this.store.catalog.offering(plan.offeringGuid);
    const metadata = (doc.metadata ?? {}) as Json;
    return {
      guid: plan.guid,
      name: plan.name,
      description: doc.description,
      visibility_type: plan.visibility,
      available: plan.available,
      free: doc.free ?? true,
      costs: Array.isArray(metadata.costs) ? metadata.costs : [],
      created_at: plan.createdAt,
      updated_at: plan.updatedAt,
      maintenance_info: doc.maintenance_info ?? {},
      broker_catalog: {
        id: plan.catalogId,
        metadata,
        maximum_polling_duration: doc.maximum_polling_duration ?? null,
        features: {
          bindable: doc.bindable ?? offering?.document.bindable ?? false,
          plan_updateable: doc.plan_updateable ?? offering?.document.plan_updateable ?? false,
          binding_rotatable: doc.binding_rotatable ?? false, // osbkit
        },
      },
      schemas: {
        service_instance: {
          create: { parameters: doc.schemas?.service_instance?.create?.parameters ?? {} },
          update: { parameters: doc.schemas?.service_instance?.update?.parameters ?? {} },
        },
        service_binding: { create: { parameters: doc.schemas?.service_binding?.create?.parameters ?? {} } },
      },
      service_offering_name: offering?.name ?? null, // osbkit
      relationships: { service_offering: relation(plan.offeringGuid) },
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/service_plans/${plan.guid}`),
        service_offering: this.href(`/v3/service_offerings/${plan.offeringGuid}`),
        visibility: this.href(`/v3/service_plans/${plan.guid}/visibility`),
      },
    };
  }

  instance(instance: ServiceInstanceRecord): Json {
    const plan = this.store.catalog.plan(instance.planGuid);
    const offering = plan && this.store.catalog.offering(plan.offeringGuid);
    const planVersion = plan?.document.maintenance_info?.version;
    const maintenance = instance.maintenanceInfoVersion === null
      ? {}
      : {
        version: instance.maintenanceInfoVersion,
        ...(planVersion === instance.maintenanceInfoVersion && plan?.document.maintenance_info?.description
          ? { description: plan.document.maintenance_info.description }
          : {}),
      };
    return {
      guid: instance.guid,
      created_at: instance.createdAt,
      updated_at: instance.updatedAt,
      name: instance.name,
      tags: instance.tags,
      type: 'managed',
      maintenance_info: maintenance,
      upgrade_available: planVersion !== undefined && instance.maintenanceInfoVersion !== null && planVersion !== instance.maintenanceInfoVersion,
      dashboard_url: instance.dashboardUrl,
      last_operation: lastOperationView(instance.lastOperation, this.store.mitigations.latestFor(instance.guid, null)),
      usable: instance.usable, // osbkit
      service_offering_name: offering?.name ?? null, // osbkit
      service_plan_name: plan?.name ?? null, // osbkit
      relationships: { space: relation(instance.spaceGuid), service_plan: relation(instance.planGuid) },
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/service_instances/${instance.guid}`),
        space: this.href(`/v3/spaces/${instance.spaceGuid}`),
        service_plan: this.href(`/v3/service_plans/${instance.planGuid}`),
        parameters: this.href(`/v3/service_instances/${instance.guid}/parameters`),
        service_credential_bindings: this.href(`/v3/service_credential_bindings?service_instance_guids=${instance.guid}`),
      },
    };
  }

  /** An app binding, or a service key: type `key`, no app relationship or link, as Cloud Controller shows it. */
  binding(binding: ServiceBindingRecord): Json {
    const appGuid = binding.appGuid;
    return {
      guid: binding.guid,
      created_at: binding.createdAt,
      updated_at: binding.updatedAt,
      name: binding.name,
      type: binding.type,
      last_operation: lastOperationView(binding.lastOperation, this.store.mitigations.latestFor(binding.instanceGuid, binding.guid)),
      ...(binding.type === 'app' ? { predecessor_guid: binding.predecessorGuid } : {}), // osbkit
      relationships: {
        ...(appGuid !== null ? { app: relation(appGuid) } : {}),
        service_instance: relation(binding.instanceGuid),
      },
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/service_credential_bindings/${binding.guid}`),
        details: this.href(`/v3/service_credential_bindings/${binding.guid}/details`),
        parameters: this.href(`/v3/service_credential_bindings/${binding.guid}/parameters`),
        service_instance: this.href(`/v3/service_instances/${binding.instanceGuid}`),
        ...(appGuid !== null ? { app: this.href(`/v3/apps/${appGuid}`) } : {}),
      },
    };
  }

  app(app: AppRecord): Json {
    return {
      guid: app.guid,
      name: app.name,
      state: app.state,
      created_at: app.createdAt,
      updated_at: app.updatedAt,
      lifecycle: { type: 'osbkit', data: {} },
      command: app.command, // osbkit
      instances: app.instances, // osbkit
      relationships: { space: relation(app.spaceGuid) },
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/apps/${app.guid}`),
        space: this.href(`/v3/spaces/${app.spaceGuid}`),
        processes: this.href(`/v3/apps/${app.guid}/processes`),
        environment_variables: this.href(`/v3/apps/${app.guid}/environment_variables`),
        packages: this.href(`/v3/apps/${app.guid}/packages`),
        start: { ...this.href(`/v3/apps/${app.guid}/actions/start`), method: 'POST' },
        stop: { ...this.href(`/v3/apps/${app.guid}/actions/stop`), method: 'POST' },
      },
    };
  }

  /** Type `bits` only; `data.error` says why a package FAILED, as Cloud Controller shows it. */
  package(record: PackageRecord): Json {
    return {
      guid: record.guid,
      type: 'bits',
      data: { checksum: { type: 'sha256', value: record.checksum }, error: record.error },
      state: record.state,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      relationships: { app: relation(record.appGuid) },
      metadata: NO_METADATA,
      links: {
        self: this.href(`/v3/packages/${record.guid}`),
        upload: { ...this.href(`/v3/packages/${record.guid}/upload`), method: 'POST' },
        app: this.href(`/v3/apps/${record.appGuid}`),
      },
    };
  }

  job(job: JobRecord): Json {
    return {
      guid: job.guid,
      created_at: job.createdAt,
      updated_at: job.updatedAt,
      operation: job.operation,
      state: job.state,
      errors: job.errors,
      warnings: job.warnings.map((detail) => ({ detail })),
      links: {
        self: this.href(`/v3/jobs/${job.guid}`),
        [job.resourceType]: this.href(`/v3/${job.resourceType}/${job.resourceGuid}`),
      },
    };
  }
}
