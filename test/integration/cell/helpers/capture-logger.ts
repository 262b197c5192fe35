import type { CellLogger } from '../../../../platform/cell/logger';

export interface CapturedEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: object;
  message: string;
}

/** A CellLogger that keeps every entry, so tests can assert on warnings. */
export class CaptureLogger implements CellLogger {
  readonly entries: CapturedEntry[] = [];

  debug(fields: object, message = ''): void {
    this.entries.push({ level: 'debug', fields, message });
  }

  info(fields: object, message = ''): void {
    this.entries.push({ level: 'info', fields, message });
  }

  warn(fields: object, message = ''): void {
    this.entries.push({ level: 'warn', fields, message });
  }

  error(fields: object, message = ''): void {
    this.entries.push({ level: 'error', fields, message });
  }

  messages(level: CapturedEntry['level']): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  }
}
