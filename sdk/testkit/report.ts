import type { CheckResult, ConformanceReport, Outcome } from './runner';

/** A report for people: what failed and why first, then warnings, then a one-line summary. */

const LABEL: Record<Outcome, string> = { passed: 'passed', failed: 'FAILED', warned: 'WARNING', skipped: 'skipped' };

function name(result: CheckResult): string {
  return `${result.id}${result.plan ? ` [${result.plan}]` : ''}`;
}

export function summaryLine(report: Pick<ConformanceReport, 'summary' | 'durationMs'>): string {
  const { passed, failed, warned, skipped } = report.summary;
  return `${passed} passed, ${failed} failed, ${warned} warnings, ${skipped} skipped (${(report.durationMs / 1000).toFixed(1)} s)`;
}

export function formatReport(report: ConformanceReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(`OSB ${report.apiVersion} conformance of ${report.broker}`);
  lines.push(`plans: ${report.plans.join(', ') || 'none'}`);
  for (const outcome of ['failed', 'warned'] as const) {
    const matching = report.results.filter((result) => result.outcome === outcome);
    if (matching.length === 0) continue;
    lines.push('');
    for (const result of matching) {
      lines.push(`${LABEL[outcome].padEnd(8)}${name(result)}: ${result.title} (${result.level.toUpperCase()}, spec: ${result.spec})`);
      for (const message of result.messages) lines.push(`        ${message}`);
    }
  }
  const skipped = report.results.filter((result) => result.outcome === 'skipped');
  if (skipped.length > 0) {
    lines.push('');
    if (options.verbose) for (const result of skipped) lines.push(`skipped ${name(result)}: ${result.messages.join('; ')}`);
    else lines.push(`${skipped.length} checks did not apply (--verbose lists them and why)`);
  }
  if (options.verbose) {
    lines.push('');
    for (const result of report.results.filter((r) => r.outcome === 'passed')) lines.push(`passed  ${name(result)}`);
  }
  lines.push('');
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

/** The line shown while a check runs. */
export function progressLine(index: number, total: number, id: string, plan: string | undefined): string {
  return `[${index + 1}/${total}] ${id}${plan ? ` [${plan}]` : ''}`;
}
