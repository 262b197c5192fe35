import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../sdk';
import { DEFAULT_ORGANIZATION, DEFAULT_SPACE } from '../../platform/controller/store';
import { startLocalDriver } from '../../platform/drivers/local/main';
import { ControllerApi } from '../api';
import { BUNDLED_BROKER_NAMES, defaultBrokerNames } from '../bundled-brokers';
import { homePath, osbkitHome } from '../home';
import { logIn } from '../login';
import { progress, step } from '../output';
import { ensureSecretFile } from '../private-files';
import { loadSession, normalizeApi } from '../session';
import { Supervisor } from '../supervisor';
import { ADMIN_USERNAME, startCellProcess, startControllerProcess } from '../platform-parts';
import { nfsDriverAllowedShares, registerNfsDriverCommand, startNfsDriverPart } from './nfs-driver';
import { planLocalEfs, startLocalEfs, type LocalEfs } from '../efs-local';
import { shouldExitWithStarter, stopOnSignals, watchStarter } from '../lifetime';

/** `osbkit up` and the parts it runs: the local driver, the cell and the controller. */
export function registerPlatformCommands(program: Command): void {
  program
    .command('up')
    .description('Start the controller, a cell, the volume driver and the bundled brokers, and register the brokers')
    .option('--port <n>', 'controller port', (v) => Number(v), 9000)
    .option('--isolation <mode>', 'cell isolation: auto, namespaces or none', 'auto')
    .option('--brokers <names>', `comma-separated bundled brokers to run (available: ${BUNDLED_BROKER_NAMES.join(', ')}; default: local, plus mysql when MYSQL_URL is set, plus nfs when OSBKIT_NFS_ALLOWED_SHARES or OSBKIT_NFS_MANAGED_SHARE is set)`)
    .option('--broker-url-allow-list <entries>', `${ALLOW_LIST_HELP}; the bundled brokers' URLs are added (default: any URL)`)
    .option('--with-efs', 'also run the EFS API emulator and the efs broker against it (file systems in the shared NFS-Ganesha\'s export when it runs here)')
    .option('--efs-subnet-ids <ids>', 'with --with-efs: the subnets the efs broker makes mount targets in (default: the emulator\'s subnet-00000001,subnet-00000002)')
    .option('--efs-throttle-rate <fraction>', 'with --with-efs: the fraction of EFS requests the emulator throttles')
    .option('--efs-error-rate <fraction>', 'with --with-efs: the fraction of EFS requests the emulator fails with 500')
    .option('--exit-with-parent', 'stop everything when the process that started osbkit up ends (the default under npm, e.g. npm start)')
    .option('--no-exit-with-parent', 'keep running when the process that started osbkit up ends')
    .action(async (options: UpOptions & { brokers?: string }) => {
      await up({ ...options, brokers: options.brokers ?? defaultBrokerNames().join(',') });
    });

  const driver = program.command('driver').description('Run a volume driver (started by "osbkit up"): local or nfs');
  driver
    .command('local')
    .description('Run the local volume driver (localdriver)')
    .option('--volumes-root <dir>', 'the directory holding the volumes (the local broker\'s)')
    .option('--state <file>', 'where the driver keeps its mount state')
    .option('--listen <address>', 'unix socket path or http://127.0.0.1:PORT')
    .option('--spec-dir <dir>', 'the drivers directory the cell discovers drivers in')
    .action(async (options: { volumesRoot?: string; state?: string; listen?: string; specDir?: string }) => {
      const logger = createLogger({ name: 'localdriver' });
      const running = await startLocalDriver({
        volumesRoot: options.volumesRoot ?? homePath('volumes', 'local'),
        stateFile: options.state ?? homePath('drivers', 'localdriver-state.json'),
        listen: options.listen ?? `unix://${homePath('drivers', 'localdriver.sock')}`,
        specDir: options.specDir ?? homePath('voldrivers'),
        name: 'localdriver',
        logger,
      });
      logger.info({ address: running.address }, 'local volume driver listening');
      process.send?.({ ready: running.address });
      stopOnSignals(() => running.close());
    });
  registerNfsDriverCommand(driver);

  program
    .command('cell')
    .description('Run a cell (started by "osbkit up")')
    .option('--port <n>', 'port', (v) => Number(v), 0)
    .option('--data-dir <dir>', 'where the cell keeps instances, logs and state')
    .option('--drivers-dir <dir>', 'where volume drivers publish their spec files')
    .option('--isolation <mode>', 'auto, namespaces or none', 'auto')
    .option('--api-secret-file <file>', `the secret every API request must carry, mode 0600; made when missing (default: $OSBKIT_HOME/${CELL_SECRET_FILE})`)
    .action(async (options: { port: number; dataDir?: string; driversDir?: string; isolation: string; apiSecretFile?: string }) => {
      await startCellProcess({
        port: options.port,
        dataDir: options.dataDir ?? homePath('cell'),
        driversDir: options.driversDir ?? homePath('voldrivers'),
        isolation: parseIsolation(options.isolation),
        apiSecretFile: options.apiSecretFile ?? homePath(CELL_SECRET_FILE),
      });
    });

  program
    .command('controller')
    .description('Run the controller (started by "osbkit up")')
    .option('--port <n>', 'port', (v) => Number(v), 9000)
    .option('--data-dir <dir>', 'where the controller keeps its database')
    .requiredOption('--cell-url <url>', 'the cell to run apps on')
    .option('--broker-url-allow-list <entries>', `${ALLOW_LIST_HELP} (default: any URL)`)
    .option('--cell-secret-file <file>', `the cell's API secret, mode 0600; made when missing (default: $OSBKIT_HOME/${CELL_SECRET_FILE})`)
    .option('--admin-password-file <file>', `the password of the admin user, mode 0600; made when missing (default: $OSBKIT_HOME/${ADMIN_PASSWORD_FILE})`)
    .action(async (options: { port: number; dataDir?: string; cellUrl: string; brokerUrlAllowList?: string; cellSecretFile?: string; adminPasswordFile?: string }) => {
      await startControllerProcess({
        port: options.port,
        dataDir: options.dataDir ?? homePath('controller'),
        cellUrl: options.cellUrl,
        cellSecretFile: options.cellSecretFile ?? homePath(CELL_SECRET_FILE),
        adminPasswordFile: options.adminPasswordFile ?? homePath(ADMIN_PASSWORD_FILE),
        ...(options.brokerUrlAllowList !== undefined ? { brokerUrlAllowList: splitList(options.brokerUrlAllowList) } : {}),
      });
    });
}

