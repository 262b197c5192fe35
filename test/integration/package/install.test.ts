import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installOffline, outsideTempDir, packOsbkit, runIn, writeOfflineLock, type PackedTarball } from '../../support/offline-install';
import { descendantsOf, waitFor } from '../../support/process';

/**
 * osbkit as a user gets it: `npm pack`, installed from the tarball into a project outside the
 * repository without the registry, a TypeScript broker compiled against it with `strict`, the
 * compiled broker run, its conformance tests run with the installed testkit, and the `osbkit`
 * command run from the installed package.
 */

jest.setTimeout(120_000);

let work: string;
let project: string;
let tarball: PackedTarball;

/** A user's broker, its own program, and its tests with the testkit under node's test runner. */
const CONSUMER_FILES: Record<string, string> = {
  'src/broker.ts': `
import { answerFromStore, errors, type BindRequest, type BindResult, type ProvisionRequest, type ServiceBroker } from 'osbkit';

export const catalog = {
  services: [{
    id: 'notes-service', name: 'notes', description: 'Notes', bindable: true,
    instances_retrievable: true, bindings_retrievable: true,
    plans: [{ id: 'notes-plan', name: 'small', description: 'Small', maintenance_info: { version: '1.0.0' } }],
  }],
};

export class NotesBroker implements ServiceBroker {
  async provision(request: ProvisionRequest) {
    if (request.parameters.size === 0) throw errors.badRequest('size must not be 0');
    return { data: { size: request.parameters.size ?? 1 } };
  }
  async deprovision(): Promise<void> {}
  // Notes have nothing a plan or a maintenance_info version changes; an update only records them.
  async update(): Promise<void> {}
  async bind(request: BindRequest): Promise<BindResult> {
    return { credentials: { note: request.bindingId } };
  }
  async unbind(): Promise<void> {}
  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;
}
`,
  'src/main.ts': `
import { createBroker, createLogger, SqliteStore } from 'osbkit';
import { OsbClient, OsbResponseError } from 'osbkit/client';
import { validateVolumeMounts } from 'osbkit/volume';
import { MysqlStore } from 'osbkit/mysql-store';
import { catalog, NotesBroker } from './broker';

async function main(): Promise<void> {
  const app = createBroker({
    catalog,
    broker: new NotesBroker(),
    store: new SqliteStore({ path: process.argv[2] + '/state.db' }),
    auth: { username: 'u', password: 'p' },
    logger: createLogger({ level: 'warn' }),
  });
  const { url, server } = await app.listen(0);
  const client = new OsbClient({ url, username: 'u', password: 'p' });
  const listed = await client.getCatalog();
  const created = await client.provision('i-1', { service_id: 'notes-service', plan_id: 'notes-plan', organization_guid: 'o', space_guid: 's' });
  const bound = await client.bind('i-1', 'b-1', { service_id: 'notes-service', plan_id: 'notes-plan' });
  let refused = 0;
  try {
    await client.provision('i-2', { service_id: 'notes-service', plan_id: 'notes-plan', organization_guid: 'o', space_guid: 's', parameters: { size: 0 } });
  } catch (error) {
    if (error instanceof OsbResponseError) refused = error.status;
  }
  const mounts = validateVolumeMounts([], { serviceRequiresVolumeMount: true });
  console.log(JSON.stringify({
    services: listed.body.services.map((s) => s.name),
    created: created.status,
    credentials: bound.body.credentials,
    refused,
    mountsOk: mounts.ok,
    mysqlStore: typeof MysqlStore,
  }));
  server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`,
  'src/broker.test.ts': `
import { after, before, describe, it } from 'node:test';
import { createBroker, createLogger, MemoryStore } from 'osbkit';
import { describeConformance } from 'osbkit/testkit';
import { catalog, NotesBroker } from './broker';

describeConformance(
  createBroker({ catalog, broker: new NotesBroker(), store: new MemoryStore(), auth: { username: 'u', password: 'p' }, logger: createLogger({ level: 'silent' }) }),
  { username: 'u', password: 'p', strict: true, plans: { small: { async: false } }, runner: { describe, it, before, after } },
);
`,
};

