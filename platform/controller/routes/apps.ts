import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { accessOf } from '../authentication';
import { deleteApp, restartApp, startApp, stopApp, vcapApplicationOf, vcapServicesOf } from '../app-lifecycle';
import { CellError } from '../cell-api';
import type { ControllerDeps } from '../deps';
import { requireApp } from '../resources';
import { apiErrors } from '../errors';
import { acceptedWithJob, param, presenterOf, sendSecret, userOf } from '../http';
import type { AppRecord } from '../records';
import {
  Problems, matchesFilter, objectBody, readInteger, readListQuery, readObject, readRelationship, readString,
  rejectUnknownFields, type JsonObject,
} from '../request-validation';
import { timestamp } from '../store';

/**
 * /v3/apps, in osbkit's reduced form: an app is a command, an instance count and environment
 * variables; its files are uploaded as packages (routes/packages.ts). Start, stop and restart go to the cell;
 * delete also unbinds every binding through its broker. An app is visible to whoever sees its
 * space; its environment (VCAP_SERVICES, variables) only to those who may read the space's
 * secrets; changes to space developers and admins.
 */

const MAX_COMMAND_LENGTH = 64 * 1024;
const MAX_INSTANCES = 256;
const MAX_ENVIRONMENT_BYTES = 128 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks environment variables; null values (PATCH only) delete a variable. */
function readEnvironment(value: JsonObject, field: string, problems: Problems, allowNull: boolean): Record<string, string | null> | undefined {
  const raw = readObject(value, field, problems);
  if (!raw) return undefined;
  const environment: Record<string, string | null> = {};
  let bytes = 0;
  for (const [name, content] of Object.entries(raw)) {
    if (!ENV_NAME.test(name)) problems.add(`'${field}.${name}' is not a valid environment variable name`);
    else if (name.startsWith('VCAP_')) problems.add(`'${field}.${name}': environment variable names cannot start with VCAP_`);
    else if (name === 'PORT') problems.add(`'${field}.PORT' cannot be set: the cell assigns it`);
    else if (content === null && allowNull) environment[name] = null;
    else if (typeof content !== 'string' || content.includes('\u0000')) problems.add(`'${field}.${name}' must be a string without NUL characters`);
    else {
      bytes += name.length + content.length;
      environment[name] = content;
    }
  }
  if (bytes > MAX_ENVIRONMENT_BYTES) problems.add(`'${field}' must be at most ${MAX_ENVIRONMENT_BYTES} bytes in total`);
  return environment;
}

/**
 * An app once named a directory on the controller's host that the cell copied into its
 * containers, so any developer could run (and read) any directory the app user could read,
 * another tenant's included. Apps now run only uploaded bits; the field is refused by name.
 */
function refusePath(value: JsonObject, problems: Problems): void {
  if (value.path !== undefined) problems.add("'path' is not accepted: an app runs only uploaded bits (POST /v3/packages, then POST /v3/packages/:guid/upload)");
}

function withoutDeleted(environment: Record<string, string | null>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) if (value !== null) kept[name] = value;
  return kept;
}

const CELL_STATES: Record<string, string> = { running: 'RUNNING', starting: 'STARTING', crashed: 'CRASHED', stopped: 'DOWN' };