/** In $OSBKIT_HOME, mode 0600: what the cell and the controller share, and the admin's password. */
const CELL_SECRET_FILE = 'cell-api-secret';
const ADMIN_PASSWORD_FILE = 'admin-password';

const ALLOW_LIST_HELP = 'comma-separated broker URLs the controller may call: host[:port] (* for a host label) or http(s) URL prefixes';

function splitList(text: string): string[] {
  return text.split(',').map((entry) => entry.trim()).filter(Boolean);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function parseIsolation(value: string): 'auto' | 'namespaces' | 'none' {
  if (value === 'auto' || value === 'namespaces' || value === 'none') return value;
  throw new Error(`--isolation must be auto, namespaces or none, not ${JSON.stringify(value)}.`);
}

interface BrokerCredentials {
  username: string;
  password: string;
}

/** Each broker gets its own generated credentials, kept (mode 0600) so restarts reuse them. */
function brokerCredentials(name: string): BrokerCredentials {
  const dir = homePath('brokers', name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as BrokerCredentials;
  const credentials = { username: `${name}-broker`, password: randomBytes(24).toString('base64url') };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

interface UpOptions {
  port: number;
  isolation: string;
  brokerUrlAllowList?: string;
  exitWithParent?: boolean;
  withEfs?: boolean;
  efsSubnetIds?: string;
  efsThrottleRate?: string;
  efsErrorRate?: string;
}

async function up(options: UpOptions & { brokers: string }): Promise<void> {
  const home = osbkitHome();
  const isolation = parseIsolation(options.isolation);
  const names = options.brokers.split(',').map((n) => n.trim()).filter(Boolean);
  if (options.withEfs && !names.includes('efs')) names.push('efs');
  for (const name of names) {
    if (!(BUNDLED_BROKER_NAMES as readonly string[]).includes(name)) throw new Error(`Unknown broker "${name}". Available: ${BUNDLED_BROKER_NAMES.join(', ')}.`);
  }
  const supervisor = new Supervisor(join(home, 'logs'), (line) => step(line));
  let shuttingDown = false;
  const shutdown = async (code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    step('Stopping osbkit...');
    await supervisor.stopAll();
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  if (shouldExitWithStarter(options.exitWithParent)) {
    await watchStarter(() => {
      step('The process that started osbkit up has ended; stopping.');
      void shutdown(0);
    });
  }

  try {
    step(`osbkit home: ${home}`);
    const cellSecretFile = join(home, CELL_SECRET_FILE);
    const adminPasswordFile = join(home, ADMIN_PASSWORD_FILE);
    ensureSecretFile(cellSecretFile);
    const adminPassword = ensureSecretFile(adminPasswordFile);
    const driversDir = join(home, 'voldrivers');
    const driverAddress = await supervisor.start({
      name: 'localdriver',
      args: ['driver', 'local', '--volumes-root', join(home, 'volumes', 'local'), '--state', join(home, 'drivers', 'localdriver-state.json'), '--listen', `unix://${join(home, 'drivers', 'localdriver.sock')}`, '--spec-dir', driversDir],
    });
    step(`  volume driver  localdriver at ${driverAddress}`);
    let efs: LocalEfs | undefined;
    if (options.withEfs) {
      const plan = planLocalEfs(home);
      // The NFS driver (started next) must allow the emulator's file systems as shares.
      if (plan.driverShareRule) process.env.OSBKIT_NFS_DRIVER_ALLOWED_SHARES = [nfsDriverAllowedShares(undefined), plan.driverShareRule].filter(Boolean).join(',');
      efs = await startLocalEfs(supervisor, plan, { subnetIds: options.efsSubnetIds, throttleRate: options.efsThrottleRate, errorRate: options.efsErrorRate }, await freePort());
      step(`  efs-emulator   ${efs.url} (file systems in ${plan.backingDir}${plan.nfsExport ? `, served as ${plan.nfsExport}` : `; not served over NFS: ${plan.notServed}`})`);
    }
    await startNfsDriverPart(supervisor, home, driversDir, step);
    // Fixed ports chosen now, so a part the supervisor restarts comes back where the others expect it.
    const cellUrl = await supervisor.start({ name: 'cell', args: ['cell', '--port', String(await freePort()), '--data-dir', join(home, 'cell'), '--drivers-dir', driversDir, '--isolation', isolation, '--api-secret-file', cellSecretFile] });
    step(`  cell           ${cellUrl}`);
    const brokers: Array<{ name: string; url: string; credentials: BrokerCredentials }> = [];
    for (const name of names) {
      const credentials = brokerCredentials(name);
      const url = await supervisor.start({
        name: `broker-${name}`,
        args: ['broker', name, '--port', String(await freePort()), '--state-dir', join(home, 'brokers', name), '--volumes-root', join(home, 'volumes', name)],
        env: { OSBKIT_BROKER_USERNAME: credentials.username, OSBKIT_BROKER_PASSWORD: credentials.password, ...(name === 'efs' && efs ? efs.brokerEnv : {}) },
      });
      brokers.push({ name, url, credentials });
      step(`  broker         ${name} at ${url}`);
    }
    // The bundled brokers run on ports chosen now: an operator's allow-list cannot name them.
    const allowList = options.brokerUrlAllowList !== undefined ? [...splitList(options.brokerUrlAllowList), ...brokers.map((b) => b.url)] : undefined;
    const controllerUrl = await supervisor.start({
      name: 'controller',
      args: [
        'controller', '--port', String(options.port), '--data-dir', join(home, 'controller'), '--cell-url', cellUrl,
        '--cell-secret-file', cellSecretFile, '--admin-password-file', adminPasswordFile, ...(allowList ? ['--broker-url-allow-list', allowList.join(',')] : [])],
    });
    step(`  controller     ${controllerUrl}`);

    const grant = await ControllerApi.passwordGrant(controllerUrl, ADMIN_USERNAME, adminPassword);
    const api = new ControllerApi(controllerUrl, grant.accessToken);
    for (const broker of brokers) {
      process.stderr.write(`Registering broker ${broker.name}`);
      const existing = (await api.list(`/v3/service_brokers?names=${encodeURIComponent(broker.name)}`)).find((b) => b.name === broker.name);
      const body = { name: broker.name, url: broker.url, authentication: { type: 'basic', credentials: broker.credentials } };
      const started = existing
        ? await api.request('PATCH', `/v3/service_brokers/${existing.guid}`, body)
        : await api.request('POST', '/v3/service_brokers', body);
      await api.waitForJob(started.location, (text) => process.stderr.write(text));
      const plans = await api.list(`/v3/service_plans?service_broker_names=${encodeURIComponent(broker.name)}`);
      for (const plan of plans) await api.request('POST', `/v3/service_plans/${plan.guid}/visibility`, { type: 'public' });
      process.stderr.write(` OK (${plans.length} plan(s) enabled)\n`);
    }
    void progress;
    // Done before "osbkit is up", so whoever waits for that line finds the CLI logged in.
    const login = await logInTheCli(controllerUrl, adminPassword);
    step('');
    step(`osbkit is up. API: ${controllerUrl}`);
    step(`The CLI in this OSBKIT_HOME targets it (see 'osbkit api'; another platform: osbkit api URL).`);
    const override = process.env.OSBKIT_API;
    if (override && normalizeApi(override) !== normalizeApi(controllerUrl)) step(`Warning: OSBKIT_API=${override} overrides that target while it is set.`);
    step(`Admin user: ${ADMIN_USERNAME}, password in ${adminPasswordFile} (mode 0600).`);
    step(login.kept
      ? `The CLI stays logged in as ${login.username}.`
      : `The CLI is logged in as ${ADMIN_USERNAME}; to log in again: osbkit login -u ${ADMIN_USERNAME} --password-file ${adminPasswordFile}`);
    step('Try: osbkit marketplace    (Ctrl-C stops everything)');
    process.send?.({ ready: controllerUrl });
  } catch (error) {
    step(`\nFAILED\n${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

/**
 * Logs the CLI in as the admin, for convenience, unless it already holds a working login
 * for this API (someone logged in as another user keeps that login).
 */
async function logInTheCli(controllerUrl: string, adminPassword: string): Promise<{ kept: boolean; username: string }> {
  const session = loadSession();
  if (session && normalizeApi(session.api) === normalizeApi(controllerUrl)) {
    try {
      await new ControllerApi(controllerUrl, session.accessToken).get('/v3/spaces?per_page=1');
      return { kept: true, username: session.username };
    } catch {
      // Expired or revoked: log in afresh below.
    }
  }
  await logIn(normalizeApi(controllerUrl), ADMIN_USERNAME, adminPassword, { organization: DEFAULT_ORGANIZATION, space: DEFAULT_SPACE });
  return { kept: false, username: ADMIN_USERNAME };
}
