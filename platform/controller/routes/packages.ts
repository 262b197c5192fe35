import { Router, type Request, type Response } from 'express';
import type { Access } from '../access';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { requireApp } from '../resources';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import { createPackage, uploadPackage } from '../package-operations';
import type { AppRecord, PackageRecord } from '../records';
import {
  Problems, matchesFilter, objectBody, readListQuery, readObject, readRelationship, readString, rejectUnknownFields,
} from '../request-validation';

/**
 * /v3/packages: an app's bits, uploaded, as Cloud Controller v3 has them. A package is as
 * visible as its app's space (404 elsewhere); creating one and uploading to it need the right
 * to change the app. The upload is the request body itself: a tar archive, gzip-compressed or
 * not (Cloud Controller takes a zip in a multipart form).
 */

interface VisiblePackage {
  record: PackageRecord;
  app: AppRecord;
}

function visiblePackage(deps: ControllerDeps, access: Access, guid: string): VisiblePackage {
  const record = deps.store.packages.get(guid);
  const app = record && deps.store.apps.get(record.appGuid);
  if (!record || !app || !access.seesSpace(app.spaceGuid)) throw apiErrors.notFound('Package');
  return { record, app };
}

/** How long the rest of a refused upload is read and thrown away, so the client can read the answer. */
const LINGER_MS = 2000;

/**
 * After refusing an upload whose body has not all arrived: nothing more is stored, the rest
 * is discarded for at most LINGER_MS (a client still sending would otherwise get a reset
 * instead of the 422), then the connection is closed.
 */
function discardTheRest(req: Request, res: Response): void {
  res.once('finish', () => {
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    req.once('end', () => clearTimeout(timer));
    req.socket.once('close', () => clearTimeout(timer));
    req.resume();
  });
}

function declaredLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

/** The upload reads its own body, so it is mounted before the JSON body parser. */
export function packageUploadRoutes(deps: ControllerDeps): Router {
  const router = Router();
  router.post('/v3/packages/:guid/upload', async (req, res) => {
    try {
      const access = accessOf(req);
      const { record, app } = visiblePackage(deps, access, param(req, 'guid'));
      access.requireDeveloper(app.spaceGuid);
      const contentType = (req.headers['content-type'] ?? '').toLowerCase();
      if (contentType.startsWith('multipart/') || contentType.startsWith('application/json')) {
        throw apiErrors.unprocessable('Send the bits as the request body itself: a tar archive, gzip-compressed or not (Content-Type: application/x-tar or application/gzip).');
      }
      res.json(presenterOf(deps, req).package(await uploadPackage(deps, record, req, declaredLength(req))));
    } catch (error) {
      if (!req.readableEnded) discardTheRest(req, res);
      throw error;
    }
  });
  return router;
}

export function packageRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;
  const FILTERS = ['guids', 'app_guids', 'space_guids', 'states', 'types'];

  const visibleList = (req: Request, records: PackageRecord[], path: string) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, FILTERS);
    const appsByGuid = new Map(store.apps.list().map((app) => [app.guid, app]));
    const shown = records.filter((record) => {
      const app = appsByGuid.get(record.appGuid);
      return app !== undefined && access.seesSpace(app.spaceGuid)
        && matchesFilter(query, 'guids', record.guid) && matchesFilter(query, 'app_guids', record.appGuid)
        && matchesFilter(query, 'space_guids', app.spaceGuid) && matchesFilter(query, 'states', record.state)
        && matchesFilter(query, 'types', 'bits');
    });
    const presenter = presenterOf(deps, req);
    return presenter.list(shown, query, path, (record) => presenter.package(record));
  };

  router.post('/v3/packages', (req, res) => {
    const access = accessOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['type', 'relationships'], problems);
    const type = readString(body, 'type', problems, { required: true });
    if (type !== undefined && type !== 'bits') problems.add("'type' must be 'bits': osbkit runs only uploaded bits");
    const relationships = readObject(body, 'relationships', problems);
    if (relationships) rejectUnknownFields(relationships, ['app'], problems, 'relationships.');
    const appGuid = readRelationship(relationships, 'app', problems, true);
    problems.throwIfAny();
    const app = store.apps.get(appGuid!);
    if (!app || !access.seesSpace(app.spaceGuid)) throw apiErrors.unprocessable('App is invalid. Ensure it exists and you have access to it.');
    access.requireDeveloper(app.spaceGuid);
    res.status(201).json(presenterOf(deps, req).package(createPackage(deps, app)));
  });

  router.get('/v3/packages', (req, res) => {
    res.json(visibleList(req, store.packages.list(), '/v3/packages'));
  });

  router.get('/v3/packages/:guid', (req, res) => {
    res.json(presenterOf(deps, req).package(visiblePackage(deps, accessOf(req), param(req, 'guid')).record));
  });

  router.get('/v3/apps/:guid/packages', (req, res) => {
    const app = requireApp(deps, accessOf(req), param(req, 'guid'));
    res.json(visibleList(req, store.packages.ofApp(app.guid), `/v3/apps/${app.guid}/packages`));
  });

  return router;
}
