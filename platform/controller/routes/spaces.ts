import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import type { SpaceRecord } from '../records';
import { Problems, matchesFilter, objectBody, readListQuery, readObject, readRelationship, readString, rejectUnknownFields } from '../request-validation';
import { timestamp } from '../store';

/** /v3/spaces: each user sees the spaces they have a role in; admins create them. */
export function spaceRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;

  router.get('/v3/spaces', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['names', 'guids', 'organization_guids']);
    const spaces = store.spaces.list().filter((s) =>
      access.seesSpace(s.guid)
      && matchesFilter(query, 'names', s.name) && matchesFilter(query, 'guids', s.guid) && matchesFilter(query, 'organization_guids', s.organizationGuid));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(spaces, query, '/v3/spaces', (s) => presenter.space(s)));
  });

  router.get('/v3/spaces/:guid', (req, res) => {
    const space = store.spaces.get(param(req, 'guid'));
    if (!space || !accessOf(req).seesSpace(space.guid)) throw apiErrors.notFound('Space');
    res.json(presenterOf(deps, req).space(space));
  });

  router.post('/v3/spaces', (req, res) => {
    const access = accessOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['name', 'relationships'], problems);
    const name = readString(body, 'name', problems, { required: true });
    const relationships = readObject(body, 'relationships', problems);
    if (body.relationships === undefined) problems.add("'relationships' is required");
    if (relationships) rejectUnknownFields(relationships, ['organization'], problems, 'relationships.');
    const organizationGuid = readRelationship(relationships, 'organization', problems, true);
    problems.throwIfAny();
    const organization = store.organizations.get(organizationGuid!);
    if (!organization || !access.seesOrganization(organization.guid)) {
      throw apiErrors.unprocessable('Invalid organization. Ensure that the organization exists and you have access to it.');
    }
    access.requireAdmin();
    if (store.spaces.byName(organization.guid, name!)) throw apiErrors.unprocessable('Name must be unique per organization');
    const now = timestamp();
    const space: SpaceRecord = { guid: randomUUID(), name: name!, organizationGuid: organization.guid, createdAt: now, updatedAt: now };
    store.spaces.insert(space);
    deps.logger.info({ space: space.guid, by: access.user.guid }, 'space created');
    res.status(201).json(presenterOf(deps, req).space(space));
  });

  return router;
}
