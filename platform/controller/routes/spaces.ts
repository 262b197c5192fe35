import { Router } from 'express';
import type { ControllerContext } from '../context';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import { matchesFilter, readListQuery } from '../request-validation';

/** /v3/spaces: read-only; the platform has exactly one. */
export function spaceRoutes(context: ControllerContext): Router {
  const router = Router();
  router.get('/v3/spaces', (req, res) => {
    const query = readListQuery(req.query, ['names', 'guids', 'organization_guids']);
    const spaces = context.store.listSpaces().filter((s) =>
      matchesFilter(query, 'names', s.name) && matchesFilter(query, 'guids', s.guid) && matchesFilter(query, 'organization_guids', s.organizationGuid));
    const presenter = presenterOf(context, req);
    res.json(presenter.list(spaces, query, '/v3/spaces', (s) => presenter.space(s)));
  });
  router.get('/v3/spaces/:guid', (req, res) => {
    const space = context.store.space(param(req, 'guid'));
    if (!space) throw apiErrors.notFound('Space');
    res.json(presenterOf(context, req).space(space));
  });
  return router;
}
