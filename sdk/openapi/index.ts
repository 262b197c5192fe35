// Public entry point of osbkit's OSB v2.17 OpenAPI description.
//
// The types come from ./osb.gen.ts, which `npm run gen` generates from
// ./osb.yaml. This module adds one readable alias per component schema, the
// API version constant and the location of the YAML on disk.

import * as fs from 'node:fs';
import * as path from 'node:path';

import type { components } from './osb.gen';

export type { paths, components, operations } from './osb.gen';

/** The OSB API version this description (and osbkit) implements. */
export const OSB_API_VERSION = '2.17';

const SPEC_FILE = 'osb.yaml';

/**
 * Finds sdk/openapi/osb.yaml. From the source tree (ts-jest, ts-node) it sits
 * next to this module. After `npm run build` this module runs from
 * dist/sdk/openapi/ while the YAML is not copied, so walk up the directory
 * tree until a directory holding sdk/openapi/osb.yaml (the repository root)
 * is found.
 */
function locateSpec(startDir: string): string {
  const besideModule = path.join(startDir, SPEC_FILE);
  if (fs.existsSync(besideModule)) return besideModule;
  let dir = startDir;
  for (;;) {
    const candidate = path.join(dir, 'sdk', 'openapi', SPEC_FILE);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Not found anywhere: report the path expected for a build in dist/sdk/openapi/
  // (three levels below the root), so an error message points somewhere sensible.
  return path.join(startDir, '..', '..', '..', 'sdk', 'openapi', SPEC_FILE);
}

/** Absolute path of sdk/openapi/osb.yaml, valid from the source tree and from dist/. */
export const OSB_OPENAPI_PATH: string = locateSpec(__dirname);

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
