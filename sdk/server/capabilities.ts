import type { ServiceBroker } from '../broker';
import type { Catalog } from '../catalog/catalog';

/**
 * The catalog promises things the broker must be able to do. A mismatch is a start-up
 * error, listed in full, rather than a 500 the first time a platform relies on the promise.
 */
export function checkBrokerAgainstCatalog(broker: ServiceBroker, catalog: Catalog): void {
  const problems: string[] = [];
  const need = (method: keyof ServiceBroker, why: string): void => {
    if (typeof broker[method] !== 'function') problems.push(`${why} but ${String(method)} is missing`);
  };
  need('provision', 'every broker provisions');
  need('deprovision', 'every broker deprovisions');
  for (const offering of catalog.allOfferings()) {
    const name = `offering "${offering.name}"`;
    if (offering.instances_retrievable) need('getInstance', `${name}: instances_retrievable is true`);
    if (offering.bindings_retrievable) need('getBinding', `${name}: bindings_retrievable is true`);
    if (offering.allow_context_updates) need('update', `${name}: allow_context_updates is true`);
  }
  for (const entry of catalog.allPlans()) {
    const name = `plan "${entry.offering.name}/${entry.plan.name}"`;
    if (entry.bindable) {
      need('bind', `${name} is bindable`);
      need('unbind', `${name} is bindable`);
    }
    if (entry.planUpdateable) need('update', `${name} is plan_updateable`);
    if (entry.validators['instance.update']) need('update', `${name} has an update parameters schema`);
  }
  const unique = [...new Set(problems)];
  if (unique.length > 0) {
    throw new Error(`The broker does not match its catalog:\n${unique.map((p) => `  - ${p}`).join('\n')}`);
  }
}
