import { ApiError, type ControllerApi, type Resource } from './api';

/**
 * Finding service offerings, plans and instances by name, failing the way cf does:
 * "Service offering 'x' not found.", "The plan 'p' could not be found for service offering
 * 'x'.", with a guess when the name is a near miss and the verb that lists the choices.
 */

/** The candidate a misspelling most likely meant: at most two edits away, or one that starts with it. */
export function closestName(wanted: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of new Set(candidates)) {
    const distance = name.startsWith(wanted) || wanted.startsWith(name) ? Math.min(2, editDistance(wanted, name)) : editDistance(wanted, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function guess(wanted: string, candidates: readonly string[]): string {
  const close = closestName(wanted, candidates);
  return close === undefined ? '' : ` Did you mean '${close}'?`;
}

export async function offeringNamed(client: ControllerApi, name: string): Promise<Resource> {
  const found = (await client.list(`/v3/service_offerings?names=${encodeURIComponent(name)}`)).find((o) => o.name === name);
  if (found) return found;
  const all = await client.list('/v3/service_offerings');
  throw new ApiError(`Service offering '${name}' not found.${guess(name, all.map((o) => String(o.name)))}\nTIP: Use 'osbkit marketplace' to see the service offerings.`);
}

/** The plans of an offering the user can see (disabled plans are the admin's). */
export async function plansOf(client: ControllerApi, offering: Resource): Promise<Resource[]> {
  return client.list(`/v3/service_plans?service_offering_guids=${encodeURIComponent(offering.guid)}`);
}

export async function planNamed(client: ControllerApi, offering: Resource, planName: string): Promise<Resource> {
  const plans = await plansOf(client, offering);
  const found = plans.find((p) => p.name === planName);
  if (found) return found;
  const offeringName = String(offering.name);
  throw new ApiError(`The plan '${planName}' could not be found for service offering '${offeringName}'.${guess(planName, plans.map((p) => String(p.name)))}\nTIP: Use 'osbkit marketplace -e ${offeringName}' to see its plans.`);
}

/** A service instance of the targeted space. */
export function instanceNamed(client: ControllerApi, name: string, spaceGuid: string): Promise<Resource> {
  return client.findByName('service_instances', name, 'Service instance', 'See "osbkit services".', spaceGuid);
}
