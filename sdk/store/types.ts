import type { JsonObject, JsonValue } from '../json';
import type { BindResource, BindingResult, InstanceMetadata, OsbContext } from '../openapi/wire';

/**
 * The state the SDK owns. Every record is one JSON document with a version number; writes
 * are compare-and-set on that version. That single primitive is enough for idempotency,
 * concurrency refusals and for several broker replicas sharing one store.
 */
export type OperationState = 'in progress' | 'succeeded' | 'failed';

/** The request attributes an operation keeps so that a restarted broker can run it again. */
export interface StoredCaller {
  requestId?: string;
  identityHeader?: string;
  apiVersion: string;
}

/** What every kind of operation records about its progress. */
export interface OperationProgress {
  /** The `operation` value handed to the platform. */
  id: string;
  state: OperationState;
  /** True when the platform got 202 and is polling last_operation. */
  async: boolean;
  description?: string;
  /**
   * Canonical digest of an update's request attributes, to recognise a repeat while it runs.
   * Creates compare against the attributes kept on the record itself and need none.
   */
  fingerprint?: string;
  /** The broker's progress marker between steps of an async operation. */
  checkpoint?: JsonValue;
  retryAfterSeconds?: number;
  instanceUsable?: boolean;
  updateRepeatable?: boolean;
  /** A deprovision or unbind asked this running create to stop. */
  haltRequested?: boolean;
  /** The runner that drives this operation, and until when (epoch ms) its claim holds. */
  owner?: string;
  leaseUntil?: number;
  /** When the operation is given up as failed (epoch ms), from maximum_polling_duration. */
  deadline?: number;
  attempts: number;
  /** Consecutive steps that found the backing service unavailable; drives the backoff. */
  transientFailures?: number;
  startedAt: string;
  updatedAt: string;
}

/**
 * What the broker method needs to run (again) after a restart. `caller` is absent only from
 * records the SDK did not write; such a step runs as an API 2.17 call without identity.
 */
export interface CreateRequest {
  caller?: StoredCaller;
}

export interface UpdateOperationRequest {
  caller?: StoredCaller;
  /** The plan after the update: the stored plan when the request named none. */
  planId: string;
  parameters?: JsonObject;
  context?: OsbContext;
  maintenanceInfoVersion?: string;
  previousValues?: JsonObject;
}

export interface DeleteRequest {
  caller?: StoredCaller;
  /** Set when this delete halted a create: the create's last checkpoint. */
  haltedCheckpoint?: JsonValue;
}

/** What each kind of operation keeps of its request. */
export interface OperationRequests {
  provision: CreateRequest;
  update: UpdateOperationRequest;
  deprovision: DeleteRequest;
  bind: CreateRequest;
  unbind: DeleteRequest;
}

export type OperationKind = keyof OperationRequests;

/** An operation of one kind, with the request that kind keeps. */
export interface Operation<K extends OperationKind> extends OperationProgress {
  kind: K;
  request: OperationRequests[K];
}

export type ProvisionOperation = Operation<'provision'>;
export type UpdateOperation = Operation<'update'>;
export type DeprovisionOperation = Operation<'deprovision'>;
export type BindOperation = Operation<'bind'>;
export type UnbindOperation = Operation<'unbind'>;
/** Any operation; its `kind` tells which, and so what its `request` holds. */
export type OperationRecord = { [K in OperationKind]: Operation<K> }[OperationKind];

export type InstanceState = 'provisioning' | 'provisioned' | 'failed' | 'deleted';

export type { InstanceMetadata as InstanceMetadataRecord } from '../openapi/wire';

export interface InstanceRecord {
  instanceId: string;
  serviceId: string;
  planId: string;
  state: InstanceState;
  parameters: JsonObject;
  context?: OsbContext;
  organizationGuid?: string;
  spaceGuid?: string;
  maintenanceInfoVersion?: string;
  dashboardUrl?: string | null;
  metadata?: InstanceMetadata;
  /** Private to the broker: what it needs later to update or delete the instance. */
  data?: JsonValue;
  operation?: OperationRecord;
  /** Earlier operations, newest first and bounded, so last_operation can answer old ids. */
  history: OperationRecord[];
  createdAt: string;
  updatedAt: string;
}

export type BindingState = 'binding' | 'bound' | 'failed' | 'deleted';

export type { BindingResult } from '../openapi/wire';

export interface BindingRecord {
  instanceId: string;
  bindingId: string;
  serviceId: string;
  planId: string;
  state: BindingState;
  parameters: JsonObject;
  context?: OsbContext;
  bindResource?: BindResource;
  appGuid?: string;
  predecessorBindingId?: string;
  result?: BindingResult;
  data?: JsonValue;
  operation?: OperationRecord;
  history: OperationRecord[];
  createdAt: string;
  updatedAt: string;
}

export interface Versioned<T> {
  record: T;
  version: number;
}

export type PendingTarget =
  | { type: 'instance'; instanceId: string }
  | { type: 'binding'; instanceId: string; bindingId: string };

/** What the reader will do next, which a store may use to plan its locking. */
export interface ReadIntent {
  /**
   * The caller will probably write this instance or one of its bindings next (a bind, an
   * update, a delete). A store that batches writes in a transaction may open it before the
   * read. It is a hint: it changes no result.
   */
  forWrite?: boolean;
}

/** A binding and its instance, as one read found them; either may be missing. */
export interface BindingWithInstance {
  binding: Versioned<BindingRecord> | undefined;
  instance: Versioned<InstanceRecord> | undefined;
}

/** An instance and every binding of it, as one read found them. */
export interface InstanceWithBindings {
  instance: Versioned<InstanceRecord> | undefined;
  bindings: Array<Versioned<BindingRecord>>;
}

export interface StateStore {
  /** Creates or migrates the schema. Safe to call from several replicas at once. */
  init(): Promise<void>;
  close(): Promise<void>;
  getInstance(instanceId: string, intent?: ReadIntent): Promise<Versioned<InstanceRecord> | undefined>;
  /**
   * Writes the record when the stored version equals `expectedVersion` (null: must not exist).
   * Returns the new version, or undefined when another writer got there first.
   */
  putInstance(record: InstanceRecord, expectedVersion: number | null): Promise<number | undefined>;
  getBinding(instanceId: string, bindingId: string): Promise<Versioned<BindingRecord> | undefined>;
  putBinding(record: BindingRecord, expectedVersion: number | null): Promise<number | undefined>;
  listBindings(instanceId: string): Promise<Array<Versioned<BindingRecord>>>;
  /**
   * A binding and its instance in one read: a bind, an unbind and every step of either need
   * both. Optional: without it the SDK calls getBinding and getInstance.
   */
  getBindingWithInstance?(instanceId: string, bindingId: string, intent?: ReadIntent): Promise<BindingWithInstance>;
  /**
   * An instance and its bindings in one read, for a deprovision. Optional: without it the SDK
   * calls getInstance and listBindings.
   */
  getInstanceWithBindings?(instanceId: string, intent?: ReadIntent): Promise<InstanceWithBindings>;
  /** Records whose latest operation is still in progress: the work to resume after a restart. */
  listPending(): Promise<PendingTarget[]>;
  /** Drops deleted records last changed before `before`; returns how many went. */
  purgeDeleted(before: Date): Promise<number>;
  /**
   * For stores that commit writes in groups: resolves once every write made so far is
   * durable. The server waits for it before it answers a request that changed state.
   */
  sync?(): Promise<void>;
}
