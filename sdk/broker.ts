import type { Logger } from 'pino';
import type { ServiceOffering, ServicePlan } from './catalog/catalog';
import type { OriginatingIdentity } from './identity';
import type { JsonObject, JsonValue } from './json';
import type { BindResource, BindingResult, InstanceMetadata, OsbContext } from './openapi/wire';

export type { OsbContext };

/**
 * The broker author's API: one interface, one method per thing a broker actually does.
 * The SDK answers catalog, fetch and last_operation itself, and owns idempotency, async
 * state and validation; a broker only provisions, updates, binds and deletes.
 */

/** Who asked, taken from the request headers. */
export interface Caller {
  requestId?: string;
  identity?: OriginatingIdentity;
  apiVersion: string;
}

/** A stored instance as the broker sees it. */
export interface InstanceView {
  instanceId: string;
  /**
   * From the catalog. When the plan (or its offering) has since left the catalog, these are
   * stand-ins holding only the stored ids, and `planRemoved` is true: such an instance can
   * still be deleted, unbound, fetched and polled, but not bound or updated.
   */
  offering: ServiceOffering;
  plan: ServicePlan;
  planRemoved?: true;
  parameters: JsonObject;
  context?: OsbContext;
  organizationGuid?: string;
  spaceGuid?: string;
  maintenanceInfoVersion?: string;
  dashboardUrl?: string | null;
  metadata?: InstanceMetadata;
  /** What the broker returned as `data` when it provisioned or last updated the instance. */
  data?: JsonValue;
}

export interface BindingView {
  instanceId: string;
  bindingId: string;
  parameters: JsonObject;
  context?: OsbContext;
  bindResource?: BindResource;
  appGuid?: string;
  predecessorBindingId?: string;
  result?: BindingResult;
  data?: JsonValue;
}

export interface ProvisionRequest {
  instanceId: string;
  offering: ServiceOffering;
  plan: ServicePlan;
  /** Already validated against the plan's create schema. */
  parameters: JsonObject;
  context?: OsbContext;
  organizationGuid: string;
  spaceGuid: string;
  maintenanceInfoVersion?: string;
  acceptsIncomplete: boolean;
  caller: Caller;
}

export interface ProvisionResult {
  dashboardUrl?: string | null;
  metadata?: InstanceMetadata;
  /** Private data the SDK stores and hands back on update, bind and deprovision. */
  data?: JsonValue;
}

export interface UpdateRequest {
  instance: InstanceView;
  /** The plan after the update; equal to `previousPlan` when the plan does not change. */
  plan: ServicePlan;
  previousPlan: ServicePlan;
  planChanged: boolean;
  /** Only the parameters the platform sent; undefined means "do not change parameters". */
  parameters?: JsonObject;
  context?: OsbContext;
  maintenanceInfoVersion?: string;
  previousValues?: JsonObject;
  acceptsIncomplete: boolean;
  caller: Caller;
}

export interface UpdateResult {
  dashboardUrl?: string | null;
  metadata?: InstanceMetadata;
  data?: JsonValue;
}

export interface DeprovisionRequest {
  instance: InstanceView;
  /**
   * Set when this deprovision halted a provision that had not finished: the last progress
   * marker the provision saved, so the broker knows what was already made.
   */
  haltedCheckpoint?: JsonValue;
  acceptsIncomplete: boolean;
  caller: Caller;
}

export interface BindRequest {
  instance: InstanceView;
  bindingId: string;
  parameters: JsonObject;
  context?: OsbContext;
  bindResource?: BindResource;
  appGuid?: string;
  /** The binding this one replaces, for binding rotation. */
  predecessor?: BindingView;
  acceptsIncomplete: boolean;
  caller: Caller;
}

export interface BindResult extends BindingResult {
  data?: JsonValue;
}

export interface UnbindRequest {
  instance: InstanceView;
  binding: BindingView;
  haltedCheckpoint?: JsonValue;
  acceptsIncomplete: boolean;
  caller: Caller;
}

export interface FetchInstanceResult {
  /** The parameters to show; omit sensitive ones. */
  parameters?: JsonObject;
  dashboardUrl?: string | null;
  metadata?: InstanceMetadata;
}

export interface FetchBindingResult extends BindingResult {
  parameters?: JsonObject;
}

/** Per-step context of an operation. Async operations call the same method again per step. */
export interface StepContext {
  /** What the previous step returned in `inProgress({ checkpoint })`; undefined on the first step. */
  checkpoint?: JsonValue;
  /** Aborted when a deprovision or unbind halts this operation, or the broker shuts down. */
  signal: AbortSignal;
  operationId: string;
  /** 1 on the first step. */
  step: number;
  logger: Logger;
}

const IN_PROGRESS = Symbol.for('osbkit.inProgress');

export interface InProgress {
  readonly [IN_PROGRESS]: true;
  checkpoint?: JsonValue;
  /** How long the SDK waits before the next step, and what it tells pollers in Retry-After. */
  retryAfterSeconds?: number;
  /** Shown to the platform in last_operation. */
  description?: string;
  /**
   * Provision and update: the spec wants a dashboard URL in the first answer even when the
   * work goes on asynchronously; it is stored and sent with the 202.
   */
  dashboardUrl?: string;
}

/** Returned by a broker method whose work is not finished: the SDK persists and continues it. */
export function inProgress(options: { checkpoint?: JsonValue; retryAfterSeconds?: number; description?: string; dashboardUrl?: string } = {}): InProgress {
  return { [IN_PROGRESS]: true, ...options };
}

export function isInProgress(value: unknown): value is InProgress {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[IN_PROGRESS] === true;
}

export type Step<T> = Promise<T | InProgress>;

export interface ServiceBroker {
  provision(request: ProvisionRequest, context: StepContext): Step<ProvisionResult | void>;
  deprovision(request: DeprovisionRequest, context: StepContext): Step<void>;
  /** Required when a plan is updateable, has an update schema, or the offering allows context updates. */
  update?(request: UpdateRequest, context: StepContext): Step<UpdateResult | void>;
  /** Required when any plan is bindable. */
  bind?(request: BindRequest, context: StepContext): Step<BindResult>;
  unbind?(request: UnbindRequest, context: StepContext): Step<void>;
  /** Required when an offering sets instances_retrievable; `answerFromStore.getInstance` shows what is stored. */
  getInstance?(instance: InstanceView): Promise<FetchInstanceResult>;
  /** Required when an offering sets bindings_retrievable. */
  getBinding?(binding: BindingView, instance: InstanceView): Promise<FetchBindingResult>;
  /** Bindings of these plans must name an app (422 RequiresApp otherwise). */
  requiresApp?(plan: ServicePlan): boolean;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** Fetch hooks that show exactly what the SDK stored. */
export const answerFromStore = {
  async getInstance(instance: InstanceView): Promise<FetchInstanceResult> {
    return { parameters: instance.parameters, dashboardUrl: instance.dashboardUrl, metadata: instance.metadata };
  },
  async getBinding(binding: BindingView): Promise<FetchBindingResult> {
    return { ...binding.result, parameters: binding.parameters };
  },
};
