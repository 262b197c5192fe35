import type { ConformanceOptions } from './options';
import { plansOf, selectPlans } from './plans';
import { resolveOptions } from './options';
import { CHECKS, firstPlan, openSession, runCheck, type BrokerUnderTest, type CheckResult, type Session } from './runner';

/**
 * The suite as tests of the author's own test runner: one test per check (per check and plan
 * when the plans are known before the run, as they are for an osbkit app), in jest, in node's
 * test runner, or in anything with describe/it and before/after hooks.
 */

type TestBody = () => Promise<void>;

/** The parts of a test runner the suite needs; jest's globals and `node:test`'s exports both fit. */
export interface TestRunnerApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, ...rest: unknown[]): unknown;
  /** jest, mocha */
  beforeAll?(body: TestBody, timeout?: number): unknown;
  afterAll?(body: TestBody, timeout?: number): unknown;
  /** node:test */
  before?(body: TestBody, options?: { timeout?: number }): unknown;
  after?(body: TestBody, options?: { timeout?: number }): unknown;
}

export interface DescribeConformanceOptions extends ConformanceOptions {
  /** The runner's functions; default: the globals jest (or mocha) defines. */
  runner?: TestRunnerApi;
  /** Per test (default 180 s): a check may wait for several asynchronous operations. */
  testTimeoutMs?: number;
  /** The name of the describe block (default "OSB conformance"). */
  name?: string;
}

/** Whether the scope holds describe and it, as jest's and mocha's globals do; the hooks are looked up when used. */
function hasTestGlobals(scope: object): scope is TestRunnerApi {
  return typeof Reflect.get(scope, 'describe') === 'function' && typeof Reflect.get(scope, 'it') === 'function';
}

function globalRunner(): TestRunnerApi {
  const scope: object = globalThis;
  if (!hasTestGlobals(scope)) {
    throw new Error('describeConformance: no describe/it globals; pass the runner, e.g. { runner: { describe, it, before, after } } from node:test');
  }
  return scope;
}

/** jest's it(name, fn, timeout) or node:test's it(name, { timeout }, fn): told apart by jest's it.each. */
function registerTest(runner: TestRunnerApi, name: string, body: TestBody, timeoutMs: number): void {
  if (typeof Reflect.get(runner.it, 'each') === 'function') runner.it(name, body, timeoutMs);
  else runner.it(name, { timeout: timeoutMs }, body);
}

function hook(runner: TestRunnerApi, which: 'before' | 'after', body: TestBody, timeoutMs: number): void {
  const jestStyle = which === 'before' ? runner.beforeAll : runner.afterAll;
  const nodeStyle = which === 'before' ? runner.before : runner.after;
  if (jestStyle) jestStyle(body, timeoutMs);
  else if (nodeStyle) nodeStyle(body, { timeout: timeoutMs });
  else throw new Error(`describeConformance: the runner has no ${which}All/${which} hook`);
}

/** The plans, when the broker is an osbkit app whose catalog can be read before the run. */
function knownPlans(broker: BrokerUnderTest, options: ConformanceOptions): string[] | undefined {
  if (typeof broker === 'string' || broker instanceof URL) return undefined;
  const catalog = (broker as { catalog?: { document?: unknown } }).catalog?.document;
  if (catalog === undefined) return undefined;
  const resolved = resolveOptions(options);
  return selectPlans(plansOf(catalog, resolved), resolved).selected.map((plan) => plan.label);
}

function judge(results: CheckResult[]): void {
  const failed = results.filter((result) => result.outcome === 'failed');
  for (const result of results.filter((r) => r.outcome === 'warned')) {
    console.warn(`osbkit conformance warning: ${result.id}${result.plan ? ` [${result.plan}]` : ''}: ${result.messages.join(' | ')}`);
  }
  if (failed.length > 0) {
    throw new Error(failed.map((result) => `${result.id}${result.plan ? ` [${result.plan}]` : ''}: ${result.messages.join('\n  ')}`).join('\n'));
  }
}

/**
 * Registers the conformance suite against `broker`: a running broker's URL, or an osbkit app
 * (from createBroker), which the suite starts on a free port of 127.0.0.1 and closes at the end.
 */
export function describeConformance(broker: BrokerUnderTest, options: DescribeConformanceOptions = {}): void {
  const runner = options.runner ?? globalRunner();
  const timeoutMs = options.testTimeoutMs ?? 180_000;
  const plans = knownPlans(broker, options);
  const wanted = CHECKS.filter((check) => !options.checks || options.checks.some((id) => check.id === id || (id.endsWith('.') && check.id.startsWith(id))));
  runner.describe(options.name ?? 'OSB conformance', () => {
    let session: Session | undefined;
    hook(runner, 'before', async () => {
      session = await openSession(broker, options);
    }, timeoutMs);
    hook(runner, 'after', async () => {
      await session?.stop();
    }, timeoutMs);
    const live = (): Session => {
      if (!session) throw new Error('the broker under test did not start; see the error of the before hook');
      return session;
    };
    for (const check of wanted) {
      const labels = check.scope === 'plan' && plans ? plans : [undefined];
      for (const label of labels) {
        registerTest(runner, `${check.id}${label ? ` [${label}]` : ''}: ${check.title}`, async () => {
          const current = live();
          const targets = check.scope !== 'plan'
            ? [firstPlan(current)]
            : label === undefined ? current.env.plans : current.env.plans.filter((plan) => plan.label === label);
          const results: CheckResult[] = [];
          for (const plan of targets) results.push(await runCheck(current, check, plan));
          judge(results);
        }, timeoutMs);
      }
    }
  });
}
