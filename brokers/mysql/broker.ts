import type { Logger } from 'pino';
import {
  errors,
  type BindRequest,
  type BindResult,
  type BindingView,
  type DeprovisionRequest,
  type FetchBindingResult,
  type FetchInstanceResult,
  type InstanceView,
  type JsonObject,
  type ProvisionRequest,
  type ProvisionResult,
  type ServiceBroker,
  type StepContext,
  type UnbindRequest,
  type UpdateRequest,
  type UpdateResult,
} from '../../sdk';
import { createAccount, dropAccount, isExistingAccountError, setConnectionLimit, type BindingAccount, type NewBindingAccount } from './accounts';
import type { AdminSql } from './admin-sql';
import type { ResolvedMysqlConfig } from './config';
import { formatCredentials } from './credentials';
import { createDatabase, databaseExists, dropDatabase, resolveEncoding, type DatabaseEncoding } from './databases';
import { isTimeout, toBrokerError } from './mysql-errors';
import { MAX_DATABASE_NAME_LENGTH, MAX_USER_NAME_LENGTH, bindingUserName, databaseName, isSafeName } from './naming';
import { generatePassword } from './password';
import { PlanConfigurationError, planLimits } from './plans';
import type { BrokerRegistry } from './registry';
import { killSessionIds, killSessions } from './sessions';
import { bytesToMegabytes, measureDatabaseBytes } from './usage';

/**
 * The MySQL service broker: an instance is a database on a shared server, a binding is a
 * user with a generated password and privileges on that database only. The SDK owns
 * idempotency and state; every method here is written to be safe when the SDK runs it again
 * after a crash.
 */

export interface MysqlBrokerDependencies {
  sql: AdminSql;
  registry: BrokerRegistry;
  config: ResolvedMysqlConfig;
  logger: Logger;
  /** Releases what the broker holds (pools, the quota timer) when the SDK stops it. */
  shutdown?: () => Promise<void>;
}

/** What the broker keeps in the SDK's `data`: the names it chose, so a later naming change never orphans them. */
type InstanceData = { database: string };
type BindingData = { username: string; database: string };

export class MysqlBroker implements ServiceBroker {
  constructor(private readonly deps: MysqlBrokerDependencies) {}

  provision(request: ProvisionRequest, ctx: StepContext): Promise<ProvisionResult> {
    return this.guard(ctx.logger, async () => {
      const { sql, registry } = this.deps;
      const limits = planLimits(request.plan);
      const database = databaseName(request.instanceId);
      const encoding = await resolveEncoding(sql, readEncoding(request.parameters));
      const entry = {
        database,
        instanceId: request.instanceId,
        planId: request.plan.id,
        maxStorageMb: limits.maxStorageMb,
        maxUserConnections: limits.maxUserConnections,
      };
      // Recorded before it is made, so a crash in between leaves a record deprovision can clean
      // up; the same statement checks that no database of that name exists yet.
      let claim = await registry.claimDatabase(entry);
      let created: boolean;
      if (claim === 'claimed') {
        // False only when a concurrent run of this same provision, which saw our record, made it first.
        created = await createDatabase(sql, database, encoding);
      } else {
        let owned = await registry.findDatabase(database);
        if (!owned && claim === 'row-exists') {
          // The row went away between the two statements (a deprovision of the same name): claim afresh.
          claim = await registry.claimDatabase(entry);
          owned = claim === 'claimed' ? entry : await registry.findDatabase(database);
        }
        if (owned && owned.instanceId !== request.instanceId) {
          throw errors.conflict('The database name derived for this instance id is already taken by another instance.');
        }
        if (!owned) {
          // Never adopt a database this broker did not record: deprovision would later drop it.
          throw errors.conflict('A database with the name derived for this instance already exists and was not created by this broker.');
        }
        // A resumed provision: the record is ours. Refresh it as a fresh provision would write it,
        // and make the database if the earlier attempt stopped before CREATE DATABASE.
        if (claim !== 'claimed') await registry.saveDatabase(entry);
        created = claim === 'database-exists' ? false : await createDatabase(sql, database, encoding);
      }
      ctx.logger.info({ database, plan: limits.planName, created }, 'database provisioned');
      const data: InstanceData = { database };
      return { data };
    });
  }

