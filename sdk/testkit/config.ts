import { isPlainObject } from '../json';
import type { JsonObject } from '../json';
import type { ConformanceOptions, PlanOptions } from './options';

/**
 * ConformanceOptions from JSON (a config file for `osbkit check --config`), checked field by
 * field: a wrong key or type is named, never ignored, since a typo would silently test
 * something else than meant.
 */

export class ConformanceConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`the conformance options are invalid: ${problems.join('; ')}`);
    this.name = 'ConformanceConfigError';
  }
}

const PLAN_KEYS = ['parameters', 'updateParameters', 'bindParameters', 'bindResource', 'async', 'skip'];
const TOP_KEYS = ['username', 'password', 'plans', 'defaultPlan', 'only', 'checks', 'strict', 'apiVersion', 'requestTimeoutMs', 'operationTimeoutMs', 'maxPollIntervalMs', 'platform', 'idPrefix'];

function planOptions(value: unknown, at: string, problems: string[]): PlanOptions {
  if (!isPlainObject(value)) {
    problems.push(`${at} must be an object`);
    return {};
  }
  const plan: PlanOptions = {};
  for (const [key, field] of Object.entries(value)) {
    if (!PLAN_KEYS.includes(key)) problems.push(`${at}.${key} is not an option (${PLAN_KEYS.join(', ')})`);
    else if (key === 'async') {
      if (typeof field === 'boolean') plan.async = field;
      else problems.push(`${at}.async must be true or false`);
    } else if (key === 'skip') {
      if (typeof field === 'string' && field !== '') plan.skip = field;
      else problems.push(`${at}.skip must be the reason, a non-empty string`);
    } else if (isPlainObject(field)) {
      // Parsed from JSON text, so every value inside is JSON.
      plan[key as 'parameters' | 'updateParameters' | 'bindParameters' | 'bindResource'] = field as JsonObject;
    } else problems.push(`${at}.${key} must be a JSON object`);
  }
  return plan;
}

export function parseConformanceConfig(value: unknown): ConformanceOptions {
  const problems: string[] = [];
  if (!isPlainObject(value)) throw new ConformanceConfigError(['the options must be a JSON object']);
  const options: ConformanceOptions = {};
  for (const [key, field] of Object.entries(value)) {
    if (!TOP_KEYS.includes(key)) {
      problems.push(`${key} is not an option (${TOP_KEYS.join(', ')})`);
      continue;
    }
    switch (key) {
      case 'plans':
        if (!isPlainObject(field)) problems.push('plans must be an object keyed by plan id, name or offering/plan');
        else options.plans = Object.fromEntries(Object.entries(field).map(([name, plan]) => [name, planOptions(plan, `plans.${name}`, problems)]));
        break;
      case 'defaultPlan':
        options.defaultPlan = planOptions(field, 'defaultPlan', problems);
        break;
      case 'only':
      case 'checks':
        if (Array.isArray(field) && field.every((item) => typeof item === 'string' && item !== '')) options[key] = field as string[];
        else problems.push(`${key} must be a list of non-empty strings`);
        break;
      case 'strict':
        if (typeof field === 'boolean') options.strict = field;
        else problems.push('strict must be true or false');
        break;
      case 'requestTimeoutMs':
      case 'operationTimeoutMs':
      case 'maxPollIntervalMs':
        if (typeof field === 'number' && Number.isFinite(field) && field > 0) options[key] = field;
        else problems.push(`${key} must be a positive number of milliseconds`);
        break;
      default:
        if (typeof field === 'string' && field !== '') options[key as 'username' | 'password' | 'apiVersion' | 'platform' | 'idPrefix'] = field;
        else problems.push(`${key} must be a non-empty string`);
    }
  }
  if (options.apiVersion !== undefined && !/^2\.\d+$/.test(options.apiVersion)) problems.push(`apiVersion must look like 2.17, not ${JSON.stringify(options.apiVersion)}`);
  if (options.idPrefix !== undefined && !/^[A-Za-z0-9._~-]{1,40}$/.test(options.idPrefix)) problems.push('idPrefix must be 1 to 40 characters from A-Z a-z 0-9 - . _ ~');
  if (problems.length > 0) throw new ConformanceConfigError(problems);
  return options;
}
