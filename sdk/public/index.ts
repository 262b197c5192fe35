/**
 * `osbkit`: what a broker author writes against. createBroker and the ServiceBroker interface,
 * the types of what a broker is handed and returns, errors, the catalog, the memory and
 * SQLite stores, and the StateStore interface for a store of one's own. Everything else in
 * sdk/ is the SDK's own business and may change without notice; package.json's `exports`
 * lets nothing else out, and test/unit/package/exports.test.ts holds this list fixed.
 */
export { createBroker, type BrokerApp, type CreateBrokerOptions } from '../server/create-broker';
export type { EngineOptions } from '../engine/engine';
export type { AsyncModeOptions } from '../async-mode';
export type { AuthHook, AuthOption, BasicCredentials } from '../server/auth';
export {
  answerFromStore,
  inProgress,
  isInProgress,
  type BindRequest,
  type BindResult,
  type BindingView,
  type Caller,
  type DeprovisionRequest,
  type FetchBindingResult,
  type FetchInstanceResult,
  type InProgress,
  type InstanceView,
  type OsbContext,
  type ProvisionRequest,
  type ProvisionResult,
  type ServiceBroker,
  type StepContext,
  type UnbindRequest,
  type UpdateRequest,
  type UpdateResult,
} from '../broker';
export { Catalog, CatalogError, type PlanEntry, type ServiceOffering, type ServicePlan } from '../catalog/catalog';
export { OsbError, errors, isOsbError, type OsbErrorCode, type OsbErrorOptions } from '../errors';
export type { OriginatingIdentity } from '../identity';
export { createLogger, type CreateLoggerOptions, type Logger } from '../logging';
export { MemoryStore } from '../store/memory';
export { SqliteStore, type SqliteStoreOptions } from '../store/sqlite';
export type {
  BindingRecord,
  BindingResult,
  BindingState,
  InstanceMetadataRecord,
  InstanceRecord,
  InstanceState,
  OperationKind,
  OperationRecord,
  OperationState,
  PendingTarget,
  ReadIntent,
  StateStore,
  Versioned,
} from '../store/types';
export type { JsonObject, JsonValue } from '../json';
export { OSB_API_VERSION } from '../openapi';
