import type { ServiceOffering, ServicePlan } from '../../sdk/catalog/catalog';
import type { VolumeMount } from '../../sdk/volume/mounts';
import type { ErrorEntry } from './errors';

/** What the controller remembers, as the rest of the controller sees it (decrypted, camelCase). */

export interface Timestamps {
  createdAt: string;
  updatedAt: string;
}

export interface OrganizationRecord extends Timestamps {
  guid: string;
  name: string;
}

export interface SpaceRecord extends Timestamps {
  guid: string;
  name: string;
  organizationGuid: string;
}

/** `synchronizing` until the first catalog fetch succeeds; only `available` brokers have offerings. */
export type BrokerState = 'synchronizing' | 'available';

export interface ServiceBrokerRecord extends Timestamps {
  guid: string;
  name: string;
  url: string;
  username: string;
  state: BrokerState;
}

export interface BrokerCredentials {
  username: string;
  password: string;
}

/** The catalog entry without its plans; plans live in their own rows. (Omit would lose the fields to the index signature.) */
export type OfferingDocument = { [K in keyof ServiceOffering as K extends 'plans' ? never : K]: ServiceOffering[K] };

export interface ServiceOfferingRecord extends Timestamps {
  guid: string;
  brokerGuid: string;
  /** The id the broker gave it: the only identity that survives catalog changes. */
  catalogId: string;
  name: string;
  /** False once the broker dropped it from its catalog while instances still use it. */
  available: boolean;
  document: OfferingDocument;
}

export type PlanVisibility = 'admin' | 'public';

export interface ServicePlanRecord extends Timestamps {
  guid: string;
  offeringGuid: string;
  catalogId: string;
  name: string;
  available: boolean;
  visibility: PlanVisibility;
  document: ServicePlan;
}

export type OperationType = 'create' | 'update' | 'delete';
export type OperationState = 'initial' | 'in progress' | 'succeeded' | 'failed';

export interface LastOperation {
  type: OperationType;
  state: OperationState;
  description: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Where a broker call stands, so a restarted controller knows whether the broker answered:
 * `requesting` means the request may be in flight; `polling` means the broker accepted it
 * asynchronously and `brokerOperation` is what to poll with.
 */
export type OperationPhase = 'requesting' | 'polling';

export interface ServiceInstanceRecord extends Timestamps {
  guid: string;
  name: string;
  spaceGuid: string;
  planGuid: string;
  tags: string[];
  dashboardUrl: string | null;
  maintenanceInfoVersion: string | null;
  /** False after the broker said a failed update or delete left the instance unusable. */
  usable: boolean;
  /** Hash of an update the broker said must not be repeated; null when none is blocked. */
  blockedUpdate: string | null;
  lastOperation: LastOperation;
  phase: OperationPhase | null;
  brokerOperation: string | null;
}

/**
 * Cloud Controller's service credential binding types: `app` binds an instance to an app
 * (VCAP_SERVICES, volume mounts); `key` (a service key) hands credentials to a person and
 * has a name and no app.
 */
export type BindingType = 'app' | 'key';

export interface ServiceBindingRecord extends Timestamps {
  guid: string;
  type: BindingType;
  /** Required for keys (unique per instance); optional for app bindings (unique per app). */
  name: string | null;
  instanceGuid: string;
  /** Set for app bindings, null for keys. */
  appGuid: string | null;
  predecessorGuid: string | null;
  /** True once the broker confirmed the binding; only such bindings reach an app's environment. */
  established: boolean;
  /** From the broker's binding metadata; rotation refuses expired predecessors. */
  expiresAt: string | null;
  lastOperation: LastOperation;
  phase: OperationPhase | null;
  brokerOperation: string | null;
}

/** What the broker returned for a binding: stored encrypted, shown only by /details. */
export interface BindingDetails {
  credentials: Record<string, unknown>;
  syslogDrainUrl: string | null;
  volumeMounts: VolumeMount[];
}

export type AppState = 'STARTED' | 'STOPPED';

export interface AppRecord extends Timestamps {
  guid: string;
  name: string;
  spaceGuid: string;
  state: AppState;
  command: string;
  instances: number;
  /** The package the app was last started with, as Cloud Controller's current droplet; its bits are the LRP's appDir. */
  packageGuid: string | null;
}

/** Cloud Controller's package states; osbkit unpacks while the upload request is open. */
export type PackageState = 'AWAITING_UPLOAD' | 'PROCESSING_UPLOAD' | 'READY' | 'FAILED' | 'EXPIRED';

/** An upload of an app's bits (type `bits`, the only type osbkit has). */
export interface PackageRecord extends Timestamps {
  guid: string;
  appGuid: string;
  state: PackageState;
  /** SHA-256 of the upload as sent, once it is READY. */
  checksum: string | null;
  /** Why the package FAILED or EXPIRED. */
  error: string | null;
}

export type JobState = 'PROCESSING' | 'COMPLETE' | 'FAILED';

export type JobOperation =
  | 'service_broker.catalog.synchronize'
  | 'service_broker.update'
  | 'service_broker.delete'
  | 'service_instance.create'
  | 'service_instance.update'
  | 'service_instance.delete'
  | 'service_bindings.create'
  | 'service_bindings.delete'
  | 'app.delete';

export type ResourceType = 'service_brokers' | 'service_instances' | 'service_credential_bindings' | 'apps';

export interface JobRecord extends Timestamps {
  guid: string;
  operation: JobOperation;
  state: JobState;
  errors: ErrorEntry[];
  warnings: string[];
  resourceType: ResourceType;
  resourceGuid: string;
  /** Who asked: broker calls made for this job carry it as the originating identity. */
  userId: string;
  /** What a resumed job needs to finish; never secrets. */
  payload: Record<string, unknown>;
}

export type MitigationKind = 'instance' | 'binding';
/** `create`: the resource may exist at the broker though we consider it failed. `delete`: the user's delete did not go through. */
export type MitigationPurpose = 'create' | 'delete';
export type MitigationState = 'pending' | 'succeeded' | 'abandoned';

export interface OrphanMitigationRecord extends Timestamps {
  guid: string;
  kind: MitigationKind;
  purpose: MitigationPurpose;
  brokerGuid: string;
  instanceGuid: string;
  bindingGuid: string | null;
  serviceId: string;
  planId: string;
  reason: string;
  state: MitigationState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
}

/** A person who may call the API. `admin` is UAA's cloud_controller.admin scope; everyone else needs roles. */
export interface UserRecord extends Timestamps {
  guid: string;
  username: string;
  admin: boolean;
}

/**
 * Cloud Controller's role types that osbkit knows. A space role needs an organization role
 * in the space's organization first, as in Cloud Controller.
 */
export type RoleType = 'organization_user' | 'space_developer';

export interface RoleRecord extends Timestamps {
  guid: string;
  type: RoleType;
  userGuid: string;
  /** Set for organization roles, null for space roles. */
  organizationGuid: string | null;
  /** Set for space roles, null for organization roles. */
  spaceGuid: string | null;
}