  update(request: UpdateRequest, ctx: StepContext): Promise<UpdateResult> {
    return this.guard(ctx.logger, async () => {
      if (!request.planChanged) return {};
      const { sql, registry, config } = this.deps;
      const from = planLimits(request.previousPlan);
      const to = planLimits(request.plan);
      const database = instanceDatabase(request.instance);
      if (!(await databaseExists(sql, database))) {
        throw errors.unprocessable(`The database of service instance ${request.instance.instanceId} no longer exists.`, { instanceUsable: false });
      }
      if (to.maxStorageMb < from.maxStorageMb) {
        const usedMb = bytesToMegabytes(await measureDatabaseBytes(sql, database, { lockWaitTimeoutSeconds: config.quota.lockWaitTimeoutSeconds }));
        if (usedMb > to.maxStorageMb) {
          throw errors.unprocessable(
            `The database uses ${usedMb.toFixed(1)} MB; plan ${to.planName} allows ${to.maxStorageMb} MB. Delete data before moving to this plan.`,
            { instanceUsable: true, updateRepeatable: true },
          );
        }
      }
      await registry.saveDatabase({
        database,
        instanceId: request.instance.instanceId,
        planId: request.plan.id,
        maxStorageMb: to.maxStorageMb,
        maxUserConnections: to.maxUserConnections,
      });
      for (const user of await registry.usersOf(database)) {
        await setConnectionLimit(sql, this.account(user.user), to.maxUserConnections);
      }
      ctx.logger.info({ database, from: from.planName, to: to.planName }, 'plan changed');
      return {};
    });
  }

  deprovision(request: DeprovisionRequest, ctx: StepContext): Promise<void> {
    return this.guard(ctx.logger, async () => {
      const { sql, registry } = this.deps;
      const database = instanceDatabase(request.instance);
      // Users of bindings that never finished (the SDK refuses to deprovision live ones), and
      // the sessions on the database, read together: the common path has no such users.
      const leftovers = await registry.leftoversOf(database);
      for (const user of leftovers.users) {
        await this.removeAccount(user);
        await registry.forgetUser(user);
      }
      // Sessions first: an open transaction on the database would hold DROP DATABASE on its
      // metadata locks. After dropping users, read them afresh: theirs were killed meanwhile.
      if (leftovers.users.length === 0) await killSessionIds(sql, leftovers.sessionIds);
      else await killSessions(sql, { database });
      const existed = await dropDatabase(sql, database);
      await registry.forgetDatabase(database);
      if (!existed) throw errors.gone();
      ctx.logger.info({ database }, 'database dropped');
    });
  }

  bind(request: BindRequest, ctx: StepContext): Promise<BindResult> {
    return this.guard(ctx.logger, async () => {
      const { sql, registry, config } = this.deps;
      const limits = planLimits(request.instance.plan);
      const database = instanceDatabase(request.instance);
      const user = bindingUserName(request.instance.instanceId, request.bindingId);
      const readOnly = request.parameters.read_only === true;
      const gone = (): Error => errors.unprocessable(`The database of service instance ${request.instance.instanceId} no longer exists; it cannot be bound.`);
      const entry = { user, database, instanceId: request.instance.instanceId, bindingId: request.bindingId, readOnly };
      // Every attempt records the user before CREATE USER (in the statement that checks the
      // database exists), and every removal drops the accounts before it forgets the record.
      // So a record this call adds afresh proves no earlier attempt of this binding made the
      // user. A record that was already there is a resumed bind: the user an earlier attempt
      // may have made has a password nobody was given, so it is dropped and made again from
      // scratch rather than patched up from an unknown state.
      const added = await registry.addUser(entry);
      if (added === 'no-database') throw gone();
      if (added === 'row-exists') {
        if (!(await databaseExists(sql, database))) throw gone();
        await this.removeAccount(user);
        await registry.saveUser(entry);
      }
      const password = generatePassword();
      const account: NewBindingAccount = { ...this.account(user), password, database, readOnly, maxUserConnections: limits.maxUserConnections };
      try {
        try {
          await createAccount(sql, account);
        } catch (error) {
          if (!isExistingAccountError(error)) throw error;
          // An account of this name that no attempt recorded (made outside the broker): drop
          // every account of the name, with its sessions, and create them once more.
          ctx.logger.warn({ user }, 'an unrecorded account of the binding user existed; it was dropped and made again');
          await this.removeAccount(user);
          await createAccount(sql, account);
        }
      } catch (error) {
        // After a timeout the server is not answering, and an undo would only wait out another
        // one before the platform gets its 503. The registry row stays, so the retry of this
        // bind, an unbind or the instance's deprovision drops whatever the server did make.
        if (!isTimeout(error)) await this.undoBind(user, ctx.logger);
        throw error;
      }
      ctx.logger.info({ database, user, readOnly }, 'binding user created');
      const data: BindingData = { username: user, database };
      return {
        credentials: formatCredentials({
          hostname: config.publicHost,
          port: config.publicPort,
          database,
          username: user,
          password,
          ...(config.caCertificate !== undefined ? { caCertificate: config.caCertificate } : {}),
        }),
        data,
      };
    });
  }

