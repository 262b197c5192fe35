import type { CheckContext } from './context';
import type { PlanUnderTest } from './plans';

/** What every check can see besides its context: the catalog and the plans of the run. */
export interface SuiteEnv {
  catalog: unknown;
  /** The plans under test. */
  plans: PlanUnderTest[];
  /** Every plan of the catalog, also those not under test (for plan changes). */
  allPlans: PlanUnderTest[];
}

interface CheckBase {
  id: string;
  title: string;
  level: 'must' | 'should';
  /** The spec section the rule comes from. */
  spec: string;
}

/**
 * One rule of the spec, tested black-box over HTTP, once per plan under test ('plan') or once
 * per broker with the first plan under test ('broker'). `must` checks fail the run; `should`
 * checks are warnings unless the run is strict.
 */
export interface PlanCheck extends CheckBase {
  scope: 'plan' | 'broker';
  /** Why the check does not apply to this plan, or undefined when it does. */
  skip?(plan: PlanUnderTest, env: SuiteEnv): string | undefined;
  run(ctx: CheckContext, plan: PlanUnderTest, env: SuiteEnv): Promise<void>;
}

/** A rule about the broker as a whole that needs no plan: it runs even when the catalog offers none. */
export interface BrokerCheck extends CheckBase {
  scope: 'catalog';
  run(ctx: CheckContext, env: SuiteEnv): Promise<void>;
}

export type CheckDefinition = PlanCheck | BrokerCheck;

export const isAsync = (plan: PlanUnderTest): string | undefined =>
  plan.options.async === true ? undefined : 'the plan is not declared asynchronous (async: true)';

export const isBindable = (plan: PlanUnderTest): string | undefined => (plan.bindable ? undefined : 'the plan is not bindable');

/** Waits, for checks that must give a broker a moment (never for an assertion on timing). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
