import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { CheckDefinition, SuiteEnv } from './check';
import { bindChecks } from './checks/bind';
import { catalogChecks } from './checks/catalog-and-headers';
import { deprovisionChecks } from './checks/deprovision';
import { fetchChecks } from './checks/fetch';
import { hostileChecks } from './checks/hostile';
import { provisionChecks } from './checks/provision';
import { updateChecks } from './checks/update';
import { CheckContext, CheckNotApplicable, osbPaths } from './context';
import { resolveOptions, type ConformanceOptions, type ResolvedOptions } from './options';
import { plansOf, selectPlans, type PlanUnderTest } from './plans';

/** Every check, in the order a run takes them. */
export const CHECKS: readonly CheckDefinition[] = [
  ...catalogChecks,
  ...provisionChecks,
  ...fetchChecks,
  ...updateChecks,
  ...bindChecks,
  ...deprovisionChecks,
  ...hostileChecks,
];

/** A running broker's base URL, or an osbkit app (anything with `listen`) the run starts and stops. */
export type BrokerUnderTest = string | URL | { listen(port: number, host?: string): Promise<{ url: string; server: Server }> };

export type Outcome = 'passed' | 'failed' | 'warned' | 'skipped';

export interface CheckResult {
  id: string;
  title: string;
  level: 'must' | 'should';
  spec: string;
  /** `offering/plan`, for checks that run per plan. */
  plan?: string;
  outcome: Outcome;
  /** Why it failed, warned or was skipped. */
  messages: string[];
  durationMs: number;
}

export interface ConformanceReport {
  broker: string;
  apiVersion: string;
  plans: string[];
  results: CheckResult[];
  summary: Record<Outcome, number>;
  durationMs: number;
}

/** A broker under test, reachable at `url` until `stop`. */
export interface Session {
  url: URL;
  options: ResolvedOptions;
  env: SuiteEnv;
  runId: string;
  stop(): Promise<void>;
}

