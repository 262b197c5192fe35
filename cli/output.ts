/** How the CLI talks to people and to scripts: tables and progress for people, --json for scripts. */
export interface OutputOptions {
  json?: boolean;
}

export function printTable(headers: string[], rows: Array<Array<string | number | undefined | null>>): void {
  const cells = rows.map((row) => row.map((value) => (value === undefined || value === null ? '' : String(value))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i]!)).join('   ').trimEnd();
  console.log(line(headers));
  for (const row of cells) console.log(line(row));
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Progress goes to stderr so stdout stays clean for --json and pipes. */
export function progress(text: string): void {
  if (process.stderr.isTTY || process.env.OSBKIT_PROGRESS === '1') process.stderr.write(text);
}

export function step(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function ok(message: string, options: OutputOptions): void {
  if (!options.json) console.log(message);
}
