import type { Pool } from 'mysql2/promise';
import { quoteIdentifier } from '../../brokers/mysql/naming';
import { median } from './report';

/**
 * What one statement of each kind the broker adds to the floor costs on this server, timed
 * one at a time on the bench's own pool: a committed single-row write (an InnoDB commit,
 * flushed to the log as the registry's and the store's writes are), a read of one row by its
 * key, and a read of the process list. Medians of `count` statements each, in ms.
 */
export interface StatementCosts {
  committedWriteMs: number;
  keyReadMs: number;
  processListReadMs: number;
}

export async function probeStatementCosts(pool: Pool, stateDatabase: string, count = 200): Promise<StatementCosts> {
  const table = `${quoteIdentifier(stateDatabase)}.${quoteIdentifier('bench_probe')}`;
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id INT NOT NULL PRIMARY KEY, doc TEXT NOT NULL) ENGINE=InnoDB`);
  const time = async (statement: (n: number) => Promise<unknown>): Promise<number> => {
    const samples: number[] = [];
    for (let n = 0; n < count; n++) {
      const began = performance.now();
      await statement(n);
      samples.push(performance.now() - began);
    }
    return median(samples);
  };
  const committedWriteMs = await time((n) => pool.execute(`INSERT INTO ${table} (id, doc) VALUES (?, ?)`, [n, `{"n":${n}}`]));
  const keyReadMs = await time((n) => pool.execute(`SELECT doc FROM ${table} WHERE id = ?`, [n]));
  const processListReadMs = await time(() => pool.query('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()', ['nobody']));
  await pool.query(`DROP TABLE ${table}`);
  return { committedWriteMs, keyReadMs, processListReadMs };
}
