import { isPlainObject } from '../json';
import type { SchemaCompiler } from './schema-compiler';

/**
 * Start-up validation of a catalog. It collects every problem instead of stopping at the
 * first, so an author fixes a catalog in one round.
 */
const REQUIRES_VALUES = new Set(['syslog_drain', 'route_forwarding', 'volume_mount']);
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const SCHEMA_LOCATIONS = [
  ['service_instance', 'create'],
  ['service_instance', 'update'],
  ['service_binding', 'create'],
] as const;

export function validateCatalogDocument(doc: unknown, compiler: SchemaCompiler): string[] {
  const problems: string[] = [];
  if (!isPlainObject(doc)) return ['the catalog must be an object with a "services" array'];
  if (!Array.isArray(doc.services)) return ['"services" must be an array'];

  const offeringIds = new Map<string, string>();
  const planIds = new Map<string, string>();
  const offeringNames = new Set<string>();

  doc.services.forEach((offering: unknown, i: number) => {
    const where = `services[${i}]`;
    if (!isPlainObject(offering)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const label = typeof offering.name === 'string' && offering.name ? `${where} (${offering.name})` : where;
    requireString(offering, 'id', label, problems);
    requireString(offering, 'name', label, problems);
    requireString(offering, 'description', label, problems);
    if (typeof offering.bindable !== 'boolean') problems.push(`${label}.bindable must be a boolean`);
    for (const flag of ['instances_retrievable', 'bindings_retrievable', 'allow_context_updates', 'plan_updateable'] as const) {
      if (offering[flag] !== undefined && typeof offering[flag] !== 'boolean') problems.push(`${label}.${flag} must be a boolean`);
    }
    if (typeof offering.id === 'string' && offering.id) {
      const previous = offeringIds.get(offering.id) ?? planIds.get(offering.id);
      if (previous) problems.push(`${label}.id ${JSON.stringify(offering.id)} is already used by ${previous}`);
      else offeringIds.set(offering.id, label);
    }
    if (typeof offering.name === 'string' && offering.name) {
      if (offeringNames.has(offering.name)) problems.push(`${label}.name ${JSON.stringify(offering.name)} is not unique`);
      offeringNames.add(offering.name);
    }
    if (offering.tags !== undefined && !(Array.isArray(offering.tags) && offering.tags.every((t) => typeof t === 'string'))) {
      problems.push(`${label}.tags must be an array of strings`);
    }
    if (offering.requires !== undefined) {
      if (!Array.isArray(offering.requires)) problems.push(`${label}.requires must be an array`);
      else
        for (const value of offering.requires) {
          if (typeof value !== 'string' || !REQUIRES_VALUES.has(value)) {
            problems.push(`${label}.requires contains unsupported value ${JSON.stringify(value)} (allowed: syslog_drain, route_forwarding, volume_mount)`);
          }
        }
    }
    if (offering.metadata !== undefined && !isPlainObject(offering.metadata)) problems.push(`${label}.metadata must be an object`);
    if (offering.dashboard_client !== undefined && offering.dashboard_client !== null) {
      const client = offering.dashboard_client;
      if (!isPlainObject(client)) problems.push(`${label}.dashboard_client must be an object`);
      else {
        requireString(client, 'id', `${label}.dashboard_client`, problems);
        requireString(client, 'secret', `${label}.dashboard_client`, problems);
      }
    }
    if (!Array.isArray(offering.plans) || offering.plans.length === 0) {
      problems.push(`${label}.plans must be a non-empty array`);
      return;
    }
    const planNames = new Set<string>();
    offering.plans.forEach((plan: unknown, j: number) => {
      const planWhere = `${label}.plans[${j}]`;
      if (!isPlainObject(plan)) {
        problems.push(`${planWhere} must be an object`);
        return;
      }
      const planLabel = typeof plan.name === 'string' && plan.name ? `${planWhere} (${plan.name})` : planWhere;
      requireString(plan, 'id', planLabel, problems);
      requireString(plan, 'name', planLabel, problems);
      requireString(plan, 'description', planLabel, problems);
      if (typeof plan.id === 'string' && plan.id) {
        const previous = planIds.get(plan.id) ?? offeringIds.get(plan.id);
        if (previous) problems.push(`${planLabel}.id ${JSON.stringify(plan.id)} is already used by ${previous}`);
        else planIds.set(plan.id, planLabel);
      }
      if (typeof plan.name === 'string' && plan.name) {
        if (planNames.has(plan.name)) problems.push(`${planLabel}.name ${JSON.stringify(plan.name)} is not unique within its offering`);
        planNames.add(plan.name);
      }
      for (const flag of ['free', 'bindable', 'plan_updateable', 'binding_rotatable'] as const) {
        if (plan[flag] !== undefined && typeof plan[flag] !== 'boolean') problems.push(`${planLabel}.${flag} must be a boolean`);
      }
      const bindable = typeof plan.bindable === 'boolean' ? plan.bindable : offering.bindable === true;
      if (plan.binding_rotatable === true && !bindable) problems.push(`${planLabel}.binding_rotatable is true but the plan is not bindable`);
      if (plan.maximum_polling_duration !== undefined) {
        const value = plan.maximum_polling_duration;
        if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
          problems.push(`${planLabel}.maximum_polling_duration must be a positive integer (seconds)`);
        }
      }
      if (plan.maintenance_info !== undefined) {
        const info = plan.maintenance_info;
        if (!isPlainObject(info)) problems.push(`${planLabel}.maintenance_info must be an object`);
        else if (typeof info.version !== 'string' || !SEMVER.test(info.version)) {
          problems.push(`${planLabel}.maintenance_info.version must be a SemVer 2.0 version`);
        }
      }
      if (plan.metadata !== undefined && !isPlainObject(plan.metadata)) problems.push(`${planLabel}.metadata must be an object`);
      if (plan.schemas !== undefined) checkSchemas(plan.schemas, planLabel, compiler, problems);
    });
  });
  return problems;
}

function checkSchemas(schemas: unknown, label: string, compiler: SchemaCompiler, problems: string[]): void {
  if (!isPlainObject(schemas)) {
    problems.push(`${label}.schemas must be an object`);
    return;
  }
  for (const [resource, action] of SCHEMA_LOCATIONS) {
    const group = schemas[resource];
    if (group === undefined) continue;
    if (!isPlainObject(group)) {
      problems.push(`${label}.schemas.${resource} must be an object`);
      continue;
    }
    const entry = group[action];
    if (entry === undefined) continue;
    if (!isPlainObject(entry)) {
      problems.push(`${label}.schemas.${resource}.${action} must be an object`);
      continue;
    }
    if (entry.parameters === undefined) continue;
    const size = JSON.stringify(entry.parameters).length;
    if (size > 65536) problems.push(`${label}.schemas.${resource}.${action}.parameters is ${size} bytes; the spec limits schemas to 64 kB`);
    const compiled = compiler.compile(entry.parameters);
    if (!compiled.ok) problems.push(`${label}.schemas.${resource}.${action}.parameters ${compiled.problem}`);
  }
}

function requireString(obj: Record<string, unknown>, key: string, label: string, problems: string[]): void {
  const value = obj[key];
  if (typeof value !== 'string' || value.trim() === '') problems.push(`${label}.${key} must be a non-empty string`);
}
