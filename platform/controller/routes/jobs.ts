import { Router } from 'express';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import type { JobRecord } from '../records';

/** The space of a job's resource while it still exists; undefined once it is gone (or for a broker, which has none). */
function spaceOfResource(deps: ControllerDeps, job: JobRecord): string | undefined {
  const { store } = deps;
  switch (job.resourceType) {
    case 'service_instances':
      return store.instances.get(job.resourceGuid)?.spaceGuid;
    case 'service_credential_bindings': {
      const binding = store.bindings.get(job.resourceGuid);
      return binding && store.instances.get(binding.instanceGuid)?.spaceGuid;
    }
    case 'apps':
      return store.apps.get(job.resourceGuid)?.spaceGuid;
    case 'service_brokers':
      return undefined;
  }
}

/**
 * /v3/jobs/:guid: where a 202's Location points. A job is its starter's (and the admins') to
 * see, and the starter only while they may still see its resource's space: a developer who
 * lost the role no longer reads how the space's operations went.
 */
export function jobRoutes(deps: ControllerDeps): Router {
  const router = Router();
  router.get('/v3/jobs/:guid', (req, res) => {
    const access = accessOf(req);
    const job = deps.store.jobs.get(param(req, 'guid'));
    const space = job && spaceOfResource(deps, job);
    const visible = job !== undefined && (access.isAdmin || (job.userId === access.user.guid && (space === undefined || access.seesSpace(space))));
    if (!visible) throw apiErrors.notFound('Job');
    res.json(presenterOf(deps, req).job(job));
  });
  return router;
}
