import { isPlainObject } from '../../json';
import { isAsync, type CheckDefinition, type SuiteEnv } from '../check';
import { CheckNotApplicable, osbPaths, type CheckContext } from '../context';
import type { PlanUnderTest } from '../plans';
import { instanceAnswerProblems } from '../shapes';

/** PATCH /v2/service_instances/:instance_id */

interface Change {
  body: Record<string, unknown>;
  what: string;
  /** The plan the instance has afterwards. */
  plan: PlanUnderTest;
}

/** An update that changes something the broker must act on: a plan change, or the configured parameters. */
function changingUpdate(plan: PlanUnderTest, env: SuiteEnv): Change | undefined {
  const sibling = env.allPlans.find((other) => other.planId === plan.siblingPlanId);
  if (plan.planUpdateable && sibling) {
    return { body: { service_id: plan.serviceId, plan_id: sibling.planId, previous_values: { plan_id: plan.planId } }, what: `a plan change to ${sibling.label}`, plan: sibling };
  }
  if (plan.options.updateParameters) {
    return { body: { service_id: plan.serviceId, parameters: plan.options.updateParameters }, what: 'an update of the parameters', plan };
  }
  return undefined;
}

async function patch(ctx: CheckContext, plan: PlanUnderTest, instanceId: string, body: unknown, acceptsIncomplete = ctx.acceptsIncomplete(plan)) {
  return ctx.send({ method: 'PATCH', path: osbPaths.instance(instanceId, { accepts_incomplete: acceptsIncomplete ? true : undefined }), body });
}

async function planOf(ctx: CheckContext, instanceId: string): Promise<unknown> {
  const fetched = await ctx.send({ method: 'GET', path: osbPaths.instance(instanceId) });
  ctx.expectStatus(fetched, [200], `fetching ${instanceId}`);
  return isPlainObject(fetched.json) ? fetched.json.plan_id : undefined;
}

