/**
 * The controller database's schema, as the steps that built it. A step, once released, never
 * changes: databases made by an older controller run only the steps they lack.
 */

/** The first schema: organizations, spaces, brokers, the catalog, instances, apps, bindings, jobs, orphan mitigations. */
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


/** Users, roles and access tokens (identities.ts). */
const IDENTITY_SCHEMA = `
CREATE TABLE users (
  guid TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, password_hash TEXT NOT NULL, admin INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE roles (
  guid TEXT PRIMARY KEY, type TEXT NOT NULL, user_guid TEXT NOT NULL REFERENCES users(guid) ON DELETE CASCADE,
  organization_guid TEXT REFERENCES organizations(guid) ON DELETE CASCADE,
  space_guid TEXT REFERENCES spaces(guid) ON DELETE CASCADE,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  CHECK ((organization_guid IS NULL) <> (space_guid IS NULL))
);
CREATE UNIQUE INDEX roles_once ON roles (type, user_guid, IFNULL(organization_guid, ''), IFNULL(space_guid, ''));
CREATE TABLE access_tokens (
  digest TEXT PRIMARY KEY, user_guid TEXT NOT NULL REFERENCES users(guid) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL, created_at TEXT NOT NULL
);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
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


/**
 * Packages (packages.ts), and the app's column naming the package it runs. An app's `path`
 * (a host directory its creator named) is gone: an app runs only what was uploaded.
 */
const PACKAGE_SCHEMA = `
CREATE TABLE packages (
  guid TEXT PRIMARY KEY, app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE, state TEXT NOT NULL,
  checksum TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX packages_by_app ON packages (app_guid);
ALTER TABLE apps ADD COLUMN package_guid TEXT;
ALTER TABLE apps DROP COLUMN path;
`;


/** Step i brings a database from user_version i to i + 1. */
export const MIGRATIONS: readonly string[] = [SCHEMA, IDENTITY_SCHEMA, SERVICE_KEYS_SCHEMA, PACKAGE_SCHEMA];
