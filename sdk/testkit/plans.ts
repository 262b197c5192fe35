import { isPlainObject } from '../json';
import type { JsonObject } from '../json';
import type { PlanOptions, ResolvedOptions } from './options';

/**
 * The plans a run tests, read from the broker's own catalog answer. The catalog is read
 * leniently here (a broker that breaks the catalog rules still gets its plans tested); the
 * catalog check is where its rules are enforced.
 */

export interface PlanUnderTest {
  /** `offering/plan`, as reports name it. */
  label: string;
  serviceId: string;
  planId: string;
  offering: JsonObject;
  plan: JsonObject;
  bindable: boolean;
  planUpdateable: boolean;
  bindingRotatable: boolean;
  instancesRetrievable: boolean;
  bindingsRetrievable: boolean;
  allowContextUpdates: boolean;
  requires: string[];
  maintenanceVersion?: string;
  maximumPollingSeconds?: number;
  createSchema?: JsonObject;
  updateSchema?: JsonObject;
  bindSchema?: JsonObject;
  /** Another plan of the same offering, for plan changes and conflicting provisions. */
  siblingPlanId?: string;
  siblingLabel?: string;
  options: PlanOptions;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const flag = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

function schemaAt(plan: JsonObject, ...path: string[]): JsonObject | undefined {
  let node: unknown = plan.schemas;
  for (const key of path) node = isPlainObject(node) ? node[key] : undefined;
  return isPlainObject(node) ? (node as JsonObject) : undefined;
}

/** Every plan of the catalog document, with what the catalog says about it. */
export function plansOf(catalog: unknown, options: ResolvedOptions): PlanUnderTest[] {
  const services = isPlainObject(catalog) && Array.isArray(catalog.services) ? catalog.services : [];
  const found: PlanUnderTest[] = [];
  for (const offering of services) {
    if (!isPlainObject(offering)) continue;
    const serviceId = text(offering.id);
    const offeringName = text(offering.name) ?? serviceId;
    if (!serviceId || !Array.isArray(offering.plans)) continue;
    const plans = offering.plans.filter((plan): plan is JsonObject => isPlainObject(plan) && text(plan.id) !== undefined);
    for (const plan of plans) {
      const planId = text(plan.id)!;
      const planName = text(plan.name) ?? planId;
      const label = `${offeringName}/${planName}`;
      const sibling = plans.find((other) => other !== plan);
      const maintenance = isPlainObject(plan.maintenance_info) ? text(plan.maintenance_info.version) : undefined;
      const polling = typeof plan.maximum_polling_duration === 'number' && plan.maximum_polling_duration > 0 ? plan.maximum_polling_duration : undefined;
      const planOptions = options.plans[planId] ?? options.plans[label] ?? options.plans[planName] ?? options.defaultPlan;
      const createSchema = schemaAt(plan, 'service_instance', 'create', 'parameters');
      const updateSchema = schemaAt(plan, 'service_instance', 'update', 'parameters');
      const bindSchema = schemaAt(plan, 'service_binding', 'create', 'parameters');
      found.push({
        label,
        serviceId,
        planId,
        offering: offering as JsonObject,
        plan,
        bindable: flag(plan.bindable) ?? flag(offering.bindable) ?? false,
        planUpdateable: flag(plan.plan_updateable) ?? flag(offering.plan_updateable) ?? false,
        bindingRotatable: flag(plan.binding_rotatable) ?? false,
        instancesRetrievable: flag(offering.instances_retrievable) ?? false,
        bindingsRetrievable: flag(offering.bindings_retrievable) ?? false,
        allowContextUpdates: flag(offering.allow_context_updates) ?? false,
        requires: Array.isArray(offering.requires) ? offering.requires.filter((r): r is string => typeof r === 'string') : [],
        ...(maintenance ? { maintenanceVersion: maintenance } : {}),
        ...(polling ? { maximumPollingSeconds: polling } : {}),
        ...(createSchema ? { createSchema } : {}),
        ...(updateSchema ? { updateSchema } : {}),
        ...(bindSchema ? { bindSchema } : {}),
        ...(sibling ? { siblingPlanId: text(sibling.id)!, siblingLabel: `${offeringName}/${text(sibling.name) ?? text(sibling.id)}` } : {}),
        options: planOptions,
      });
    }
  }
  return found;
}

/** The plans a run tests: those `only` names (all of them when unset), less the skipped ones. */
export function selectPlans(all: PlanUnderTest[], options: ResolvedOptions): { selected: PlanUnderTest[]; unknown: string[] } {
  if (!options.only) return { selected: all, unknown: [] };
  const matches = (plan: PlanUnderTest, name: string): boolean => name === plan.planId || name === plan.label || name === plan.label.split('/')[1];
  return {
    selected: all.filter((plan) => options.only!.some((name) => matches(plan, name))),
    unknown: options.only.filter((name) => !all.some((plan) => matches(plan, name))),
  };
}
