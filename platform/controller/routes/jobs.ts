import { Router } from 'express';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';

/** /v3/jobs/:guid: where a 202's Location points; a job is its starter's (and the admins') to see. */
export function jobRoutes(deps: ControllerDeps): Router {
  const router = Router();
  router.get('/v3/jobs/:guid', (req, res) => {
    const access = accessOf(req);
    const job = deps.store.jobs.get(param(req, 'guid'));
    if (!job || !(access.isAdmin || job.userId === access.user.guid)) throw apiErrors.notFound('Job');
    res.json(presenterOf(deps, req).job(job));
  });
  return router;
}
