/**
 * `osbkit/testkit`: the OSB conformance suite, black-box over HTTP, for any broker. Register
 * it in jest or node's test runner with describeConformance, or run it from a script with
 * runConformance (what `osbkit check` does).
 */
export {
  ConformanceConfigError,
  describeConformance,
  parseConformanceConfig,
  runConformance,
  formatReport,
  summaryLine,
  type BrokerUnderTest,
  type CheckResult,
  type ConformanceOptions,
  type ConformanceReport,
  type DescribeConformanceOptions,
  type Outcome,
  type PlanOptions,
  type RunHooks,
  type TestRunnerApi,
} from '../testkit';