/** Starts the broker if it is an app, reads its catalog and works out the plans under test. */
export async function openSession(broker: BrokerUnderTest, options: ConformanceOptions): Promise<Session> {
  const resolved = resolveOptions(options);
  let server: Server | undefined;
  let url: URL;
  if (typeof broker === 'string' || broker instanceof URL) url = new URL(String(broker));
  else {
    const listening = await broker.listen(0, '127.0.0.1');
    server = listening.server;
    url = new URL(listening.url);
  }
  const stop = async (): Promise<void> => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  };
  const runId = randomBytes(4).toString('hex');
  try {
    const ctx = new CheckContext(url, resolved, runId);
    const answer = await ctx.send({ method: 'GET', path: osbPaths.catalog });
    const catalog = answer.status === 200 ? answer.json : undefined;
    const allPlans = plansOf(catalog, resolved);
    const { selected, unknown } = selectPlans(allPlans, resolved);
    if (unknown.length > 0) throw new Error(`the catalog has no plan ${unknown.map((name) => JSON.stringify(name)).join(', ')}; it has ${allPlans.map((plan) => plan.label).join(', ') || 'none'}`);
    return { url, options: resolved, env: { catalog, plans: selected, allPlans }, runId, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The checks the options select, each with the plans it runs for (one entry per broker-level check). */
export function plannedRuns(session: Session): Array<{ check: CheckDefinition; plan: PlanUnderTest | undefined }> {
  const wanted = (check: CheckDefinition): boolean => !session.options.checks || session.options.checks.some((id) => check.id === id || (id.endsWith('.') && check.id.startsWith(id)));
  const runs: Array<{ check: CheckDefinition; plan: PlanUnderTest | undefined }> = [];
  for (const check of CHECKS.filter(wanted)) {
    if (check.scope === 'plan') for (const plan of session.env.plans) runs.push({ check, plan });
    else runs.push({ check, plan: check.scope === 'broker' ? firstPlan(session) : undefined });
  }
  return runs;
}

/** The plan broker-level checks use: the first plan under test that is not skipped. */
export function firstPlan(session: Session): PlanUnderTest | undefined {
  return session.env.plans.find((plan) => plan.options.skip === undefined);
}

/** Runs one check for one plan and judges it; it never throws. */
export async function runCheck(session: Session, check: CheckDefinition, plan: PlanUnderTest | undefined): Promise<CheckResult> {
  const began = Date.now();
  const result = (outcome: Outcome, messages: string[]): CheckResult => ({
    id: check.id,
    title: check.title,
    level: check.level,
    spec: check.spec,
    ...(check.scope === 'plan' && plan ? { plan: plan.label } : {}),
    outcome,
    messages,
    durationMs: Date.now() - began,
  });
  if (check.scope !== 'catalog') {
    if (!plan) return result('skipped', [session.env.plans.length === 0 ? 'the catalog offers no plan to test with' : 'every plan under test is skipped']);
    if (plan.options.skip !== undefined) return result('skipped', [`plan ${plan.label} is skipped: ${plan.options.skip}`]);
    const reason = check.skip?.(plan, session.env);
    if (reason !== undefined) return result('skipped', [reason]);
  }

  const ctx = new CheckContext(session.url, session.options, session.runId);
  let failure: string | undefined;
  let notApplicable: string | undefined;
  try {
    if (check.scope === 'catalog') await check.run(ctx, session.env);
    else await check.run(ctx, plan!, session.env);
  } catch (error) {
    if (error instanceof CheckNotApplicable) notApplicable = error.message;
    else failure = error instanceof Error ? error.message : String(error);
  }
  let leftBehind: string[] = [];
  try {
    leftBehind = await ctx.cleanup();
  } catch (error) {
    leftBehind = [error instanceof Error ? error.message : String(error)];
  }
  const cleanupNotes = leftBehind.map((item) => `left behind after the check: ${item}`);

  const mustFailures = [...(failure !== undefined && check.level === 'must' ? [failure] : []), ...ctx.violations];
  const shouldFailures = [...(failure !== undefined && check.level === 'should' ? [failure] : []), ...ctx.warnings];
  if (mustFailures.length > 0) return result('failed', [...mustFailures, ...shouldFailures, ...cleanupNotes]);
  if (shouldFailures.length > 0) return result(session.options.strict ? 'failed' : 'warned', [...shouldFailures, ...cleanupNotes]);
  if (notApplicable !== undefined) return result('skipped', [notApplicable, ...cleanupNotes]);
  return result(cleanupNotes.length > 0 ? 'warned' : 'passed', cleanupNotes);
}

export interface RunHooks {
  /** Called before each check runs, and after it with its result. */
  onStart?(check: CheckDefinition, plan: PlanUnderTest | undefined, index: number, total: number): void;
  onResult?(result: CheckResult, index: number, total: number): void;
}

/** The whole suite against one broker, as `osbkit check` runs it. */
export async function runConformance(broker: BrokerUnderTest, options: ConformanceOptions = {}, hooks: RunHooks = {}): Promise<ConformanceReport> {
  const began = Date.now();
  const session = await openSession(broker, options);
  try {
    const runs = plannedRuns(session);
    const results: CheckResult[] = [];
    for (const [index, { check, plan }] of runs.entries()) {
      hooks.onStart?.(check, plan, index, runs.length);
      const result = await runCheck(session, check, plan);
      results.push(result);
      hooks.onResult?.(result, index, runs.length);
    }
    const summary: Record<Outcome, number> = { passed: 0, failed: 0, warned: 0, skipped: 0 };
    for (const result of results) summary[result.outcome] += 1;
    return {
      broker: session.url.toString(),
      apiVersion: session.options.apiVersion,
      plans: session.env.plans.map((plan) => plan.label),
      results,
      summary,
      durationMs: Date.now() - began,
    };
  } finally {
    await session.stop();
  }
}
