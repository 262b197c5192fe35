import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { DEFAULT_ANSWER_LIMIT_BYTES, DEFAULT_CATALOG_LIMIT_BYTES } from '../../sdk/client';
import { DEFAULT_JSON_DEPTH_LIMIT } from '../../sdk/json';
import { DEFAULT_APP_GID, DEFAULT_APP_UID } from '../cell/cell';
import { AccessTokens } from './access-tokens';
import { syncStartedApps } from './app-lifecycle';
import { BrokerUrlAllowList } from './broker-url-allow-list';
import { authenticate } from './authentication';
import type { CellApi } from './cell-api';
import type { ControllerDeps } from './deps';
import { apiErrors } from './errors';
import { errorHandler, requestLogger } from './http';
import { JobRunner } from './jobs';
import { jsonDepthGuard } from './json-depth';
import { OrphanMitigator } from './orphan-mitigation';
import { OsbCalls } from './osb-calls';
import { DEFAULT_PACKAGE_LIMITS, PackageBits, type PackageLimits } from './package-bits';
import { recoverPackages } from './package-operations';
import { finishMitigatedDelete, resumeJobs } from './resume';
import { appRoutes } from './routes/apps';
import { jobRoutes } from './routes/jobs';
import { oauthRoutes } from './routes/oauth';
import { organizationRoutes } from './routes/organizations';
import { packageRoutes, packageUploadRoutes } from './routes/packages';
import { roleRoutes } from './routes/roles';
import { rootRoutes } from './routes/root';
import { serviceBrokerRoutes } from './routes/service-brokers';
import { serviceCredentialBindingRoutes } from './routes/service-credential-bindings';
import { serviceInstanceRoutes } from './routes/service-instances';
import { serviceOfferingRoutes } from './routes/service-offerings';
import { servicePlanRoutes } from './routes/service-plans';
import { spaceRoutes } from './routes/spaces';
import { userRoutes } from './routes/users';
import { SecretBox } from './secrets';
import { ControllerStore } from './store';
import { ensureBootstrapAdmin } from './user-accounts';

/**
 * The controller: a Cloud Controller v3-like HTTP API over a SQLite database, talking OSB
 * to brokers and running apps on a cell.
 */

export interface ControllerOptions {
  /** Holds controller.db and controller.key (created on first start). */
  dataDir: string;
  logger: Logger;
  cell: CellApi;
  /** Cloud Controller's volume_services_enabled. */
  volumeServicesEnabled?: boolean;
  /** Per broker request. */
  brokerTimeoutMs?: number;
  /** The longest the controller polls an async operation; plans can only shorten it. */
  maxPollingSeconds?: number;
  /** Send accepts_incomplete=true up front; when false, only after a 422 AsyncRequired. */
  acceptsIncomplete?: boolean;
  /** Wait before the second orphan mitigation attempt; it doubles per attempt, up to 5 minutes. */
  orphanMitigationRetryMs?: number;
  /** New plans start public (service access enabled) instead of admin-only. */
  autoEnableAccess?: boolean;
  /** Pause between last_operation polls when the broker sends no Retry-After. */
  pollIntervalMs?: number;
  /** How often started apps are checked against the cell and desired again when it lost them. */
  appSyncIntervalMs?: number;
  /** The broker URLs the controller may call: host[:port] globs or http(s) URL prefixes (see README). Default: any. */
  brokerUrlAllowList?: string[];
  /** The most bytes of a broker's catalog read (default 10 MiB). */
  brokerCatalogLimitBytes?: number;
  /** The most bytes of any other broker answer read (default 1 MiB). */
  brokerAnswerLimitBytes?: number;
  /** The deepest nesting of objects and arrays accepted in API request bodies and broker answers (default 64). */
  jsonDepthLimit?: number;
  /** How long an access token from POST /oauth/token works (UAA's default: 12 hours). */
  tokenValiditySeconds?: number;
  /** An admin made (or given this password and admin rights) on every start. */
  bootstrapAdmin?: { username: string; password: string };
  /** Upload size, unpacked size and member count of a package (default 1 GiB, 2 GiB, 100,000). */
  packageLimits?: Partial<PackageLimits>;
  /**
   * Who unpacks uploaded bits when the controller is root: the cell's app user (default
   * 2000:2000). A controller that is not root unpacks as itself.
   */
  appUser?: { uid: number; gid: number };
}

