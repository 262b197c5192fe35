import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNode, waitFor } from '../../support/process';

/** `osbkit controller --broker-url-allow-list` reaches the controller's brokerUrlAllowList. */

jest.setTimeout(60_000);

describe('osbkit controller --broker-url-allow-list', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'osbkit-allow-list-cli-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  const args = async (list: string): Promise<string[]> => [
    'controller', '--port', String(await freePort()), '--data-dir', join(home, 'controller'), '--cell-url', 'http://127.0.0.1:9',
    '--broker-url-allow-list', list,
  ];

  test('an entry the controller cannot read stops it, naming the entry', async () => {
    const run = startNode('bin/osbkit', await args('brokers.example.test, ftp://x.example'), { OSBKIT_HOME: home });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('brokerUrlAllowList: "ftp://x.example"');
  });

  test('a list it can read: the controller starts', async () => {
    const run = startNode('bin/osbkit', await args('brokers.example.test,127.0.0.1:*, https://b.example/osb'), { OSBKIT_HOME: home });
    try {
      await waitFor(() => run.output().includes('controller listening') || (run.child.exitCode !== null ? Promise.reject(new Error(run.output())) : false), 'the controller to listen');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
