import type { JsonObject } from '../json';

/** How a plan under test behaves and what it needs, as the broker's author knows it. */
export interface PlanOptions {
  /** Valid parameters for a provision (default `{}`). */
  parameters?: JsonObject;
  /** Valid parameters for an update; without them the update checks change no parameters. */
  updateParameters?: JsonObject;
  /** Valid parameters for a bind (default `{}`). */
  bindParameters?: JsonObject;
  /** The `bind_resource` a bind sends (default `{ app_guid: <a new id> }`). */
  bindResource?: JsonObject;
  /**
   * true: every operation answers 202 with `accepts_incomplete=true` and 422 AsyncRequired
   * without it. false: every operation answers at once. Unset: the suite sends
   * `accepts_incomplete=true` and follows whichever answer comes.
   */
  async?: boolean;
  /** Leave the plan out, saying why. */
  skip?: string;
}

export interface ConformanceOptions {
  /** Basic credentials the broker expects; without them the authentication checks are skipped. */
  username?: string;
  password?: string;
  /** Options per plan, keyed by plan id, plan name, or `offering/plan` name. */
  plans?: Record<string, PlanOptions>;
  /** For plans `plans` does not name. */
  defaultPlan?: PlanOptions;
  /** Test only these plans (ids, names or `offering/plan`); default: every plan of the catalog. */
  only?: string[];
  /** Check ids (or prefixes such as `bind.`) to run; default: all. */
  checks?: string[];
  /** SHOULD-level checks fail like MUST-level ones (default false: they are reported as warnings). */
  strict?: boolean;
  /** The `X-Broker-API-Version` sent (default 2.17). */
  apiVersion?: string;
  /** Per request (default 30 s). */
  requestTimeoutMs?: number;
  /** How long an asynchronous operation may take (default: the plan's maximum_polling_duration, else 120 s). */
  operationTimeoutMs?: number;
  /** The longest wait between two polls of last_operation, whatever Retry-After says (default 1 s). */
  maxPollIntervalMs?: number;
  /** The context `platform` sent with requests (default `cloudfoundry`). */
  platform?: string;
  /** What every id the run makes starts with (default `osbkit-check`), to find leftovers by; A-Z a-z 0-9 - . _ ~ only. */
  idPrefix?: string;
}

/** The options with their defaults filled in. */
export interface ResolvedOptions {
  username?: string;
  password?: string;
  plans: Record<string, PlanOptions>;
  defaultPlan: PlanOptions;
  only?: string[];
  checks?: string[];
  strict: boolean;
  apiVersion: string;
  requestTimeoutMs: number;
  operationTimeoutMs?: number;
  maxPollIntervalMs: number;
  platform: string;
  idPrefix: string;
}

export function resolveOptions(options: ConformanceOptions): ResolvedOptions {
  return {
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    plans: options.plans ?? {},
    defaultPlan: options.defaultPlan ?? {},
    ...(options.only ? { only: options.only } : {}),
    ...(options.checks ? { checks: options.checks } : {}),
    strict: options.strict === true,
    apiVersion: options.apiVersion ?? '2.17',
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    ...(options.operationTimeoutMs !== undefined ? { operationTimeoutMs: options.operationTimeoutMs } : {}),
    maxPollIntervalMs: options.maxPollIntervalMs ?? 1_000,
    platform: options.platform ?? 'cloudfoundry',
    idPrefix: options.idPrefix ?? 'osbkit-check',
  };
}
