import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Small statistics and the docs/benchmarks.md section writer for the MySQL bench. */

/** Nearest-rank percentile of already collected samples (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '–';
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

const HEADING = '## MySQL broker';

/**
 * Puts `body` under "## MySQL broker" in the file: replaces that section if it is there
 * (up to the next "## " heading), appends it otherwise, and leaves every other section as it is.
 */
export function writeSection(path: string, body: string): void {
  const section = `${HEADING}\n\n${body.trim()}\n`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const lines = current.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADING);
  let next: string;
  if (start === -1) {
    next = `${current.replace(/\n*$/, '')}\n\n${section}`;
  } else {
    let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
    if (end === -1) end = lines.length;
    const before = lines.slice(0, start).join('\n').replace(/\n*$/, '');
    const after = lines.slice(end).join('\n').replace(/^\n*/, '');
    next = `${before}\n\n${section}${after ? `\n${after}` : ''}`;
  }
  writeFileSync(path, next.endsWith('\n') ? next : `${next}\n`);
}
