import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ServicePlan } from '../../sdk/catalog/catalog';
import type { VolumeMount } from '../../sdk/volume/mounts';
import type { ErrorEntry } from './errors';
import { IDENTITY_SCHEMA, IdentityStore } from './identity-store';
import { PACKAGE_SCHEMA, PackageStore } from './package-store';
import type {
  AppRecord, BindingDetails, BrokerCredentials, JobRecord, LastOperation, OfferingDocument, OrganizationRecord,
  OrphanMitigationRecord, PlanVisibility, ServiceBindingRecord, ServiceBrokerRecord, ServiceInstanceRecord,
  ServiceOfferingRecord, ServicePlanRecord, SpaceRecord,
} from './records';
import type { SecretBox } from './secrets';

/**
 * The controller's state in `<dataDir>/controller.db`. Every method is synchronous
 * (better-sqlite3), so a read-modify-write with no await in between cannot interleave with
 * another request. Secrets go through the SecretBox on their way in and out; nothing else
 * in the controller sees a sealed value.
 */

export const DATABASE_FILE = 'controller.db';
export const DEFAULT_ORGANIZATION = 'osbkit-org';
export const DEFAULT_SPACE = 'dev';

const SCHEMA = `
CREATE TABLE organizations (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE spaces (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL, organization_guid TEXT NOT NULL REFERENCES organizations(guid),
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (organization_guid, name)
);
CREATE TABLE service_brokers (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL, username TEXT NOT NULL,
  password_sealed TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE service_offerings (
  guid TEXT PRIMARY KEY, broker_guid TEXT NOT NULL REFERENCES service_brokers(guid) ON DELETE CASCADE,
  catalog_id TEXT NOT NULL, name TEXT NOT NULL, available INTEGER NOT NULL, document TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (broker_guid, catalog_id)
);
CREATE TABLE service_plans (
  guid TEXT PRIMARY KEY, offering_guid TEXT NOT NULL REFERENCES service_offerings(guid) ON DELETE CASCADE,
  catalog_id TEXT NOT NULL, name TEXT NOT NULL, available INTEGER NOT NULL, visibility TEXT NOT NULL,
  document TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (offering_guid, catalog_id)
);
CREATE TABLE service_instances (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL, space_guid TEXT NOT NULL REFERENCES spaces(guid),
  plan_guid TEXT NOT NULL REFERENCES service_plans(guid), tags TEXT NOT NULL, dashboard_url TEXT,
  maintenance_info_version TEXT, usable INTEGER NOT NULL, blocked_update TEXT,
  op_type TEXT NOT NULL, op_state TEXT NOT NULL, op_description TEXT NOT NULL, op_created_at TEXT NOT NULL,
  op_updated_at TEXT NOT NULL, phase TEXT, broker_operation TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (space_guid, name)
);
CREATE TABLE apps (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL, space_guid TEXT NOT NULL REFERENCES spaces(guid), state TEXT NOT NULL,
  command TEXT NOT NULL, instances INTEGER NOT NULL, path TEXT, environment_sealed TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (space_guid, name)
);
CREATE TABLE service_bindings (
  guid TEXT PRIMARY KEY, name TEXT, instance_guid TEXT NOT NULL REFERENCES service_instances(guid),
  app_guid TEXT NOT NULL REFERENCES apps(guid), predecessor_guid TEXT, established INTEGER NOT NULL, expires_at TEXT,
  details_sealed TEXT, op_type TEXT NOT NULL, op_state TEXT NOT NULL, op_description TEXT NOT NULL,
  op_created_at TEXT NOT NULL, op_updated_at TEXT NOT NULL, phase TEXT, broker_operation TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_guid, name)
);
CREATE TABLE jobs (
  guid TEXT PRIMARY KEY, operation TEXT NOT NULL, state TEXT NOT NULL, errors TEXT NOT NULL, warnings TEXT NOT NULL,
  resource_type TEXT NOT NULL, resource_guid TEXT NOT NULL, user_id TEXT NOT NULL, payload TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX jobs_by_state ON jobs (state);
CREATE TABLE orphan_mitigations (
  guid TEXT PRIMARY KEY, kind TEXT NOT NULL, purpose TEXT NOT NULL, broker_guid TEXT NOT NULL,
  instance_guid TEXT NOT NULL, binding_guid TEXT, service_id TEXT NOT NULL, plan_id TEXT NOT NULL,
  reason TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
  next_attempt_at TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX orphan_mitigations_by_state ON orphan_mitigations (state);
`;