export const updateChecks: CheckDefinition[] = [
  {
    id: 'update.plan-change',
    title: 'a plan change to another plan of a plan_updateable offering answers 200 (or 202, then succeeded) and the instance has the new plan',
    level: 'must',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    skip: (plan) => (!plan.planUpdateable ? 'the plan is not plan_updateable' : !plan.siblingPlanId ? 'the offering has no other plan' : undefined),
    async run(ctx, plan, env) {
      const change = changingUpdate(plan, env)!;
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await patch(ctx, plan, instanceId, change.body);
      ctx.expectStatus(answer, plan.options.async === true ? [202] : [200, 202], change.what);
      ctx.replan(instanceId, change.plan);
      const problems = instanceAnswerProblems(answer.json);
      ctx.must(problems.length === 0, `${answer.request} answered ${answer.status} with a body where ${problems.join('; ')}`);
      const outcome = await ctx.finish(plan, { instanceId }, answer, 'update');
      ctx.must(outcome.state === 'succeeded', `${change.what} ended ${outcome.state}${outcome.description ? `: ${outcome.description}` : ''}`);
      if (plan.instancesRetrievable) {
        const planId = await planOf(ctx, instanceId);
        ctx.must(planId === change.plan.planId, `after ${change.what} the instance has plan_id ${JSON.stringify(planId)}`);
      }
    },
  },
  {
    id: 'update.parameters',
    title: 'an update of the parameters answers 200 (or 202, then succeeded)',
    level: 'must',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    skip: (plan) => (plan.options.updateParameters ? undefined : 'no update parameters were given for the plan (updateParameters)'),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await patch(ctx, plan, instanceId, { service_id: plan.serviceId, parameters: plan.options.updateParameters });
      ctx.expectStatus(answer, plan.options.async === true ? [202] : [200, 202], 'an update of the parameters');
      const outcome = await ctx.finish(plan, { instanceId }, answer, 'update');
      ctx.must(outcome.state === 'succeeded', `the update ended ${outcome.state}${outcome.description ? `: ${outcome.description}` : ''}`);
    },
  },
  {
    id: 'update.no-change',
    title: 'an update that asks for no change answers 200',
    level: 'should',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await patch(ctx, plan, instanceId, { service_id: plan.serviceId });
      ctx.expectStatus(answer, [200, 202], 'an update with only service_id');
      await ctx.finish(plan, { instanceId }, answer, 'update');
      ctx.should(answer.status === 200, `an update with nothing to change answered ${answer.status}; 200 says at once that nothing changed`);
    },
  },
  {
    id: 'update.bad-request',
    title: 'an update without service_id, or with a body that is not a JSON object, gets 400 and changes nothing',
    level: 'must',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    async run(ctx, plan, env) {
      const { instanceId } = await ctx.provisioned(plan);
      const sibling = env.allPlans.find((other) => other.planId === plan.siblingPlanId);
      const cases: Array<[string, unknown]> = [
        ['no service_id', sibling ? { plan_id: sibling.planId } : { parameters: plan.options.updateParameters ?? {} }],
        ['a body that is not JSON', '{"service_id": '],
        ['a JSON array', '[]'],
        ['parameters that are a string', { service_id: plan.serviceId, parameters: 'size=1' }],
      ];
      for (const [what, body] of cases) {
        const answer = await patch(ctx, plan, instanceId, body);
        ctx.expectStatus(answer, [400], `an update with ${what}`);
      }
      if (plan.instancesRetrievable) {
        const planId = await planOf(ctx, instanceId);
        ctx.must(planId === undefined || planId === plan.planId, `after refused updates the instance has plan_id ${JSON.stringify(planId)}`);
      }
    },
  },
  {
    id: 'update.unknown-instance',
    title: 'an update of an instance that does not exist is refused with a 4xx (the spec names none; 404 says it best)',
    level: 'should',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    async run(ctx, plan) {
      const answer = await patch(ctx, plan, ctx.newId('inst'), { service_id: plan.serviceId, parameters: plan.options.updateParameters ?? {} });
      ctx.must(answer.status >= 400 && answer.status < 500, `${answer.request} answered ${answer.status} for an instance that does not exist`);
    },
  },
  {
    id: 'update.plan-not-updateable',
    title: 'a plan change on a plan that is not plan_updateable is refused with 422 and changes nothing',
    level: 'should',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    skip: (plan) => (plan.planUpdateable ? 'the plan is plan_updateable' : !plan.siblingPlanId ? 'the offering has no other plan' : undefined),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await patch(ctx, plan, instanceId, { service_id: plan.serviceId, plan_id: plan.siblingPlanId, previous_values: { plan_id: plan.planId } });
      ctx.expectStatus(answer, [422], 'a plan change the catalog does not allow');
      if (plan.instancesRetrievable) {
        const planId = await planOf(ctx, instanceId);
        ctx.must(planId === plan.planId, `after a refused plan change the instance has plan_id ${JSON.stringify(planId)}: a 4xx must change nothing`);
      }
    },
  },
  {
    id: 'update.async-required',
    title: 'an asynchronous plan refuses an update without accepts_incomplete with 422 AsyncRequired',
    level: 'must',
    spec: 'Asynchronous Operations',
    scope: 'plan',
    skip: (plan, env) => isAsync(plan) ?? (changingUpdate(plan, env) ? undefined : 'the plan is not plan_updateable and no updateParameters were given'),
    async run(ctx, plan, env) {
      const change = changingUpdate(plan, env)!;
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await patch(ctx, plan, instanceId, change.body, false);
      ctx.expectError(answer, 422, 'AsyncRequired', `${change.what} without accepts_incomplete`);
      if (plan.instancesRetrievable) {
        const planId = await planOf(ctx, instanceId);
        ctx.must(planId === plan.planId, `after a refused update the instance has plan_id ${JSON.stringify(planId)}: a 4xx must change nothing`);
      }
    },
  },
  {
    id: 'update.in-progress',
    title: 'an update sent again while it runs answers 202 with the same operation',
    level: 'must',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    skip: (plan, env) => isAsync(plan) ?? (changingUpdate(plan, env) ? undefined : 'the plan is not plan_updateable and no updateParameters were given'),
    async run(ctx, plan, env) {
      const change = changingUpdate(plan, env)!;
      const { instanceId } = await ctx.provisioned(plan);
      const first = await patch(ctx, plan, instanceId, change.body);
      ctx.expectStatus(first, [202], change.what);
      ctx.replan(instanceId, change.plan);
      const repeat = await patch(ctx, plan, instanceId, change.body);
      if (repeat.status === 200) {
        const end = await ctx.finish(plan, { instanceId }, first, 'update');
        if (end.state === 'succeeded') throw new CheckNotApplicable('the update finished before it could be repeated; make operations last a second or more');
      }
      ctx.expectStatus(repeat, [202], `${change.what} sent again while it runs`);
      const operation = (body: unknown): unknown => (isPlainObject(body) ? body.operation : undefined);
      ctx.must(operation(repeat.json) === operation(first.json), `the repeat answered operation ${JSON.stringify(operation(repeat.json))}, the original ${JSON.stringify(operation(first.json))}`);
      const outcome = await ctx.finish(plan, { instanceId }, first, 'update');
      ctx.must(outcome.state === 'succeeded', `the update ended ${outcome.state}`);
    },
  },
  {
    id: 'update.maintenance-info',
    title: 'an update with a maintenance_info.version the catalog does not have gets 422 MaintenanceInfoConflict; the catalog\'s version is accepted (or refused as an unsupported change, 422)',
    level: 'must',
    spec: 'Updating a Service Instance',
    scope: 'plan',
    skip: (plan) => (plan.maintenanceVersion ? undefined : 'the plan has no maintenance_info'),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const stale = await patch(ctx, plan, instanceId, { service_id: plan.serviceId, maintenance_info: { version: '99.0.0-osbkit-check' } });
      ctx.expectError(stale, 422, 'MaintenanceInfoConflict', 'an update to a maintenance_info.version the catalog does not have');
      const current = await patch(ctx, plan, instanceId, { service_id: plan.serviceId, maintenance_info: { version: plan.maintenanceVersion } });
      ctx.expectStatus(current, [200, 202, 422], 'an update to the catalog\'s maintenance_info.version');
      if (current.status === 422) {
        ctx.warnings.push(`the broker refused the catalog's maintenance_info.version with 422 (${JSON.stringify(current.json)}): platforms cannot upgrade its instances`);
        return;
      }
      const outcome = await ctx.finish(plan, { instanceId }, current, 'update');
      ctx.must(outcome.state === 'succeeded', `the maintenance update ended ${outcome.state}`);
    },
  },
];