  unbind(request: UnbindRequest, ctx: StepContext): Promise<void> {
    return this.guard(ctx.logger, async () => {
      const user = bindingUser(request.binding);
      const existed = await this.removeAccount(user);
      await this.deps.registry.forgetUser(user);
      if (!existed) throw errors.gone();
      ctx.logger.info({ user }, 'binding user dropped');
    });
  }

  async getInstance(instance: InstanceView): Promise<FetchInstanceResult> {
    return {
      parameters: withoutSecrets(instance.parameters),
      ...(instance.dashboardUrl !== undefined ? { dashboardUrl: instance.dashboardUrl } : {}),
      ...(instance.metadata !== undefined ? { metadata: instance.metadata } : {}),
    };
  }

  async getBinding(binding: BindingView): Promise<FetchBindingResult> {
    return { ...binding.result, parameters: withoutSecrets(binding.parameters) };
  }

  async stop(): Promise<void> {
    await (this.deps.shutdown ?? (() => this.deps.sql.close()))();
  }

  private account(user: string): BindingAccount {
    return { user, hosts: this.deps.config.userHosts };
  }

  /**
   * Drops the user's accounts, then kills its sessions; returns whether any account existed.
   * DROP USER comes first so no new login can succeed from then on; sessions that had already
   * logged in survive DROP USER, and the sweep after it ends them. Both run on one pinned
   * connection, which dropAccount needs to read its notes.
   */
  private removeAccount(user: string): Promise<boolean> {
    return this.deps.sql.withSession(async (session) => {
      const existed = await dropAccount(session, this.account(user));
      await killSessions(session, { user });
      return existed;
    });
  }

  /** Best effort: the error that made the bind fail is the one worth reporting. */
  private async undoBind(user: string, logger: Logger): Promise<void> {
    try {
      await this.deps.sql.withSession((session) => dropAccount(session, this.account(user)));
      await this.deps.registry.forgetUser(user);
    } catch (error) {
      // MysqlFailure carries no statement text, so it is safe to log as it is.
      logger.warn({ user, err: error }, 'could not remove the user of a failed bind; unbind removes it');
    }
  }

  private async guard<T>(logger: Logger, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof PlanConfigurationError) {
        logger.error({ problem: error.message }, 'the catalog lacks plan limits');
        throw errors.internal(error);
      }
      throw toBrokerError(error);
    }
  }
}

function readEncoding(parameters: JsonObject): DatabaseEncoding {
  const encoding: DatabaseEncoding = {};
  if (parameters.character_set !== undefined) {
    if (typeof parameters.character_set !== 'string') throw errors.badRequest('character_set must be a string.');
    encoding.characterSet = parameters.character_set;
  }
  if (parameters.collation !== undefined) {
    if (typeof parameters.collation !== 'string') throw errors.badRequest('collation must be a string.');
    encoding.collation = parameters.collation;
  }
  return encoding;
}

function instanceDatabase(instance: InstanceView): string {
  const stored = (instance.data as Partial<InstanceData> | undefined)?.database;
  return typeof stored === 'string' && isSafeName(stored, MAX_DATABASE_NAME_LENGTH) ? stored : databaseName(instance.instanceId);
}

function bindingUser(binding: BindingView): string {
  const stored = (binding.data as Partial<BindingData> | undefined)?.username;
  return typeof stored === 'string' && isSafeName(stored, MAX_USER_NAME_LENGTH) ? stored : bindingUserName(binding.instanceId, binding.bindingId);
}

/** Parameters as the platform sent them, minus anything that looks like a secret. */
function withoutSecrets(parameters: JsonObject): JsonObject {
  const shown: JsonObject = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (!/pass(word)?|secret|token|credential/i.test(key)) shown[key] = value;
  }
  return shown;
}