export interface Controller {
  app: Express;
  /** Resumes the jobs and orphan mitigations a previous process left unfinished. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface StartControllerOptions extends ControllerOptions {
  port: number;
  host?: string;
}

export interface RunningController {
  url: string;
  close(): Promise<void>;
}

const BODY_LIMIT = '1mb';

export function createController(options: ControllerOptions): Controller {
  const { logger } = options;
  const allowList = BrokerUrlAllowList.from(options.brokerUrlAllowList);
  const jsonDepthLimit = options.jsonDepthLimit ?? DEFAULT_JSON_DEPTH_LIMIT;
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const secrets = SecretBox.openOrCreate(options.dataDir, logger);
  const store = new ControllerStore(options.dataDir, secrets);
  const { space } = store.organizations.ensureDefaults();
  const osb = new OsbCalls(store, {
    timeoutMs: options.brokerTimeoutMs ?? 60_000,
    pollIntervalMs: options.pollIntervalMs ?? 2000,
    maxPollingSeconds: options.maxPollingSeconds ?? 3600,
    acceptsIncomplete: options.acceptsIncomplete ?? true,
    catalogLimitBytes: options.brokerCatalogLimitBytes ?? DEFAULT_CATALOG_LIMIT_BYTES,
    answerLimitBytes: options.brokerAnswerLimitBytes ?? DEFAULT_ANSWER_LIMIT_BYTES,
    jsonDepthLimit,
    allowList,
  });
  const jobs = new JobRunner(store, logger);
  const mitigator = new OrphanMitigator({
    store,
    osb,
    logger,
    retryBaseMs: options.orphanMitigationRetryMs ?? 5000,
    onConfirmed: (mitigation) => finishMitigatedDelete(deps, mitigation),
  });
  const deps: ControllerDeps = {
    store,
    osb,
    jobs,
    mitigator,
    cell: options.cell,
    logger,
    tokens: new AccessTokens(store.identities, options.tokenValiditySeconds ?? 12 * 3600),
    packages: new PackageBits(
      options.dataDir,
      { ...DEFAULT_PACKAGE_LIMITS, ...options.packageLimits },
      process.getuid?.() === 0 ? (options.appUser ?? { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID }) : undefined,
    ),
    volumeServicesEnabled: options.volumeServicesEnabled ?? true,
    autoEnableAccess: options.autoEnableAccess ?? false,
  };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(requestLogger(logger));
  // Only these answer without a token; authentication comes before any other body is read.
  app.use(rootRoutes(deps));
  app.use(oauthRoutes(deps));
  app.use(authenticate(deps));
  app.use(packageUploadRoutes(deps));
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(jsonDepthGuard(jsonDepthLimit));
  app.use(serviceBrokerRoutes(deps));
  app.use(serviceOfferingRoutes(deps));
  app.use(servicePlanRoutes(deps));
  app.use(serviceInstanceRoutes(deps));
  app.use(serviceCredentialBindingRoutes(deps));
  app.use(appRoutes(deps, space.guid));
  app.use(packageRoutes(deps));
  app.use(jobRoutes(deps));
  app.use(organizationRoutes(deps));
  app.use(spaceRoutes(deps));
  app.use(userRoutes(deps));
  app.use(roleRoutes(deps));
  app.use(() => {
    throw apiErrors.unknownRoute();
  });
  app.use(errorHandler(logger));

  let started = false;
  let closed: Promise<void> | undefined;
  let syncTimer: NodeJS.Timeout | undefined;
  return {
    app,
    async start() {
      if (started) return;
      started = true;
      if (options.bootstrapAdmin) await ensureBootstrapAdmin(store, options.bootstrapAdmin.username, options.bootstrapAdmin.password, logger);
      await recoverPackages(deps);
      const resumed = resumeJobs(deps);
      mitigator.start();
      const sync = (): void => void syncStartedApps(deps).catch((error: unknown) => logger.warn({ err: error }, 'app sync failed'));
      syncTimer = setInterval(sync, options.appSyncIntervalMs ?? 10_000);
      syncTimer.unref();
      sync();
      logger.info({ dataDir: options.dataDir, resumedJobs: resumed }, 'controller started');
    },
    close() {
      closed ??= (async () => {
        if (syncTimer) clearInterval(syncTimer);
        await jobs.close();
        await mitigator.close();
        osb.close();
        store.close();
      })();
      return closed;
    },
  };
}

export async function startController(options: StartControllerOptions): Promise<RunningController> {
  const controller = createController(options);
  await controller.start();
  const server = createServer(controller.app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await controller.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  options.logger.info({ url }, 'controller listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await controller.close();
      })();
      return closing;
    },
  };
}
