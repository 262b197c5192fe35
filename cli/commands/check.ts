import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  formatReport, parseConformanceConfig, progressLine, runConformance, type CheckResult, type ConformanceOptions, type PlanOptions,
} from '../../sdk/testkit';

/**
 * `osbkit check URL`: the conformance suite of osbkit/testkit against any running broker,
 * built on osbkit or not. A report for people (or JSON for CI); exit 1 when a MUST-level
 * check fails (or, with --strict, a SHOULD-level one).
 */

interface CheckFlags {
  username?: string;
  password?: string;
  plan?: string[];
  async?: boolean;
  sync?: boolean;
  parameters?: string;
  bindParameters?: string;
  updateParameters?: string;
  config?: string;
  check?: string[];
  strict?: boolean;
  platform?: string;
  idPrefix?: string;
  verbose?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function jsonObject(text: string, flag: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${flag} must be a JSON object; ${JSON.stringify(text.slice(0, 60))} is not JSON.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${flag} must be a JSON object.`);
  return parsed as Record<string, unknown>;
}

/** The options the flags describe, on top of the --config file's. */
export function checkOptions(flags: CheckFlags): ConformanceOptions {
  if (flags.async && flags.sync) throw new Error('--async and --sync contradict each other; give one.');
  const base = flags.config ? parseConformanceConfig(jsonObject(readFileSync(flags.config, 'utf8'), `--config ${flags.config}`)) : {};
  const plan: Record<string, unknown> = {};
  if (flags.parameters !== undefined) plan.parameters = jsonObject(flags.parameters, '--parameters');
  if (flags.bindParameters !== undefined) plan.bindParameters = jsonObject(flags.bindParameters, '--bind-parameters');
  if (flags.updateParameters !== undefined) plan.updateParameters = jsonObject(flags.updateParameters, '--update-parameters');
  if (flags.async) plan.async = true;
  if (flags.sync) plan.async = false;
  // The flags go through the same validation as a config file.
  const fromFlags = parseConformanceConfig({
    ...(Object.keys(plan).length > 0 ? { defaultPlan: plan } : {}),
    ...(flags.username !== undefined ? { username: flags.username } : {}),
    ...(flags.password !== undefined ? { password: flags.password } : {}),
    ...(flags.plan ? { only: flags.plan } : {}),
    ...(flags.check ? { checks: flags.check } : {}),
    ...(flags.strict ? { strict: true } : {}),
    ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
    ...(flags.idPrefix !== undefined ? { idPrefix: flags.idPrefix } : {}),
  });
  const defaultPlan: PlanOptions = { ...base.defaultPlan, ...fromFlags.defaultPlan };
  // Flags also apply to plans the config file names, where they did not set the same option.
  const plans = Object.fromEntries(Object.entries(base.plans ?? {}).map(([name, options]) => [name, { ...fromFlags.defaultPlan, ...options }]));
  return { ...base, ...fromFlags, defaultPlan, plans };
}

function symbol(result: CheckResult): string {
  return { passed: 'ok  ', failed: 'FAIL', warned: 'warn', skipped: 'skip' }[result.outcome];
}

export function registerCheckCommand(program: Command, globals: () => { json?: boolean }): void {
  program
    .command('check')
    .description('Run the OSB conformance suite (osbkit/testkit) against a running broker, built on osbkit or not')
    .argument('<url>', 'the broker\'s base URL, e.g. http://127.0.0.1:8080')
    .option('--username <user>', 'basic-auth user (or OSBKIT_BROKER_USERNAME)')
    .option('--password <pass>', 'basic-auth password (or OSBKIT_BROKER_PASSWORD)')
    .option('--plan <plan>', 'test only this plan: its id, name or offering/plan (repeatable; default: every plan)', collect)
    .option('--async', 'the plans under test answer every operation asynchronously (202, then last_operation)')
    .option('--sync', 'the plans under test answer every operation at once')
    .option('--parameters <json>', 'valid provision parameters for the plans under test')
    .option('--bind-parameters <json>', 'valid bind parameters')
    .option('--update-parameters <json>', 'valid update parameters')
    .option('--config <file>', 'a JSON file of options per plan: {"plans": {"PLAN": {"parameters": {...}, "async": true}}}')
    .option('--check <id>', 'run only this check, or those starting with a prefix ending in "." (repeatable)', collect)
    .option('--strict', 'SHOULD-level findings fail the run too')
    .option('--platform <name>', 'the platform the requests come from: cloudfoundry or kubernetes', 'cloudfoundry')
    .option('--id-prefix <prefix>', 'what every instance and binding id the run makes starts with, to find leftovers by', 'osbkit-check')
    .option('--verbose', 'list passed and skipped checks too')
    .addHelpText('after', `
Exit status: 0 when every check passes, 1 when any fails. --json prints the report as JSON.
  osbkit check http://127.0.0.1:8080 --username broker --password s3cret
  osbkit check http://127.0.0.1:8080 --username broker --password s3cret --plan mysql/small --async`)
    .action(async (url: string, flags: CheckFlags) => {
      const json = globals().json === true;
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new Error(`${JSON.stringify(url)} is not a URL; give the broker's base URL, e.g. http://127.0.0.1:8080.`);
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`${url} is not an http(s) URL.`);
      const options = checkOptions({
        ...flags,
        username: flags.username ?? process.env.OSBKIT_BROKER_USERNAME,
        password: flags.password ?? process.env.OSBKIT_BROKER_PASSWORD,
      });
      const tty = process.stderr.isTTY === true;
      const report = await runConformance(target.toString(), options, {
        onStart(check, plan, index, total) {
          if (tty) process.stderr.write(`\r\u001b[2K${progressLine(index, total, check.id, check.scope === 'plan' ? plan?.label : undefined)}`);
        },
        onResult(result, index, total) {
          if (!tty) process.stderr.write(`${progressLine(index, total, result.id, result.plan)} ${symbol(result)}\n`);
        },
      });
      if (tty) process.stderr.write('\r\u001b[2K');
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { verbose: flags.verbose === true }));
      if (report.summary.failed > 0) process.exitCode = 1;
    });
}
