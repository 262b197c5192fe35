import type { LastOperation } from '../records';

/** One row as better-sqlite3 returns it; the column types are the schema's (migrations.ts). */
export type Row = Record<string, unknown>;

export function text(row: Row, column: string): string {
  return row[column] as string;
}

export function optionalText(row: Row, column: string): string | null {
  const value = row[column];
  return typeof value === 'string' ? value : null;
}

/** Instances and bindings keep their last_operation in the same five `op_` columns. */
export function lastOperationOf(row: Row): LastOperation {
  return {
    type: text(row, 'op_type') as LastOperation['type'],
    state: text(row, 'op_state') as LastOperation['state'],
    description: text(row, 'op_description'),
    createdAt: text(row, 'op_created_at'),
    updatedAt: text(row, 'op_updated_at'),
  };
}
