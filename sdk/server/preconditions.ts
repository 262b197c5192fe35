import type { IncomingMessage } from 'node:http';
import type { Catalog, PlanEntry } from '../catalog/catalog';
import { requireStoredIds, type UnknownIds } from '../engine/stored-ids';
import { errors } from '../errors';
import { parseOriginatingIdentity } from '../identity';
import { isPlainObject, type JsonObject } from '../json';
import type { BindResource, OsbContext } from '../openapi/wire';
import type { StoredCaller } from '../store/types';
import type { HandlerContext } from './context';

/**
 * Checks shared by every endpoint, written once: ids, headers, the catalog lookups for
 * service_id and plan_id, and the shapes of common body fields. What a request asks of a
 * plan (maintenance_info, parameters) is checked by the operations.
 */

/** RFC 3986 unreserved characters, which the spec recommends for every id in a URL. */
const ID_PATTERN = /^[A-Za-z0-9._~-]{1,255}$/;

export function checkId(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw errors.badRequest(`${name} must not be empty.`);
  if (!ID_PATTERN.test(value) || value === '.' || value === '..') {
    throw errors.badRequest(`${name} must be 1 to 255 characters from A-Z a-z 0-9 - . _ ~ (got ${describeValue(value)}).`);
  }
  return value;
}