/**
 * Service keys: credential bindings of type `key`, with a name and no app. SQLite cannot
 * change a column's constraints, so the table is rebuilt; existing rows are app bindings.
 * Key names are unique per instance, app binding names per app.
 */
const SERVICE_KEYS_SCHEMA = `
CREATE TABLE service_bindings_with_keys (
  guid TEXT PRIMARY KEY, type TEXT NOT NULL CHECK (type IN ('app', 'key')), name TEXT,
  instance_guid TEXT NOT NULL REFERENCES service_instances(guid), app_guid TEXT REFERENCES apps(guid),
  predecessor_guid TEXT, established INTEGER NOT NULL, expires_at TEXT,
  details_sealed TEXT, op_type TEXT NOT NULL, op_state TEXT NOT NULL, op_description TEXT NOT NULL,
  op_created_at TEXT NOT NULL, op_updated_at TEXT NOT NULL, phase TEXT, broker_operation TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_guid, name),
  CHECK ((type = 'app' AND app_guid IS NOT NULL) OR (type = 'key' AND app_guid IS NULL AND name IS NOT NULL))
);
INSERT INTO service_bindings_with_keys (guid, type, name, instance_guid, app_guid, predecessor_guid, established, expires_at,
  details_sealed, op_type, op_state, op_description, op_created_at, op_updated_at, phase, broker_operation, created_at, updated_at)
  SELECT guid, 'app', name, instance_guid, app_guid, predecessor_guid, established, expires_at,
  details_sealed, op_type, op_state, op_description, op_created_at, op_updated_at, phase, broker_operation, created_at, updated_at
  FROM service_bindings;
DROP TABLE service_bindings;
ALTER TABLE service_bindings_with_keys RENAME TO service_bindings;
CREATE UNIQUE INDEX service_keys_by_name ON service_bindings (instance_guid, name) WHERE type = 'key';
`;

/** Step i brings a database from user_version i to i + 1. */
const MIGRATIONS = [SCHEMA, IDENTITY_SCHEMA, SERVICE_KEYS_SCHEMA, PACKAGE_SCHEMA];
const SCHEMA_VERSION = MIGRATIONS.length;

