export { describeConformance, type DescribeConformanceOptions, type TestRunnerApi } from './register';
export { runConformance, CHECKS, type BrokerUnderTest, type CheckResult, type ConformanceReport, type Outcome, type RunHooks } from './runner';
export { formatReport, progressLine, summaryLine } from './report';
export type { ConformanceOptions, PlanOptions } from './options';
export type { CheckDefinition } from './check';
export { parseConformanceConfig, ConformanceConfigError } from './config';
