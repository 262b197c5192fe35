import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppLogStore } from '../../../platform/cell/app-logs';
import { silentCellLogger } from '../../../platform/cell/logger';
import type { LogLine } from '../../../platform/cell/types';

function line(appGuid: string, message: string): LogLine {
  return { timestamp: new Date(0).toISOString(), appGuid, instanceIndex: 0, source: 'OUT', message };
}

describe('app logs', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'cell-logs-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps a bounded number of recent lines and appends all of them to a JSON-lines file', async () => {
    const store = new AppLogStore(directory, 2, silentCellLogger);
    const log = store.forApp('app');
    ['one', 'two', 'three'].forEach((message) => log.append(line('app', message)));
    expect(log.recent().map((entry) => entry.message)).toEqual(['two', 'three']);
    await store.closeAll();
    const file = readFileSync(join(directory, 'app.log'), 'utf8').trim().split('\n');
    expect(file.map((entry) => (JSON.parse(entry) as LogLine).message)).toEqual(['one', 'two', 'three']);
  });

  it('feeds followers until they unsubscribe, and survives a failing follower', async () => {
    const store = new AppLogStore(directory, 10, silentCellLogger);
    const log = store.forApp('app');
    const seen: string[] = [];
    log.follow(() => {
      throw new Error('broken follower');
    });
    const stop = log.follow((entry) => seen.push(entry.message));
    log.append(line('app', 'a'));
    stop();
    log.append(line('app', 'b'));
    expect(seen).toEqual(['a']);
    await store.closeAll();
  });

  it('keeps logs of stopped apps, but only a bounded number of them', async () => {
    const store = new AppLogStore(directory, 10, silentCellLogger, 2);
    for (const guid of ['a', 'b', 'c']) {
      store.forApp(guid).append(line(guid, guid));
      await store.retire(guid);
    }
    expect(store.find('a')).toBeUndefined();
    expect(store.find('b')?.recent().map((entry) => entry.message)).toEqual(['b']);
    expect(store.find('c')).toBeDefined();
  });
});