/** Cloud Controller shows second-resolution UTC timestamps. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Row = Record<string, unknown>;

function text(row: Row, column: string): string {
  return row[column] as string;
}

function optionalText(row: Row, column: string): string | null {
  const value = row[column];
  return typeof value === 'string' ? value : null;
}

function lastOperationOf(row: Row): LastOperation {
  return {
    type: text(row, 'op_type') as LastOperation['type'],
    state: text(row, 'op_state') as LastOperation['state'],
    description: text(row, 'op_description'),
    createdAt: text(row, 'op_created_at'),
    updatedAt: text(row, 'op_updated_at'),
  };
}

export class ControllerStore {
  private readonly db: Database.Database;
  /** Users, roles and access tokens. */
  readonly identities: IdentityStore;
  /** Uploads of app bits. */
  readonly packages: PackageStore;

  constructor(dataDir: string, private readonly secrets: SecretBox) {
    this.db = new Database(join(dataDir, DATABASE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.identities = new IdentityStore(this.db);
    this.packages = new PackageStore(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version === SCHEMA_VERSION) return;
    if (version > SCHEMA_VERSION) throw new Error(`controller.db has schema version ${version}; this controller knows up to ${SCHEMA_VERSION}`);
    this.db.transaction(() => {
      for (const step of MIGRATIONS.slice(version)) this.db.exec(step);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  // --- organizations and spaces -------------------------------------------------------

  /** The single organization and space every resource lives in; created once, guids kept. */
  ensureDefaults(): { organization: OrganizationRecord; space: SpaceRecord } {
    return this.transaction(() => {
      let organization = this.organizationByName(DEFAULT_ORGANIZATION);
      if (!organization) {
        const now = timestamp();
        organization = { guid: randomUUID(), name: DEFAULT_ORGANIZATION, createdAt: now, updatedAt: now };
        this.db.prepare('INSERT INTO organizations VALUES (?, ?, ?, ?)').run(organization.guid, organization.name, now, now);
      }
      let space = this.listSpaces().find((s) => s.organizationGuid === organization.guid && s.name === DEFAULT_SPACE);
      if (!space) {
        const now = timestamp();
        space = { guid: randomUUID(), name: DEFAULT_SPACE, organizationGuid: organization.guid, createdAt: now, updatedAt: now };
        this.db.prepare('INSERT INTO spaces VALUES (?, ?, ?, ?, ?)').run(space.guid, space.name, organization.guid, now, now);
      }
      return { organization, space };
    });
  }

  private organizationOf(row: Row): OrganizationRecord {
    return { guid: text(row, 'guid'), name: text(row, 'name'), createdAt: text(row, 'created_at'), updatedAt: text(row, 'updated_at') };
  }

  organization(guid: string): OrganizationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM organizations WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.organizationOf(row);
  }

  private organizationByName(name: string): OrganizationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM organizations WHERE name = ?').get(name) as Row | undefined;
    return row && this.organizationOf(row);
  }

  listOrganizations(): OrganizationRecord[] {
    return (this.db.prepare('SELECT * FROM organizations ORDER BY created_at, rowid').all() as Row[]).map((r) => this.organizationOf(r));
  }

  private spaceOf(row: Row): SpaceRecord {
    return {
      guid: text(row, 'guid'),
      name: text(row, 'name'),
      organizationGuid: text(row, 'organization_guid'),
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  space(guid: string): SpaceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM spaces WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.spaceOf(row);
  }

  listSpaces(): SpaceRecord[] {
    return (this.db.prepare('SELECT * FROM spaces ORDER BY created_at, rowid').all() as Row[]).map((r) => this.spaceOf(r));
  }

  spaceByName(organizationGuid: string, name: string): SpaceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM spaces WHERE organization_guid = ? AND name = ?').get(organizationGuid, name) as Row | undefined;
    return row && this.spaceOf(row);
  }

  insertSpace(space: SpaceRecord): void {
    this.db.prepare('INSERT INTO spaces VALUES (?, ?, ?, ?, ?)').run(space.guid, space.name, space.organizationGuid, space.createdAt, space.updatedAt);
  }

  // --- service brokers ----------------------------------------------------------------

  private brokerOf(row: Row): ServiceBrokerRecord {
    return {
      guid: text(row, 'guid'),
      name: text(row, 'name'),
      url: text(row, 'url'),
      username: text(row, 'username'),
      state: text(row, 'state') as ServiceBrokerRecord['state'],
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  insertBroker(broker: ServiceBrokerRecord, password: string): void {
    this.db
      .prepare('INSERT INTO service_brokers VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(broker.guid, broker.name, broker.url, broker.username, this.secrets.seal(password, `service_brokers.password:${broker.guid}`), broker.state, broker.createdAt, broker.updatedAt);
  }

  broker(guid: string): ServiceBrokerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_brokers WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.brokerOf(row);
  }

  brokerByName(name: string): ServiceBrokerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_brokers WHERE name = ?').get(name) as Row | undefined;
    return row && this.brokerOf(row);
  }

  listBrokers(): ServiceBrokerRecord[] {
    return (this.db.prepare('SELECT * FROM service_brokers ORDER BY created_at, rowid').all() as Row[]).map((r) => this.brokerOf(r));
  }

  brokerCredentials(guid: string): BrokerCredentials | undefined {
    const row = this.db.prepare('SELECT username, password_sealed FROM service_brokers WHERE guid = ?').get(guid) as Row | undefined;
    if (!row) return undefined;
    return { username: text(row, 'username'), password: this.secrets.open(text(row, 'password_sealed'), `service_brokers.password:${guid}`) };
  }

  updateBroker(guid: string, changes: { name?: string; url?: string; credentials?: BrokerCredentials; state?: ServiceBrokerRecord['state'] }): void {
    const current = this.broker(guid);
    if (!current) return;
    const now = timestamp();
    this.db.prepare('UPDATE service_brokers SET name = ?, url = ?, state = ?, updated_at = ? WHERE guid = ?')
      .run(changes.name ?? current.name, changes.url ?? current.url, changes.state ?? current.state, now, guid);
    if (changes.credentials) {
      this.db.prepare('UPDATE service_brokers SET username = ?, password_sealed = ? WHERE guid = ?')
        .run(changes.credentials.username, this.secrets.seal(changes.credentials.password, `service_brokers.password:${guid}`), guid);
    }
  }

  deleteBroker(guid: string): void {
    this.db.prepare('DELETE FROM service_brokers WHERE guid = ?').run(guid);
  }

  // --- offerings and plans ------------------------------------------------------------

  private offeringOf(row: Row): ServiceOfferingRecord {
    return {
      guid: text(row, 'guid'),
      brokerGuid: text(row, 'broker_guid'),
      catalogId: text(row, 'catalog_id'),
      name: text(row, 'name'),
      available: row.available === 1,
      document: JSON.parse(text(row, 'document')) as OfferingDocument,
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  private planOf(row: Row): ServicePlanRecord {
    return {
      guid: text(row, 'guid'),
      offeringGuid: text(row, 'offering_guid'),
      catalogId: text(row, 'catalog_id'),
      name: text(row, 'name'),
      available: row.available === 1,
      visibility: text(row, 'visibility') as PlanVisibility,
      document: JSON.parse(text(row, 'document')) as ServicePlan,
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  offering(guid: string): ServiceOfferingRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_offerings WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.offeringOf(row);
  }

  listOfferings(): ServiceOfferingRecord[] {
    return (this.db.prepare('SELECT * FROM service_offerings ORDER BY created_at, rowid').all() as Row[]).map((r) => this.offeringOf(r));
  }

  offeringsOfBroker(brokerGuid: string): ServiceOfferingRecord[] {
    return (this.db.prepare('SELECT * FROM service_offerings WHERE broker_guid = ? ORDER BY created_at, rowid').all(brokerGuid) as Row[]).map((r) => this.offeringOf(r));
  }

  plan(guid: string): ServicePlanRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_plans WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.planOf(row);
  }

  listPlans(): ServicePlanRecord[] {
    return (this.db.prepare('SELECT * FROM service_plans ORDER BY created_at, rowid').all() as Row[]).map((r) => this.planOf(r));
  }

  plansOfOffering(offeringGuid: string): ServicePlanRecord[] {
    return (this.db.prepare('SELECT * FROM service_plans WHERE offering_guid = ? ORDER BY created_at, rowid').all(offeringGuid) as Row[]).map((r) => this.planOf(r));
  }

  setPlanVisibility(guid: string, visibility: PlanVisibility): void {
    this.db.prepare('UPDATE service_plans SET visibility = ?, updated_at = ? WHERE guid = ?').run(visibility, timestamp(), guid);
  }

  /**
   * Makes the stored offerings and plans of a broker match its catalog: matched by catalog
   * id, renamed and updated in place, new ones added (plans with `newPlanVisibility`).
   * Entries the catalog dropped are deleted when no instance uses them, otherwise kept as
   * unavailable so existing instances can still be updated and deleted.
   */
  synchronizeCatalog(
    brokerGuid: string,
    offerings: Array<{ document: OfferingDocument; plans: ServicePlan[] }>,
    newPlanVisibility: PlanVisibility,
  ): void {
    this.transaction(() => {
      const now = timestamp();
      const existingOfferings = new Map(this.offeringsOfBroker(brokerGuid).map((o) => [o.catalogId, o]));
      const keptOfferings = new Set<string>();
      for (const entry of offerings) {
        const found = existingOfferings.get(entry.document.id);
        const offeringGuid = found?.guid ?? randomUUID();
        keptOfferings.add(offeringGuid);
        if (found) {
          this.db.prepare('UPDATE service_offerings SET name = ?, available = 1, document = ?, updated_at = ? WHERE guid = ?')
            .run(entry.document.name, JSON.stringify(entry.document), now, offeringGuid);
        } else {
          this.db.prepare('INSERT INTO service_offerings VALUES (?, ?, ?, ?, 1, ?, ?, ?)')
            .run(offeringGuid, brokerGuid, entry.document.id, entry.document.name, JSON.stringify(entry.document), now, now);
        }
        const existingPlans = new Map(this.plansOfOffering(offeringGuid).map((p) => [p.catalogId, p]));
        const keptPlans = new Set<string>();
        for (const plan of entry.plans) {
          const foundPlan = existingPlans.get(plan.id);
          if (foundPlan) {
            keptPlans.add(foundPlan.guid);
            this.db.prepare('UPDATE service_plans SET name = ?, available = 1, document = ?, updated_at = ? WHERE guid = ?')
              .run(plan.name, JSON.stringify(plan), now, foundPlan.guid);
          } else {
            const planGuid = randomUUID();
            keptPlans.add(planGuid);
            this.db.prepare('INSERT INTO service_plans VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)')
              .run(planGuid, offeringGuid, plan.id, plan.name, newPlanVisibility, JSON.stringify(plan), now, now);
          }
        }
        for (const plan of existingPlans.values()) if (!keptPlans.has(plan.guid)) this.retirePlan(plan.guid, now);
      }
      for (const offering of existingOfferings.values()) {
        if (keptOfferings.has(offering.guid)) continue;
        for (const plan of this.plansOfOffering(offering.guid)) this.retirePlan(plan.guid, now);
        if (this.plansOfOffering(offering.guid).length === 0) this.db.prepare('DELETE FROM service_offerings WHERE guid = ?').run(offering.guid);
        else this.db.prepare('UPDATE service_offerings SET available = 0, updated_at = ? WHERE guid = ?').run(now, offering.guid);
      }
    });
  }

  private retirePlan(planGuid: string, now: string): void {
    const used = this.db.prepare('SELECT 1 FROM service_instances WHERE plan_guid = ? LIMIT 1').get(planGuid) !== undefined;
    if (used) this.db.prepare('UPDATE service_plans SET available = 0, updated_at = ? WHERE guid = ?').run(now, planGuid);
    else this.db.prepare('DELETE FROM service_plans WHERE guid = ?').run(planGuid);
  }

  instancesOfBroker(brokerGuid: string): ServiceInstanceRecord[] {
    const rows = this.db.prepare(`
      SELECT i.* FROM service_instances i
      JOIN service_plans p ON p.guid = i.plan_guid
      JOIN service_offerings o ON o.guid = p.offering_guid
      WHERE o.broker_guid = ? ORDER BY i.created_at, i.rowid`).all(brokerGuid) as Row[];
    return rows.map((r) => this.instanceOf(r));
  }

  // --- service instances --------------------------------------------------------------

  private instanceOf(row: Row): ServiceInstanceRecord {
    return {
      guid: text(row, 'guid'),
      name: text(row, 'name'),
      spaceGuid: text(row, 'space_guid'),
      planGuid: text(row, 'plan_guid'),
      tags: JSON.parse(text(row, 'tags')) as string[],
      dashboardUrl: optionalText(row, 'dashboard_url'),
      maintenanceInfoVersion: optionalText(row, 'maintenance_info_version'),
      usable: row.usable === 1,
      blockedUpdate: optionalText(row, 'blocked_update'),
      lastOperation: lastOperationOf(row),
      phase: optionalText(row, 'phase') as ServiceInstanceRecord['phase'],
      brokerOperation: optionalText(row, 'broker_operation'),
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  private instanceValues(i: ServiceInstanceRecord): unknown[] {
    const op = i.lastOperation;
    return [
      i.name, i.spaceGuid, i.planGuid, JSON.stringify(i.tags), i.dashboardUrl, i.maintenanceInfoVersion, i.usable ? 1 : 0,
      i.blockedUpdate, op.type, op.state, op.description, op.createdAt, op.updatedAt, i.phase, i.brokerOperation, i.createdAt, i.updatedAt,
    ];
  }

  insertInstance(instance: ServiceInstanceRecord): void {
    this.db.prepare('INSERT INTO service_instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(instance.guid, ...this.instanceValues(instance));
  }

  saveInstance(instance: ServiceInstanceRecord): void {
    this.db.prepare(`UPDATE service_instances SET name = ?, space_guid = ?, plan_guid = ?, tags = ?, dashboard_url = ?,
      maintenance_info_version = ?, usable = ?, blocked_update = ?, op_type = ?, op_state = ?, op_description = ?,
      op_created_at = ?, op_updated_at = ?, phase = ?, broker_operation = ?, created_at = ?, updated_at = ? WHERE guid = ?`)
      .run(...this.instanceValues(instance), instance.guid);
  }

  instance(guid: string): ServiceInstanceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_instances WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.instanceOf(row);
  }

  instanceByName(spaceGuid: string, name: string): ServiceInstanceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_instances WHERE space_guid = ? AND name = ?').get(spaceGuid, name) as Row | undefined;
    return row && this.instanceOf(row);
  }

  listInstances(): ServiceInstanceRecord[] {
    return (this.db.prepare('SELECT * FROM service_instances ORDER BY created_at, rowid').all() as Row[]).map((r) => this.instanceOf(r));
  }

  deleteInstance(guid: string): void {
    this.db.prepare('DELETE FROM service_instances WHERE guid = ?').run(guid);
  }

  // --- apps ---------------------------------------------------------------------------

  private appOf(row: Row): AppRecord {
    return {
      guid: text(row, 'guid'),
      name: text(row, 'name'),
      spaceGuid: text(row, 'space_guid'),
      state: text(row, 'state') as AppRecord['state'],
      command: text(row, 'command'),
      instances: row.instances as number,
      packageGuid: optionalText(row, 'package_guid'),
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  insertApp(app: AppRecord, environment: Record<string, string>): void {
    this.db.prepare(`INSERT INTO apps (guid, name, space_guid, state, command, instances, package_guid, environment_sealed, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(app.guid, app.name, app.spaceGuid, app.state, app.command, app.instances, app.packageGuid,
        this.secrets.sealJson(environment, `apps.environment:${app.guid}`), app.createdAt, app.updatedAt);
  }

  saveApp(app: AppRecord): void {
    this.db.prepare('UPDATE apps SET name = ?, state = ?, command = ?, instances = ?, package_guid = ?, updated_at = ? WHERE guid = ?')
      .run(app.name, app.state, app.command, app.instances, app.packageGuid, app.updatedAt, app.guid);
  }

  app(guid: string): AppRecord | undefined {
    const row = this.db.prepare('SELECT * FROM apps WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.appOf(row);
  }

  appByName(spaceGuid: string, name: string): AppRecord | undefined {
    const row = this.db.prepare('SELECT * FROM apps WHERE space_guid = ? AND name = ?').get(spaceGuid, name) as Row | undefined;
    return row && this.appOf(row);
  }

  listApps(): AppRecord[] {
    return (this.db.prepare('SELECT * FROM apps ORDER BY created_at, rowid').all() as Row[]).map((r) => this.appOf(r));
  }

  appEnvironment(guid: string): Record<string, string> {
    const row = this.db.prepare('SELECT environment_sealed FROM apps WHERE guid = ?').get(guid) as Row | undefined;
    if (!row) return {};
    return this.secrets.openJson(text(row, 'environment_sealed'), `apps.environment:${guid}`) as Record<string, string>;
  }

  saveAppEnvironment(guid: string, environment: Record<string, string>): void {
    this.db.prepare('UPDATE apps SET environment_sealed = ?, updated_at = ? WHERE guid = ?')
      .run(this.secrets.sealJson(environment, `apps.environment:${guid}`), timestamp(), guid);
  }

  deleteApp(guid: string): void {
    this.db.prepare('DELETE FROM apps WHERE guid = ?').run(guid);
  }

  // --- service credential bindings ----------------------------------------------------

  private bindingOf(row: Row): ServiceBindingRecord {
    return {
      guid: text(row, 'guid'),
      type: text(row, 'type') as ServiceBindingRecord['type'],
      name: optionalText(row, 'name'),
      instanceGuid: text(row, 'instance_guid'),
      appGuid: optionalText(row, 'app_guid'),
      predecessorGuid: optionalText(row, 'predecessor_guid'),
      established: row.established === 1,
      expiresAt: optionalText(row, 'expires_at'),
      lastOperation: lastOperationOf(row),
      phase: optionalText(row, 'phase') as ServiceBindingRecord['phase'],
      brokerOperation: optionalText(row, 'broker_operation'),
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  private bindingValues(b: ServiceBindingRecord): unknown[] {
    const op = b.lastOperation;
    return [
      b.name, b.instanceGuid, b.appGuid, b.predecessorGuid, b.established ? 1 : 0, b.expiresAt,
      op.type, op.state, op.description, op.createdAt, op.updatedAt, b.phase, b.brokerOperation, b.createdAt, b.updatedAt,
    ];
  }

  insertBinding(binding: ServiceBindingRecord): void {
    this.db.prepare(`INSERT INTO service_bindings (guid, type, name, instance_guid, app_guid, predecessor_guid, established, expires_at,
      op_type, op_state, op_description, op_created_at, op_updated_at, phase, broker_operation, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(binding.guid, binding.type, ...this.bindingValues(binding));
  }

  saveBinding(binding: ServiceBindingRecord): void {
    this.db.prepare(`UPDATE service_bindings SET name = ?, instance_guid = ?, app_guid = ?, predecessor_guid = ?, established = ?,
      expires_at = ?, op_type = ?, op_state = ?, op_description = ?, op_created_at = ?, op_updated_at = ?, phase = ?,
      broker_operation = ?, created_at = ?, updated_at = ? WHERE guid = ?`).run(...this.bindingValues(binding), binding.guid);
  }

  binding(guid: string): ServiceBindingRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_bindings WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.bindingOf(row);
  }

  listBindings(): ServiceBindingRecord[] {
    return (this.db.prepare('SELECT * FROM service_bindings ORDER BY created_at, rowid').all() as Row[]).map((r) => this.bindingOf(r));
  }

  bindingsOfInstance(instanceGuid: string): ServiceBindingRecord[] {
    return (this.db.prepare('SELECT * FROM service_bindings WHERE instance_guid = ? ORDER BY created_at, rowid').all(instanceGuid) as Row[]).map((r) => this.bindingOf(r));
  }

  /** The service key of an instance with this name. */
  keyByName(instanceGuid: string, name: string): ServiceBindingRecord | undefined {
    const row = this.db.prepare("SELECT * FROM service_bindings WHERE type = 'key' AND instance_guid = ? AND name = ?").get(instanceGuid, name) as Row | undefined;
    return row && this.bindingOf(row);
  }

  bindingsOfApp(appGuid: string): ServiceBindingRecord[] {
    return (this.db.prepare('SELECT * FROM service_bindings WHERE app_guid = ? ORDER BY created_at, rowid').all(appGuid) as Row[]).map((r) => this.bindingOf(r));
  }

  bindingDetails(guid: string): BindingDetails | undefined {
    const row = this.db.prepare('SELECT details_sealed FROM service_bindings WHERE guid = ?').get(guid) as Row | undefined;
    const sealed = row && optionalText(row, 'details_sealed');
    if (!sealed) return undefined;
    const stored = this.secrets.openJson(sealed, `service_bindings.details:${guid}`) as {
      credentials: Record<string, unknown>;
      syslog_drain_url: string | null;
      volume_mounts: VolumeMount[];
    };
    return { credentials: stored.credentials, syslogDrainUrl: stored.syslog_drain_url, volumeMounts: stored.volume_mounts };
  }

  saveBindingDetails(guid: string, details: BindingDetails): void {
    const sealed = this.secrets.sealJson(
      { credentials: details.credentials, syslog_drain_url: details.syslogDrainUrl, volume_mounts: details.volumeMounts },
      `service_bindings.details:${guid}`,
    );
    this.db.prepare('UPDATE service_bindings SET details_sealed = ? WHERE guid = ?').run(sealed, guid);
  }

  deleteBinding(guid: string): void {
    this.db.prepare('DELETE FROM service_bindings WHERE guid = ?').run(guid);
  }

  // --- jobs ---------------------------------------------------------------------------

  private jobOf(row: Row): JobRecord {
    return {
      guid: text(row, 'guid'),
      operation: text(row, 'operation') as JobRecord['operation'],
      state: text(row, 'state') as JobRecord['state'],
      errors: JSON.parse(text(row, 'errors')) as ErrorEntry[],
      warnings: JSON.parse(text(row, 'warnings')) as string[],
      resourceType: text(row, 'resource_type') as JobRecord['resourceType'],
      resourceGuid: text(row, 'resource_guid'),
      userId: text(row, 'user_id'),
      payload: JSON.parse(text(row, 'payload')) as Record<string, unknown>,
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  insertJob(job: JobRecord): void {
    this.db.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(job.guid, job.operation, job.state, JSON.stringify(job.errors), JSON.stringify(job.warnings), job.resourceType,
        job.resourceGuid, job.userId, JSON.stringify(job.payload), job.createdAt, job.updatedAt);
  }

  saveJob(job: JobRecord): void {
    this.db.prepare('UPDATE jobs SET state = ?, errors = ?, warnings = ?, payload = ?, updated_at = ? WHERE guid = ?')
      .run(job.state, JSON.stringify(job.errors), JSON.stringify(job.warnings), JSON.stringify(job.payload), job.updatedAt, job.guid);
  }

  job(guid: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.jobOf(row);
  }

  processingJobs(): JobRecord[] {
    return (this.db.prepare("SELECT * FROM jobs WHERE state = 'PROCESSING' ORDER BY created_at, rowid").all() as Row[]).map((r) => this.jobOf(r));
  }

  processingJobFor(resourceType: JobRecord['resourceType'], resourceGuid: string): JobRecord | undefined {
    const row = this.db.prepare("SELECT * FROM jobs WHERE state = 'PROCESSING' AND resource_type = ? AND resource_guid = ? LIMIT 1")
      .get(resourceType, resourceGuid) as Row | undefined;
    return row && this.jobOf(row);
  }

  // --- orphan mitigations -------------------------------------------------------------

  private mitigationOf(row: Row): OrphanMitigationRecord {
    return {
      guid: text(row, 'guid'),
      kind: text(row, 'kind') as OrphanMitigationRecord['kind'],
      purpose: text(row, 'purpose') as OrphanMitigationRecord['purpose'],
      brokerGuid: text(row, 'broker_guid'),
      instanceGuid: text(row, 'instance_guid'),
      bindingGuid: optionalText(row, 'binding_guid'),
      serviceId: text(row, 'service_id'),
      planId: text(row, 'plan_id'),
      reason: text(row, 'reason'),
      state: text(row, 'state') as OrphanMitigationRecord['state'],
      attempts: row.attempts as number,
      lastError: optionalText(row, 'last_error'),
      nextAttemptAt: text(row, 'next_attempt_at'),
      createdAt: text(row, 'created_at'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  insertMitigation(m: OrphanMitigationRecord): void {
    this.db.prepare('INSERT INTO orphan_mitigations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(m.guid, m.kind, m.purpose, m.brokerGuid, m.instanceGuid, m.bindingGuid, m.serviceId, m.planId, m.reason, m.state,
        m.attempts, m.lastError, m.nextAttemptAt, m.createdAt, m.updatedAt);
  }

  saveMitigation(m: OrphanMitigationRecord): void {
    this.db.prepare('UPDATE orphan_mitigations SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE guid = ?')
      .run(m.state, m.attempts, m.lastError, m.nextAttemptAt, m.updatedAt, m.guid);
  }

  mitigation(guid: string): OrphanMitigationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM orphan_mitigations WHERE guid = ?').get(guid) as Row | undefined;
    return row && this.mitigationOf(row);
  }

  pendingMitigations(): OrphanMitigationRecord[] {
    return (this.db.prepare("SELECT * FROM orphan_mitigations WHERE state = 'pending' ORDER BY created_at, rowid").all() as Row[]).map((r) => this.mitigationOf(r));
  }

  /** The newest mitigation for an instance (bindingGuid null) or a binding. */
  latestMitigationFor(instanceGuid: string, bindingGuid: string | null): OrphanMitigationRecord | undefined {
    const row = (bindingGuid === null
      ? this.db.prepare("SELECT * FROM orphan_mitigations WHERE kind = 'instance' AND instance_guid = ? ORDER BY rowid DESC LIMIT 1").get(instanceGuid)
      : this.db.prepare("SELECT * FROM orphan_mitigations WHERE kind = 'binding' AND binding_guid = ? ORDER BY rowid DESC LIMIT 1").get(bindingGuid)) as Row | undefined;
    return row && this.mitigationOf(row);
  }

  pendingMitigationsOfBroker(brokerGuid: string): OrphanMitigationRecord[] {
    return (this.db.prepare("SELECT * FROM orphan_mitigations WHERE state = 'pending' AND broker_guid = ?").all(brokerGuid) as Row[]).map((r) => this.mitigationOf(r));
  }

  /** Forgets finished mitigations of a resource that no longer exists. */
  deleteFinishedMitigations(instanceGuid: string, bindingGuid: string | null): void {
    if (bindingGuid === null) {
      this.db.prepare("DELETE FROM orphan_mitigations WHERE kind = 'instance' AND instance_guid = ? AND state != 'pending'").run(instanceGuid);
    } else {
      this.db.prepare("DELETE FROM orphan_mitigations WHERE kind = 'binding' AND binding_guid = ? AND state != 'pending'").run(bindingGuid);
    }
  }
}
