/** osbkit SDK: write an Open Service Broker (v2.17) by implementing what provisions and binds. */
export { createBroker, type BrokerApp, type CreateBrokerOptions } from './server/create-broker';
export type { AuthOption, AuthHook, BasicCredentials } from './server/auth';
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
} from './broker';
export { Catalog, CatalogError, readCatalogFile, type PlanEntry, type ServiceOffering, type ServicePlan } from './catalog/catalog';
export { OsbError, errors, isOsbError, type OsbErrorCode } from './errors';
export { parseOriginatingIdentity, formatOriginatingIdentity, type OriginatingIdentity } from './identity';
export { createLogger, REDACTED_PATHS, type CreateLoggerOptions, type Logger } from './logging';
export { createLogDestination, LogDestination, type LogDestinationOptions } from './log-destination';
export { MemoryStore } from './store/memory';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite';
export type * from './store/types';
export type { JsonObject, JsonValue } from './json';
export { OSB_API_VERSION } from './openapi';
export {
  OsbClient,
  OsbMalformedResponseError,
  OsbPollingTimeoutError,
  OsbRequestError,
  OsbResponseError,
  OsbTimeoutError,
  OsbTransportError,
  DEFAULT_ANSWER_LIMIT_BYTES,
  DEFAULT_CATALOG_LIMIT_BYTES,
  type OsbClientOptions,
  type CallOptions,
  type LastOperationAnswer,
  type WaitOptions,
} from './client';
export { OsbClientError } from './client/errors';
export { BROKER_TEXT_LIMIT, brokerText } from './client/broker-text';
