import { Router, type Request, type Response } from 'express';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import type { PlanVisibility, ServicePlanRecord } from '../records';
import { Problems, matchesFilter, objectBody, readListQuery, rejectUnknownFields } from '../request-validation';

/**
 * /v3/service_plans and service access. Plans start admin-only, as in Cloud Foundry; a
 * `public` visibility makes them usable for new instances and visible to everyone. Only
 * admins change visibility.
 */
export function servicePlanRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;

  const requirePlan = (req: Request): ServicePlanRecord => {
    const plan = store.catalog.plan(param(req, 'guid'));
    if (!plan || !accessOf(req).seesPlan(plan)) throw apiErrors.notFound('Service plan');
    return plan;
  };

  router.get('/v3/service_plans', (req, res) => {
    const query = readListQuery(req.query, [
      'names', 'service_offering_names', 'service_offering_guids', 'service_broker_names', 'service_broker_guids', 'available',
    ]);
    const access = accessOf(req);
    const plans = store.catalog.listPlans().filter((plan) => {
      if (!access.seesPlan(plan)) return false;
      const offering = store.catalog.offering(plan.offeringGuid);
      const broker = offering && store.brokers.get(offering.brokerGuid);
      return matchesFilter(query, 'names', plan.name)
        && matchesFilter(query, 'service_offering_names', offering?.name)
        && matchesFilter(query, 'service_offering_guids', plan.offeringGuid)
        && matchesFilter(query, 'service_broker_names', broker?.name)
        && matchesFilter(query, 'service_broker_guids', broker?.guid)
        && matchesFilter(query, 'available', String(plan.available));
    });
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(plans, query, '/v3/service_plans', (p) => presenter.plan(p)));
  });

  router.get('/v3/service_plans/:guid', (req, res) => {
    res.json(presenterOf(deps, req).plan(requirePlan(req)));
  });

  router.get('/v3/service_plans/:guid/visibility', (req, res) => {
    res.json({ type: requirePlan(req).visibility });
  });

  // CC appends organizations with POST and replaces with PATCH; with only public/admin both set the type.
  const setVisibility = (req: Request, res: Response): void => {
    const plan = requirePlan(req);
    accessOf(req).requireAdmin();
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['type'], problems);
    const type = body.type;
    if (type !== 'public' && type !== 'admin') {
      problems.add(type === 'organization' || type === 'space'
        ? `'type' ${JSON.stringify(type)} is not supported: this platform has a single organization; use 'public' or 'admin'`
        : "'type' must be 'public' or 'admin'");
    }
    problems.throwIfAny();
    store.catalog.setPlanVisibility(plan.guid, type as PlanVisibility);
    deps.logger.info({ plan: plan.guid, visibility: type }, 'service plan visibility changed');
    res.json({ type });
  };
  router.post('/v3/service_plans/:guid/visibility', setVisibility);
  router.patch('/v3/service_plans/:guid/visibility', setVisibility);

  return router;
}