function describeValue(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}… (${value.length} characters)` : value;
  return JSON.stringify(shown);
}

const VERSION_PATTERN = /^(\d+)\.(\d+)$/;

/** X-Broker-API-Version: 412 when missing or not 2.x at or above `minMinor`. */
export function checkApiVersion(req: IncomingMessage, minMinor: number): string {
  const header = req.headers['x-broker-api-version'];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw errors.preconditionFailed('The X-Broker-API-Version header is missing; this broker supports 2.17.');
  const version = value.trim();
  const match = VERSION_PATTERN.exec(version);
  if (!match || match[1] !== '2') {
    throw errors.preconditionFailed(`X-Broker-API-Version ${JSON.stringify(value)} is not supported; this broker supports 2.x up to 2.17.`);
  }
  if (Number(match[2]) < minMinor) {
    throw errors.preconditionFailed(`This endpoint needs X-Broker-API-Version 2.${minMinor} or later; the request sent ${value}.`);
  }
  return version;
}

export function readCaller(req: IncomingMessage, apiVersion: string): StoredCaller {
  const requestId = single(req.headers['x-broker-api-request-identity']);
  const identityHeader = single(req.headers['x-broker-api-originating-identity']);
  if (identityHeader !== undefined) {
    const parsed = parseOriginatingIdentity(identityHeader);
    if (!parsed.ok) throw errors.badRequest(`X-Broker-API-Originating-Identity is malformed: ${parsed.problem}.`);
  }
  const caller: StoredCaller = { apiVersion };
  if (requestId) caller.requestId = requestId;
  if (identityHeader) caller.identityHeader = identityHeader;
  return caller;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function readAcceptsIncomplete(query: URLSearchParams): boolean {
  const value = query.get('accepts_incomplete');
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  throw errors.badRequest(`accepts_incomplete must be true or false (got ${JSON.stringify(value)}).`);
}

export function requireBodyObject(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) {
    throw errors.badRequest(`The request body must be a JSON object, not ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}.`);
  }
  return body;
}

export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) throw errors.badRequest(`${field} is required.`);
  if (typeof value !== 'string' || value === '') throw errors.badRequest(`${field} must be a non-empty string.`);
  return value;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw errors.badRequest(`${field} must be a non-empty string.`);
  return value;
}

export function optionalObject(body: Record<string, unknown>, field: string): JsonObject | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw errors.badRequest(`${field} must be a JSON object.`);
  return value as JsonObject;
}

/**
 * The context object, when sent. Its platform must equal the platform named in the
 * originating identity header, as the spec requires of platforms.
 */
export function optionalContext(body: Record<string, unknown>, caller?: StoredCaller): OsbContext | undefined {
  const context = optionalObject(body, 'context');
  if (!context) return undefined;
  if (!isContext(context)) throw errors.badRequest('context.platform must be a non-empty string when a context is sent.');
  const identityPlatform = caller?.identityHeader?.trim().split(' ')[0];
  if (identityPlatform && identityPlatform !== context.platform) {
    throw errors.badRequest(
      `context.platform ${JSON.stringify(context.platform)} differs from the platform ${JSON.stringify(identityPlatform)} in X-Broker-API-Originating-Identity.`,
    );
  }
  return context;
}

function isContext(value: JsonObject): value is OsbContext {
  return typeof value.platform === 'string' && value.platform !== '';
}

/** bind_resource, when sent: its app_guid, when present, is a non-empty string, and its route a string. */
export function optionalBindResource(body: Record<string, unknown>): BindResource | undefined {
  const resource = optionalObject(body, 'bind_resource');
  if (!resource) return undefined;
  if (!isBindResource(resource)) {
    throw errors.badRequest(
      resource.route === undefined || typeof resource.route === 'string' ? 'bind_resource.app_guid must be a non-empty string.' : 'bind_resource.route must be a string.',
    );
  }
  return resource;
}

function isBindResource(value: JsonObject): value is BindResource {
  const appGuid = value.app_guid;
  return (appGuid === undefined || (typeof appGuid === 'string' && appGuid !== '')) && (value.route === undefined || typeof value.route === 'string');
}

export function optionalMaintenanceVersion(body: Record<string, unknown>): string | undefined {
  const info = optionalObject(body, 'maintenance_info');
  if (!info) return undefined;
  if (typeof info.version !== 'string' || info.version === '') throw errors.badRequest('maintenance_info.version must be a non-empty string.');
  return info.version;
}

/** service_id and plan_id exist in the catalog and belong together. */
export function resolvePlan(catalog: Catalog, serviceId: string, planId: string): PlanEntry {
  const offering = catalog.offering(serviceId);
  if (!offering) throw errors.badRequest(`service_id ${JSON.stringify(serviceId)} is not in the catalog.`);
  const entry = catalog.plan(planId);
  if (!entry) throw errors.badRequest(`plan_id ${JSON.stringify(planId)} is not in the catalog.`);
  if (entry.offering.id !== serviceId) {
    throw errors.badRequest(`plan_id ${JSON.stringify(planId)} does not belong to service_id ${JSON.stringify(serviceId)}.`);
  }
  return entry;
}

export function resolveOffering(catalog: Catalog, serviceId: string): void {
  if (!catalog.offering(serviceId)) throw errors.badRequest(`service_id ${JSON.stringify(serviceId)} is not in the catalog.`);
}

/**
 * Checks ids that may be absent against the catalog: throws when the catalog knows both and
 * they do not belong together; returns what it does not know.
 */
function catalogIds(catalog: Catalog, serviceId: string | undefined, planId: string | undefined): UnknownIds | undefined {
  const knownService = serviceId === undefined || catalog.offering(serviceId) !== undefined;
  const entry = planId === undefined ? undefined : catalog.plan(planId);
  if (serviceId !== undefined && !knownService) {
    return { serviceId, ...(planId !== undefined ? { planId } : {}), refusal: errors.badRequest(`service_id ${JSON.stringify(serviceId)} is not in the catalog.`) };
  }
  if (planId !== undefined && !entry) {
    return { ...(serviceId !== undefined ? { serviceId } : {}), planId, refusal: errors.badRequest(`plan_id ${JSON.stringify(planId)} is not in the catalog.`) };
  }
  if (entry && serviceId !== undefined && entry.offering.id !== serviceId) {
    throw errors.badRequest(`plan_id ${JSON.stringify(planId)} does not belong to service_id ${JSON.stringify(serviceId)}.`);
  }
  return undefined;
}

/**
 * The optional service_id/plan_id hints of the GET endpoints, checked when present. Ids the
 * catalog no longer has stand only when they are the stored instance's: the spec lets a
 * broker drop a plan while instances of it live on, and the platform still names it.
 */
export async function checkQueryHints(ctx: HandlerContext, instanceId: string): Promise<void> {
  const serviceId = ctx.query.get('service_id');
  const planId = ctx.query.get('plan_id');
  if (serviceId === '') throw errors.badRequest('service_id must not be empty when present.');
  if (planId === '') throw errors.badRequest('plan_id must not be empty when present.');
  const unknown = catalogIds(ctx.catalog, serviceId ?? undefined, planId ?? undefined);
  if (unknown) await requireStoredIds(ctx.engine, instanceId, unknown);
}

/** The required service_id and plan_id query parameters of the DELETE endpoints, checked the same way. */
export async function requiredQueryPlan(ctx: HandlerContext, instanceId: string): Promise<{ serviceId: string; planId: string }> {
  const serviceId = ctx.query.get('service_id');
  const planId = ctx.query.get('plan_id');
  if (!serviceId) throw errors.badRequest('The service_id query parameter is required.');
  if (!planId) throw errors.badRequest('The plan_id query parameter is required.');
  const unknown = catalogIds(ctx.catalog, serviceId, planId);
  if (unknown) await requireStoredIds(ctx.engine, instanceId, unknown);
  return { serviceId, planId };
}
