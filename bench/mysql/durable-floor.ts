import type { Pool, ResultSetHeader } from 'mysql2/promise';
import { quoteIdentifier } from '../../brokers/mysql/naming';
import type { CycleStep, RawSqlCycle } from './raw-sql';

/**
 * The floor for a broker whose operations survive a crash: the raw SQL of each step, with the
 * two writes such a broker cannot skip around it, sent straight with mysql2 and no HTTP. The
 * claim is committed before the tenant SQL runs (so a crash leaves a record the platform's
 * orphan-mitigating delete can find), the outcome after it and before the answer. The rows
 * have the shape of the SDK's MySQL store (a JSON document, a version, compare-and-set).
 * Nothing else is read or written: no idempotency reads, no registry, no auth.
 */
export class DurableFloorCycle {
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    private readonly raw: RawSqlCycle,
    stateDatabase: string,
  ) {
    this.table = `${quoteIdentifier(stateDatabase)}.${quoteIdentifier('bench_floor_records')}`;
  }

  async init(): Promise<void> {
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
        record_id VARCHAR(255) NOT NULL PRIMARY KEY,
        version BIGINT UNSIGNED NOT NULL,
        state VARCHAR(32) NOT NULL,
        op_state VARCHAR(32) NULL,
        updated_at VARCHAR(40) NOT NULL,
        doc LONGTEXT NOT NULL,
        KEY bench_floor_op_state (op_state)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
  }

  provision(instanceId: string): Promise<void> {
    return this.step('provision', instanceId, () => this.raw.provision(instanceId));
  }

  bind(instanceId: string, bindingId: string): Promise<void> {
    return this.step('bind', `${instanceId}/${bindingId}`, () => this.raw.bind(instanceId, bindingId));
  }

  unbind(instanceId: string, bindingId: string): Promise<void> {
    return this.step('unbind', `${instanceId}/${bindingId}`, () => this.raw.unbind(instanceId, bindingId));
  }

  deprovision(instanceId: string): Promise<void> {
    return this.step('deprovision', instanceId, () => this.raw.deprovision(instanceId));
  }

  private async step(step: CycleStep, recordId: string, tenantSql: () => Promise<void>): Promise<void> {
    const at = new Date().toISOString();
    const creates = step === 'provision' || step === 'bind';
    const claim = JSON.stringify({ recordId, operation: { kind: step, state: 'in progress', startedAt: at }, updatedAt: at });
    if (creates) {
      await this.pool.execute(
        `INSERT INTO ${this.table} (record_id, version, state, op_state, updated_at, doc) VALUES (?, 1, 'creating', 'in progress', ?, ?)`,
        [recordId, at, claim],
      );
    } else {
      // Guarded by state rather than a version read first: the least a delete can do.
      const [claimed] = await this.pool.execute<ResultSetHeader>(
        `UPDATE ${this.table} SET version = version + 1, state = 'deleting', op_state = 'in progress', updated_at = ?, doc = ? WHERE record_id = ? AND state = 'created'`,
        [at, claim, recordId],
      );
      if (claimed.affectedRows !== 1) throw new Error(`the floor has no live record ${recordId}`);
    }
    await tenantSql();
    const outcome = JSON.stringify({ recordId, operation: { kind: step, state: 'succeeded', startedAt: at, updatedAt: at }, updatedAt: at });
    await this.pool.execute(
      `UPDATE ${this.table} SET version = version + 1, state = ?, op_state = NULL, updated_at = ?, doc = ? WHERE record_id = ? AND state = ?`,
      [creates ? 'created' : 'deleted', at, outcome, recordId, creates ? 'creating' : 'deleting'],
    );
  }
}
