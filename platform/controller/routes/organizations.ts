import { Router } from 'express';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import { matchesFilter, readListQuery } from '../request-validation';

/** /v3/organizations: read-only; the platform has exactly one, which its members and admins see. */
export function organizationRoutes(deps: ControllerDeps): Router {
  const router = Router();
  router.get('/v3/organizations', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['names', 'guids']);
    const organizations = deps.store.organizations.list().filter((o) =>
      access.seesOrganization(o.guid) && matchesFilter(query, 'names', o.name) && matchesFilter(query, 'guids', o.guid));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(organizations, query, '/v3/organizations', (o) => presenter.organization(o)));
  });
  router.get('/v3/organizations/:guid', (req, res) => {
    const organization = deps.store.organizations.get(param(req, 'guid'));
    if (!organization || !accessOf(req).seesOrganization(organization.guid)) throw apiErrors.notFound('Organization');
    res.json(presenterOf(deps, req).organization(organization));
  });
  return router;
}
