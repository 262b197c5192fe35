/**
 * `osbkit/client`: a typed OSB 2.17 client for platforms and tests, and the wire types of
 * what it sends and receives (snake_case, as on the wire; not the broker-side request types
 * of `osbkit`).
 */
export {
  OsbClient,
  DEFAULT_ANSWER_LIMIT_BYTES,
  DEFAULT_CATALOG_LIMIT_BYTES,
  type Answer,
  type AsyncAnswer,
  type CallOptions,
  type Identity,
  type LastOperationAnswer,
  type OsbClientOptions,
  type PlanRef,
  type WaitOptions,
} from '../client/client';
export {
  OsbClientError,
  OsbMalformedResponseError,
  OsbPollingTimeoutError,
  OsbRequestError,
  OsbResponseError,
  OsbTimeoutError,
  OsbTransportError,
} from '../client/errors';
export { closeOsbAgents, createOsbAgents, type OsbAgents } from '../client/agent';
export { OSB_API_VERSION } from '../openapi';
export type {
  BindRequest,
  BindResource,
  BindResponse,
  BindingEndpoint,
  BindingMetadata,
  Catalog as CatalogDocument,
  Context,
  FetchBindingResponse,
  FetchInstanceResponse,
  InstanceMetadata,
  LastOperationResponse,
  MaintenanceInfo,
  PreviousValues,
  ProvisionRequest,
  ProvisionResponse,
  ServiceOffering,
  ServicePlan,
  UpdateRequest,
  UpdateResponse,
  VolumeMount,
} from '../openapi';
