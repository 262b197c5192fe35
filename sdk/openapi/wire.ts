import type { JsonObject } from '../json';
import type { components } from './osb.gen';

/**
 * The OSB bodies the broker side of the SDK reads and writes, each defined once here. The
 * generated types (osb.gen.ts) give every free-form member as `unknown`, because a
 * description cannot say more; a body the SDK parsed or a broker returns is JSON, so these
 * say JsonObject where those say unknown. `WireChecks` below holds each type to the
 * generated one it stands for: it must fit it, and must name no member the description lacks.
 */

type Schemas = components['schemas'];

/** The platform context object; `platform` is always present when a context is sent. */
export type OsbContext =
  | ({ platform: 'cloudfoundry'; organization_guid?: string; organization_name?: string; space_guid?: string; space_name?: string; instance_name?: string } & JsonObject)
  | ({ platform: 'kubernetes'; namespace?: string; clusterid?: string; instance_name?: string } & JsonObject)
  | ({ platform: string } & JsonObject);

export type MaintenanceInfo = {
  version: string;
  description?: string;
};

// ---- request bodies, as the handlers check them ------------------------------------------

/** PUT /v2/service_instances/:instance_id */
export type ProvisionBody = {
  service_id: string;
  plan_id: string;
  organization_guid: string;
  space_guid: string;
  context?: OsbContext;
  parameters?: JsonObject;
  maintenance_info?: MaintenanceInfo;
};

/** PATCH /v2/service_instances/:instance_id */
export type UpdateBody = {
  service_id: string;
  plan_id?: string;
  context?: OsbContext;
  parameters?: JsonObject;
  /** Only a hint: the SDK knows the instance as it is. */
  previous_values?: JsonObject;
  maintenance_info?: MaintenanceInfo;
};

export type BindResource = { app_guid?: string; route?: string } & JsonObject;

/** PUT /v2/service_instances/:instance_id/service_bindings/:binding_id */
export type BindBody = {
  service_id: string;
  plan_id: string;
  context?: OsbContext;
  parameters?: JsonObject;
  bind_resource?: BindResource;
  app_guid?: string;
  predecessor_binding_id?: string;
};

// ---- answers -----------------------------------------------------------------------------

export type InstanceMetadata = {
  labels?: JsonObject;
  attributes?: JsonObject;
};

export type BindingMetadata = {
  expires_at?: string;
  renew_before?: string;
};

export type VolumeMountMode = 'r' | 'rw';

export type VolumeMountDevice = {
  volume_id: string;
  /** Driver options; Cloud Controller passes them to the cell as a JSON string. */
  mount_config?: JsonObject;
};

/** One entry of a bind answer's `volume_mounts`. */
export type VolumeMount = {
  driver: string;
  container_dir: string;
  mode: VolumeMountMode;
  device_type: 'shared';
  device: VolumeMountDevice;
};

export type BindingEndpoint = {
  host: string;
  ports: string[];
  protocol?: 'tcp' | 'udp' | 'all';
};

/** What a bind returns to the platform; stored so repeats and fetches answer the same. */
export type BindingResult = {
  credentials?: JsonObject;
  syslog_drain_url?: string;
  route_service_url?: string;
  volume_mounts?: VolumeMount[];
  endpoints?: BindingEndpoint[];
  metadata?: BindingMetadata;
};

export type FetchBindingBody = BindingResult & {
  parameters?: JsonObject;
};

export type ProvisionAnswer = {
  dashboard_url?: string;
  operation?: string;
  metadata?: InstanceMetadata;
};

export type UpdateAnswer = {
  dashboard_url?: string;
  operation?: string;
};

export type AsyncOperation = {
  operation: string;
};

export type FetchInstanceBody = {
  service_id: string;
  plan_id: string;
  dashboard_url?: string;
  parameters?: JsonObject;
  maintenance_info?: MaintenanceInfo;
  metadata?: InstanceMetadata;
};

export type LastOperationBody = {
  state: 'in progress' | 'succeeded' | 'failed';
  description?: string;
  instance_usable?: boolean;
  update_repeatable?: boolean;
};

// ---- the checks --------------------------------------------------------------------------

/** The named members of T, without its index signature (the generated types all have one). */
type NamedKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/**
 * Compiles only when `Ours` fits `Theirs` and names nothing `Theirs` does not: the index
 * signature of a generated type would otherwise let a misspelt member through.
 */
export type Fits<Ours extends Theirs & { [K in Exclude<NamedKeys<Ours>, NamedKeys<Theirs>>]: never }, Theirs> = Ours;

export type WireChecks = [
  Fits<OsbContext, Schemas['Context']>,
  Fits<MaintenanceInfo, Schemas['MaintenanceInfo']>,
  Fits<ProvisionBody, Schemas['ProvisionRequest']>,
  Fits<UpdateBody, Schemas['UpdateRequest']>,
  Fits<BindBody, Schemas['BindRequest']>,
  Fits<BindResource, Schemas['BindResource']>,
  Fits<InstanceMetadata, Schemas['InstanceMetadata']>,
  Fits<BindingMetadata, Schemas['BindingMetadata']>,
  Fits<VolumeMountDevice, Schemas['VolumeMountDevice']>,
  Fits<VolumeMount, Schemas['VolumeMount']>,
  Fits<BindingEndpoint, Schemas['BindingEndpoint']>,
  Fits<BindingResult, Schemas['BindResponse']>,
  Fits<FetchBindingBody, Schemas['FetchBindingResponse']>,
  Fits<ProvisionAnswer, Schemas['ProvisionResponse']>,
  Fits<UpdateAnswer, Schemas['UpdateResponse']>,
  Fits<AsyncOperation, Schemas['AsyncOperation']>,
  Fits<FetchInstanceBody, Schemas['FetchInstanceResponse']>,
  Fits<LastOperationBody, Schemas['LastOperationResponse']>,
];
