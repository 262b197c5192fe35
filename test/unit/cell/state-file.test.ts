import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CellStateWriter, CorruptStateFileError, readCellState, writeCellStateAtomically, type PersistedCellState } from '../../../platform/cell/state-file';

const state: PersistedCellState = {
  version: 1,
  cellPid: 4242,
  cellStartTicks: '123',
  instances: [
    {
      containerId: 'app-0',
      appGuid: 'app',
      index: 0,
      isolation: 'namespaces',
      pid: 777,
      pidStartTicks: '456',
      mounts: [{ driver: 'nfs', volumeId: 'v', containerId: 'app-0' }],
    },
  ],
};

describe('cell state file', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'cell-state-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('round-trips and leaves no temporary file', async () => {
    const path = join(directory, 'cell-state.json');
    await writeCellStateAtomically(path, state);
    expect(await readCellState(path)).toEqual(state);
    expect(readdirSync(directory)).toEqual(['cell-state.json']);
  });

  it('reads a missing file as no state', async () => {
    expect(await readCellState(join(directory, 'absent.json'))).toBeUndefined();
  });

  it.each([
    ['not JSON', '{'],
    ['a wrong version', JSON.stringify({ ...state, version: 2 })],
    ['a malformed instance', JSON.stringify({ ...state, instances: [{ containerId: 1 }] })],
  ])('reports %s as corrupt', async (_case, contents) => {
    const path = join(directory, 'cell-state.json');
    writeFileSync(path, contents);
    await expect(readCellState(path)).rejects.toBeInstanceOf(CorruptStateFileError);
  });

  it('coalesces bursts and always ends with the latest snapshot', async () => {
    const path = join(directory, 'cell-state.json');
    let pid = 1;
    const writer = new CellStateWriter(path, () => ({ version: 1, cellPid: pid, instances: [] }));
    const writes: Array<Promise<void>> = [];
    for (pid = 1; pid <= 20; pid += 1) writes.push(writer.persist());
    pid = 20;
    await Promise.all(writes);
    expect((await readCellState(path))?.cellPid).toBe(20);
  });
});
