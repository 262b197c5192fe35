import { Router } from 'express';
import type { ControllerContext } from '../context';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';

/** /v3/jobs/:guid: where a 202's Location points. */
export function jobRoutes(context: ControllerContext): Router {
  const router = Router();
  router.get('/v3/jobs/:guid', (req, res) => {
    const job = context.store.job(param(req, 'guid'));
    if (!job) throw apiErrors.notFound('Job');
    res.json(presenterOf(context, req).job(job));
  });
  return router;
}