export function appRoutes(deps: ControllerDeps, defaultSpaceGuid: string): Router {
  const router = Router();
  const { store } = deps;
  const appOf = (req: Request): AppRecord => requireApp(deps, accessOf(req), param(req, 'guid'));
  /** The app, if the caller may change it: 404 when they cannot see it, 403 when they only see it. */
  const changeableAppOf = (req: Request): AppRecord => {
    const app = appOf(req);
    accessOf(req).requireDeveloper(app.spaceGuid);
    return app;
  };
  const secretsOf = (req: Request): AppRecord => {
    const app = appOf(req);
    if (!accessOf(req).seesSecretsOf(app.spaceGuid)) throw apiErrors.notAuthorized();
    return app;
  };

  router.get('/v3/apps', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['names', 'space_guids']);
    const apps = store.apps.list().filter((a) => access.seesSpace(a.spaceGuid) && matchesFilter(query, 'names', a.name) && matchesFilter(query, 'space_guids', a.spaceGuid));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(apps, query, '/v3/apps', (a) => presenter.app(a)));
  });

  router.get('/v3/apps/:guid', (req, res) => {
    res.json(presenterOf(deps, req).app(appOf(req)));
  });

  router.post('/v3/apps', (req, res) => {
    const access = accessOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    refusePath(body, problems);
    rejectUnknownFields(body, ['name', 'command', 'env', 'instances', 'path', 'relationships'], problems);
    const name = readString(body, 'name', problems, { required: true });
    const command = readString(body, 'command', problems, { required: true, maxLength: MAX_COMMAND_LENGTH, multiline: true });
    const environment = readEnvironment(body, 'env', problems, false);
    const instances = readInteger(body, 'instances', problems, { min: 1, max: MAX_INSTANCES });
    const relationships = readObject(body, 'relationships', problems);
    if (relationships) rejectUnknownFields(relationships, ['space'], problems, 'relationships.');
    const spaceGuid = readRelationship(relationships, 'space', problems, false) ?? defaultSpaceGuid;
    problems.throwIfAny();
    if (!store.spaces.get(spaceGuid) || !access.seesSpace(spaceGuid)) throw apiErrors.unprocessable('Invalid space. Ensure that the space exists and you have access to it.');
    access.requireDeveloper(spaceGuid);
    if (store.apps.byName(spaceGuid, name!)) throw apiErrors.unprocessable(`App with the name '${name!}' already exists.`);
    const now = timestamp();
    const app: AppRecord = {
      guid: randomUUID(),
      name: name!,
      spaceGuid,
      state: 'STOPPED',
      command: command!,
      instances: instances ?? 1,
      packageGuid: null,
      createdAt: now,
      updatedAt: now,
    };
    store.apps.insert(app, withoutDeleted(environment ?? {}));
    deps.logger.info({ app: app.guid, name: app.name }, 'app created');
    res.status(201).json(presenterOf(deps, req).app(app));
  });

  // `env` merges into the existing variables, so a push does not wipe what set-env added.
  router.patch('/v3/apps/:guid', (req, res) => {
    const app = changeableAppOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    refusePath(body, problems);
    rejectUnknownFields(body, ['name', 'command', 'env', 'instances', 'path'], problems);
    const name = readString(body, 'name', problems);
    const command = readString(body, 'command', problems, { maxLength: MAX_COMMAND_LENGTH, multiline: true });
    const environment = readEnvironment(body, 'env', problems, true);
    const instances = readInteger(body, 'instances', problems, { min: 1, max: MAX_INSTANCES });
    problems.throwIfAny();
    const sameName = name !== undefined ? store.apps.byName(app.spaceGuid, name) : undefined;
    if (sameName && sameName.guid !== app.guid) throw apiErrors.unprocessable(`App with the name '${name!}' already exists.`);
    const updated: AppRecord = {
      ...app,
      ...(name !== undefined ? { name } : {}),
      ...(command !== undefined ? { command } : {}),
      ...(instances !== undefined ? { instances } : {}),
      updatedAt: timestamp(),
    };
    store.transaction(() => {
      store.apps.save(updated);
      if (environment) store.apps.saveEnvironment(app.guid, withoutDeleted({ ...store.apps.environment(app.guid), ...environment }));
    });
    res.json(presenterOf(deps, req).app(updated));
  });

  router.delete('/v3/apps/:guid', (req, res) => {
    const user = userOf(req);
    const app = changeableAppOf(req);
    if (store.jobs.processingFor('apps', app.guid)) throw apiErrors.unprocessable('The app is already being deleted.');
    acceptedWithJob(res, presenterOf(deps, req), deleteApp(deps, app, user));
  });

  router.post('/v3/apps/:guid/actions/start', async (req, res) => {
    res.json(presenterOf(deps, req).app(await startApp(deps, changeableAppOf(req))));
  });

  router.post('/v3/apps/:guid/actions/stop', async (req, res) => {
    res.json(presenterOf(deps, req).app(await stopApp(deps, changeableAppOf(req))));
  });

  router.post('/v3/apps/:guid/actions/restart', async (req, res) => {
    res.json(presenterOf(deps, req).app(await restartApp(deps, changeableAppOf(req))));
  });

  router.get('/v3/apps/:guid/env', (req, res) => {
    const app = secretsOf(req);
    sendSecret(res, {
      staging_env_json: {},
      running_env_json: {},
      environment_variables: store.apps.environment(app.guid),
      system_env_json: { VCAP_SERVICES: vcapServicesOf(deps, app.guid) },
      application_env_json: { VCAP_APPLICATION: vcapApplicationOf(deps, app) },
    });
  });

  const environmentBody = (req: Request, app: AppRecord): JsonObject => {
    const presenter = presenterOf(deps, req);
    return {
      var: store.apps.environment(app.guid),
      links: { self: presenter.href(`/v3/apps/${app.guid}/environment_variables`), app: presenter.href(`/v3/apps/${app.guid}`) },
    };
  };

  router.get('/v3/apps/:guid/environment_variables', (req, res) => {
    sendSecret(res, environmentBody(req, secretsOf(req)));
  });

  router.patch('/v3/apps/:guid/environment_variables', (req, res) => {
    const app = changeableAppOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['var'], problems);
    if (body.var === undefined) problems.add("'var' is required");
    const changes = readEnvironment(body, 'var', problems, true);
    problems.throwIfAny();
    store.apps.saveEnvironment(app.guid, withoutDeleted({ ...store.apps.environment(app.guid), ...changes }));
    sendSecret(res, environmentBody(req, app));
  });

  router.get('/v3/apps/:guid/processes', async (req, res) => {
    const app = appOf(req);
    let instances: Awaited<ReturnType<typeof deps.cell.status>> = [];
    if (app.state === 'STARTED') {
      try {
        instances = await deps.cell.status(app.guid);
      } catch (error) {
        throw apiErrors.runnerUnavailable(error instanceof CellError ? error.message : 'the cell failed');
      }
    }
    res.json({
      type: 'web',
      command: app.command,
      instances: app.instances,
      resources: instances.map((instance) => ({
        type: 'web',
        index: instance.index,
        state: CELL_STATES[instance.state] ?? instance.state.toUpperCase(),
        since: instance.since ?? null,
        crash_count: instance.crashCount ?? 0,
      })),
    });
  });

  router.get('/v3/apps/:guid/logs', async (req, res) => {
    const app = appOf(req);
    const query = req.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((key) => key !== 'recent');
    if (unknown.length > 0) throw apiErrors.badQuery(`Unknown query parameter(s): ${unknown.map((k) => `'${k}'`).join(', ')}. Valid parameters are: 'recent'`);
    if (query.recent !== undefined && query.recent !== 'true') throw apiErrors.badQuery("'recent' must be 'true': only recent logs can be fetched");
    try {
      res.json({ lines: await deps.cell.logs(app.guid, true) });
    } catch (error) {
      throw apiErrors.runnerUnavailable(error instanceof CellError ? error.message : 'the cell failed');
    }
  });

  return router;
}