beforeAll(async () => {
  work = outsideTempDir('osbkit-package-');
  tarball = await packOsbkit(work);
  project = join(work, 'consumer');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({
    name: 'consumer',
    version: '1.0.0',
    private: true,
    dependencies: { osbkit: '0.1.0' },
    devDependencies: { typescript: '5.9.3', '@types/node': '20.19.43' },
  }, null, 2));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: false, types: ['node'], outDir: 'dist', rootDir: 'src' },
    include: ['src'],
  }, null, 2));
  for (const [file, text] of Object.entries(CONSUMER_FILES)) writeFileSync(join(project, file), text);
  writeOfflineLock(project, tarball.path);
  await installOffline(project);
  await runIn(project, process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('packs the compiled SDK with its declarations, the CLI, the catalogs and the cell helper, and no tests or sources', () => {
  const files = tarball.files;
  for (const needed of [
    'package.json', 'bin/osbkit', 'catalog/local.yaml', 'catalog/mysql.yaml', 'catalog/nfs.yaml', 'dist/native/osbkit-contain',
    'dist/sdk/public/index.js', 'dist/sdk/public/index.d.ts', 'dist/sdk/public/client.d.ts', 'dist/sdk/public/volume.d.ts',
    'dist/sdk/public/mysql-store.d.ts', 'dist/sdk/public/testkit.d.ts', 'dist/cli/main.js', 'dist/platform/controller/index.js', 'dist/brokers/local/broker.js',
  ]) {
    expect([needed, files.includes(needed)]).toEqual([needed, true]);
  }
  const unwanted = files.filter((file) => /^(test|dist\/test|dist\/bench|node_modules)\//.test(file) || file.endsWith('.map') || (file.endsWith('.ts') && !file.endsWith('.d.ts')));
  expect(unwanted).toEqual([]);
});

it('compiles a TypeScript broker against the installed package with strict and without skipLibCheck (in the setup), and runs it', async () => {
  const stateDir = join(work, 'state');
  mkdirSync(stateDir);
  const { stdout } = await runIn(project, process.execPath, ['dist/main.js', stateDir]);
  const report = stdout.split('\n').find((line) => line.startsWith('{"services"'));
  expect(JSON.parse(report ?? 'null')).toEqual({
    services: ['notes'],
    created: 201,
    credentials: { note: 'b-1' },
    refused: 400,
    mountsOk: true,
    mysqlStore: 'function',
  });
});

it('runs the compiled broker\'s conformance tests, osbkit/testkit under node\'s test runner, and they pass', async () => {
  const { stdout } = await runIn(project, process.execPath, ['--test', 'dist/broker.test.js']);
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(stdout)?.[1] ?? Number.NaN);
  expect(count('fail')).toBe(0);
  expect(count('pass')).toBeGreaterThan(30);
  expect(stdout).toMatch(/^# tests \d+$/m);
  expect(stdout).toMatch(/provision\.conflict|provision\.create \[notes\/small\]/);
});

it('lets nothing but the exports map out: a deep import of the engine is refused', async () => {
  const attempt = runIn(project, process.execPath, ['-e', "require('osbkit/dist/sdk/engine/engine')"]);
  await expect(attempt).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  const { stdout } = await runIn(project, process.execPath, ['-e', "console.log(typeof require('osbkit').createBroker, typeof require('osbkit/client').OsbClient)"]);
  expect(stdout.trim()).toBe('function function');
});

it('runs the osbkit command from the installed package: its version, and a bundled broker serving its catalog', async () => {
  const version = await runIn(project, 'npx', ['--offline', 'osbkit', '--version']);
  expect(version.stdout.trim()).toBe('osbkit version 0.1.0');

  const home = join(work, 'home');
  const child = spawn('npx', ['--offline', 'osbkit', 'broker', 'local', '--port', '0', '--username', 'u', '--password', 'p'], {
    cwd: project,
    env: { ...process.env, OSBKIT_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const url = await waitFor(() => /"url":"(http:\/\/[^"]+)".*broker listening/.exec(output)?.[1], 'the broker to listen', 30_000);
    const catalog = await fetch(`${url}/v2/catalog`, { headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}`, 'x-broker-api-version': '2.17' } });
    expect(catalog.status).toBe(200);
    expect(((await catalog.json()) as { services: Array<{ name: string }> }).services.map((s) => s.name)).toEqual(['local-volume']);
  } finally {
    for (const pid of [...descendantsOf(child.pid!), child.pid!]) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
});
