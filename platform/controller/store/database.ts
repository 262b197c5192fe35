import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';

export const DATABASE_FILE = 'controller.db';

const SCHEMA_VERSION = MIGRATIONS.length;

/** Cloud Controller shows second-resolution UTC timestamps. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `<dataDir>/controller.db`, the one SQLite handle every aggregate store of a controller
 * shares. Every call is synchronous (better-sqlite3), so a read-modify-write with no await in
 * between cannot interleave with another request; `transaction` makes one span stores.
 */
export class ControllerDatabase {
  readonly handle: Database.Database;

  constructor(dataDir: string) {
    this.handle = new Database(join(dataDir, DATABASE_FILE));
    this.handle.pragma('journal_mode = WAL');
    this.handle.pragma('foreign_keys = ON');
    this.handle.pragma('busy_timeout = 5000');
    this.migrate();
  }

  transaction<T>(work: () => T): T {
    return this.handle.transaction(work)();
  }

  close(): void {
    if (this.handle.open) this.handle.close();
  }

  get isOpen(): boolean {
    return this.handle.open;
  }

  private migrate(): void {
    const version = this.handle.pragma('user_version', { simple: true }) as number;
    if (version === SCHEMA_VERSION) return;
    if (version > SCHEMA_VERSION) throw new Error(`controller.db has schema version ${version}; this controller knows up to ${SCHEMA_VERSION}`);
    this.transaction(() => {
      for (const step of MIGRATIONS.slice(version)) this.handle.exec(step);
      this.handle.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
  }
}
