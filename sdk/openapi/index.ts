// Public entry point of osbkit's OSB v2.17 OpenAPI description.
//
// The types come from ./osb.gen.ts, which `npm run gen` generates from
// ./osb.yaml. This module adds one readable alias per component schema and
// the API version constant.

import type { components } from './osb.gen';

export type { paths, components, operations } from './osb.gen';

/** The OSB API version this description (and osbkit) implements. */
export const OSB_API_VERSION = '2.17';

type Schemas = components['schemas'];

// Catalog
export type Catalog = Schemas['Catalog'];
export type ServiceOffering = Schemas['ServiceOffering'];
export type ServicePlan = Schemas['ServicePlan'];
export type DashboardClient = Schemas['DashboardClient'];
export type PlanSchemas = Schemas['PlanSchemas'];
export type ServiceInstanceSchema = Schemas['ServiceInstanceSchema'];
export type ServiceBindingSchema = Schemas['ServiceBindingSchema'];
export type InputParameters = Schemas['InputParameters'];
export type MaintenanceInfo = Schemas['MaintenanceInfo'];

// Shared request/response pieces
export type Context = Schemas['Context'];
export type InstanceMetadata = Schemas['InstanceMetadata'];
export type BindingMetadata = Schemas['BindingMetadata'];

// Service Instances
export type ProvisionRequest = Schemas['ProvisionRequest'];
export type ProvisionResponse = Schemas['ProvisionResponse'];
export type UpdateRequest = Schemas['UpdateRequest'];
export type UpdateResponse = Schemas['UpdateResponse'];
export type PreviousValues = Schemas['PreviousValues'];
export type AsyncOperation = Schemas['AsyncOperation'];
export type FetchInstanceResponse = Schemas['FetchInstanceResponse'];
export type LastOperationResponse = Schemas['LastOperationResponse'];

// Service Bindings
export type BindRequest = Schemas['BindRequest'];
export type BindResource = Schemas['BindResource'];
export type BindResponse = Schemas['BindResponse'];
export type FetchBindingResponse = Schemas['FetchBindingResponse'];
export type VolumeMount = Schemas['VolumeMount'];
export type VolumeMountDevice = Schemas['VolumeMountDevice'];
export type BindingEndpoint = Schemas['BindingEndpoint'];

// Errors and empty bodies
export type ErrorResponse = Schemas['ErrorResponse'];
export type EmptyObject = Schemas['EmptyObject'];
