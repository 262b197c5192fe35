import type { CellApi, CellInstanceStatus, CellLogLine, CellLrp } from '../../../../platform/controller/cell-api';
import { CellError } from '../../../../platform/controller/cell-api';

/** A cell that runs nothing and remembers every call the controller made. */
export class FakeCell implements CellApi {
  readonly calls: Array<{ op: 'desire' | 'stop' | 'status' | 'logs'; appGuid: string; lrp?: CellLrp }> = [];
  readonly desired = new Map<string, CellLrp>();
  /** Makes the next call throw, as an unreachable cell would. */
  failNext = false;

  private check(): void {
    if (!this.failNext) return;
    this.failNext = false;
    throw new CellError('the cell cannot be reached: ECONNREFUSED');
  }

  async desire(appGuid: string, lrp: CellLrp): Promise<void> {
    this.calls.push({ op: 'desire', appGuid, lrp });
    this.check();
    this.desired.set(appGuid, lrp);
  }

  async stop(appGuid: string): Promise<void> {
    this.calls.push({ op: 'stop', appGuid });
    this.check();
    this.desired.delete(appGuid);
  }

  async status(appGuid: string): Promise<CellInstanceStatus[]> {
    this.calls.push({ op: 'status', appGuid });
    this.check();
    const lrp = this.desired.get(appGuid);
    if (!lrp) return [];
    return Array.from({ length: lrp.instances }, (_, index) => ({ index, state: index === 0 ? 'running' : 'crashed', since: '2025-01-01T00:00:00.000Z', crashCount: index }));
  }

  async logs(appGuid: string): Promise<CellLogLine[]> {
    this.calls.push({ op: 'logs', appGuid });
    this.check();
    return [{ timestamp: '2025-01-01T00:00:00.000Z', instance: 0, source: 'OUT', line: `hello from ${appGuid}` }];
  }

  lastDesired(appGuid: string): CellLrp | undefined {
    return [...this.calls].reverse().find((c) => c.op === 'desire' && c.appGuid === appGuid)?.lrp;
  }
}
