import { isPlainObject } from '../../json';
import { isAsync, type CheckDefinition, type SuiteEnv } from '../check';
import { CheckNotApplicable, osbPaths, type CheckContext } from '../context';
import type { PlanUnderTest } from '../plans';
import { invalidParameters, otherValidParameters } from '../schema-values';
import { instanceAnswerProblems } from '../shapes';
import { expectGone } from './catalog-and-headers';

/** PUT /v2/service_instances/:instance_id */

const operationOf = (body: unknown): string | undefined => (isPlainObject(body) && typeof body.operation === 'string' ? body.operation : undefined);

/** A provision body with attributes that differ from `ctx.provisionBody(plan)`, and what differs. */
function conflictingBody(ctx: CheckContext, plan: PlanUnderTest, env: SuiteEnv): { body: Record<string, unknown>; what: string } | undefined {
  const sibling = env.allPlans.find((other) => other.planId === plan.siblingPlanId);
  if (sibling) return { body: ctx.provisionBody(plan, { plan_id: sibling.planId, parameters: sibling.options.parameters ?? {} }), what: `plan ${sibling.label}` };
  const other = otherValidParameters(plan.createSchema, plan.options.parameters ?? {});
  if (other) return { body: ctx.provisionBody(plan, { parameters: other }), what: 'other parameters' };
  return undefined;
}

export const provisionChecks: CheckDefinition[] = [
  {
    id: 'provision.create',
    title: 'a provision answers 201 (or 202, then last_operation reaches succeeded) with a well-formed body',
    level: 'must',
    spec: 'Provisioning',
    scope: 'plan',
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const answer = await ctx.provision(plan, instanceId, ctx.provisionBody(plan));
      const expected = plan.options.async === true ? [202] : plan.options.async === false ? [201] : [201, 202];
      ctx.expectStatus(answer, expected, `a new instance of plan ${plan.label}${plan.options.async === false ? ' without accepts_incomplete' : ''}`);
      const problems = instanceAnswerProblems(answer.json);
      ctx.must(problems.length === 0, `${answer.request} answered ${answer.status} with a body where ${problems.join('; ')}`);
      const outcome = await ctx.finish(plan, { instanceId }, answer, 'provision');
      ctx.must(outcome.state === 'succeeded', `the provision ended ${outcome.state}${outcome.description ? `: ${outcome.description}` : ''}`);
    },
  },
  {
    id: 'provision.repeat',
    title: 'an identical provision of an instance that exists answers 200 with the same body',
    level: 'should',
    spec: 'Provisioning',
    scope: 'plan',
    async run(ctx, plan) {
      const body = ctx.provisionBody(plan);
      const instanceId = ctx.newId('inst');
      const first = await ctx.provision(plan, instanceId, body);
      ctx.expectStatus(first, [201, 202], 'the first provision');
      const outcome = await ctx.finish(plan, { instanceId }, first, 'provision');
      ctx.must(outcome.state === 'succeeded', `the first provision ended ${outcome.state}`);
      const repeat = await ctx.provision(plan, instanceId, body);
      ctx.expectStatus(repeat, [200], 'the identical repeat of a finished provision');
      const problems = instanceAnswerProblems(repeat.json);
      ctx.must(problems.length === 0, `${repeat.request} answered 200 with a body where ${problems.join('; ')}`);
      if (first.status === 201) ctx.must(JSON.stringify(repeat.json) === JSON.stringify(first.json), `the repeat answered ${JSON.stringify(repeat.json)}, the provision ${JSON.stringify(first.json)}`);
    },
  },
  {
    id: 'provision.conflict',
    title: 'a provision of an existing id with other attributes answers 409 and changes nothing',
    level: 'must',
    spec: 'Provisioning',
    scope: 'plan',
    async run(ctx, plan, env) {
      const conflict = conflictingBody(ctx, plan, env);
      if (!conflict) throw new CheckNotApplicable('the offering has one plan and no second valid parameter set can be derived from the plan\'s schema');
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await ctx.send({ method: 'PUT', path: osbPaths.instance(instanceId, ctx.incomplete(plan)), body: conflict.body });
      ctx.expectStatus(answer, [409], `a provision of existing ${instanceId} with ${conflict.what}`);
      if (plan.instancesRetrievable) {
        const fetched = await ctx.send({ method: 'GET', path: osbPaths.instance(instanceId) });
        ctx.expectStatus(fetched, [200], 'fetching the instance after the refused provision');
        const planId = isPlainObject(fetched.json) ? fetched.json.plan_id : undefined;
        ctx.must(planId === undefined || planId === plan.planId, `after a 409 the instance has plan_id ${JSON.stringify(planId)}, not ${plan.planId}: a 4xx must change nothing`);
      }
    },
  },
  {
    id: 'provision.without-accepts-incomplete',
    title: 'a provision without accepts_incomplete never answers 202: 201, or 422 AsyncRequired',
    level: 'must',
    spec: 'Asynchronous Operations',
    scope: 'plan',
    skip: (plan) => (plan.options.async === undefined ? undefined : 'the plan declares whether it is asynchronous; provision.create and provision.async-required cover it'),
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const answer = await ctx.provision(plan, instanceId, ctx.provisionBody(plan), {});
      ctx.expectStatus(answer, [201, 422], 'a provision without accepts_incomplete');
      if (answer.status === 422) {
        ctx.expectError(answer, 422, 'AsyncRequired', 'a provision without accepts_incomplete that the broker cannot do at once');
        await expectGone(ctx, instanceId, plan, 'a provision refused with 422 AsyncRequired');
      }
    },
  },
  {
    id: 'provision.async-required',
    title: 'an asynchronous plan refuses a provision without accepts_incomplete with 422 AsyncRequired and makes nothing',
    level: 'must',
    spec: 'Asynchronous Operations',
    scope: 'plan',
    skip: isAsync,
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const answer = await ctx.provision(plan, instanceId, ctx.provisionBody(plan), {});
      ctx.expectError(answer, 422, 'AsyncRequired', 'a provision without accepts_incomplete');
      await expectGone(ctx, instanceId, plan, 'a provision refused with 422 AsyncRequired');
    },
  },
  {
    id: 'provision.in-progress',
    title: 'a provision sent again while it runs answers 202 with the same operation',
    level: 'must',
    spec: 'Provisioning',
    scope: 'plan',
    skip: isAsync,
    async run(ctx, plan) {
      const body = ctx.provisionBody(plan);
      const instanceId = ctx.newId('inst');
      const first = await ctx.provision(plan, instanceId, body);
      ctx.expectStatus(first, [202], 'a provision with accepts_incomplete=true');
      const repeat = await ctx.provision(plan, instanceId, body);
      if (repeat.status === 200) {
        const end = await ctx.finish(plan, { instanceId }, first, 'provision');
        throw end.state === 'succeeded'
          ? new CheckNotApplicable('the provision finished before it could be repeated; make operations last a second or more')
          : new Error(`the repeat answered 200 but the provision ended ${end.state}`);
      }
      ctx.expectStatus(repeat, [202], 'the provision sent again while it runs');
      ctx.must(operationOf(repeat.json) === operationOf(first.json), `the repeat answered operation ${JSON.stringify(operationOf(repeat.json))}, the original ${JSON.stringify(operationOf(first.json))}`);
      const outcome = await ctx.finish(plan, { instanceId }, first, 'provision');
      ctx.must(outcome.state === 'succeeded', `the provision ended ${outcome.state}`);
    },
  },
  {
    id: 'provision.missing-fields',
    title: 'a provision without service_id, plan_id, organization_guid or space_guid gets 400 and makes nothing',
    level: 'must',
    spec: 'Provisioning',
    scope: 'plan',
    async run(ctx, plan) {
      for (const field of ['service_id', 'plan_id', 'organization_guid', 'space_guid']) {
        const body = ctx.provisionBody(plan);
        delete body[field];
        const instanceId = ctx.newId('inst');
        const answer = await ctx.provision(plan, instanceId, body);
        ctx.expectStatus(answer, [400], `a provision without ${field}`);
        await expectGone(ctx, instanceId, plan, `a provision without ${field} was refused`);
      }
    },
  },
  {
    id: 'provision.unknown-ids',
    title: 'a provision naming a service or plan the catalog does not have (or a plan of another offering) is refused with 400 and makes nothing',
    level: 'must',
    spec: 'Provisioning',
    scope: 'plan',
    async run(ctx, plan, env) {
      const foreign = env.allPlans.find((other) => other.serviceId !== plan.serviceId);
      const cases: Array<[string, Record<string, unknown>]> = [
        ['an unknown service_id', { service_id: 'osbkit-check-no-such-service' }],
        ['an unknown plan_id', { plan_id: 'osbkit-check-no-such-plan' }],
        ...(foreign ? [[`plan ${foreign.label} of another offering`, { plan_id: foreign.planId }] as [string, Record<string, unknown>]] : []),
      ];
      for (const [what, overrides] of cases) {
        const instanceId = ctx.newId('inst');
        const answer = await ctx.provision(plan, instanceId, ctx.provisionBody(plan, overrides));
        ctx.must(answer.status >= 400 && answer.status < 500, `a provision with ${what}: ${answer.request} answered ${answer.status}; it must be refused with a 4xx (400)`);
        ctx.should(answer.status === 400, `a provision with ${what} answered ${answer.status}; 400 names the problem best`);
        await expectGone(ctx, instanceId, plan, `a provision with ${what} was refused`);
      }
    },
  },
  {
    id: 'provision.malformed',
    title: 'a provision whose body is not JSON, not an object, or has fields of the wrong type gets 400 and makes nothing',
    level: 'must',
    spec: 'Content Type; Provisioning',
    scope: 'plan',
    async run(ctx, plan) {
      const cases: Array<[string, unknown]> = [
        ['a body that is not JSON', '{"service_id": '],
        ['a JSON array', '[]'],
        ['parameters that are a string', ctx.provisionBody(plan, { parameters: 'size=1' })],
        ['a context that is a string', ctx.provisionBody(plan, { context: 'cloudfoundry' })],
        ['a service_id that is a number', ctx.provisionBody(plan, { service_id: 42 })],
      ];
      for (const [what, body] of cases) {
        const instanceId = ctx.newId('inst');
        const answer = await ctx.provision(plan, instanceId, body);
        ctx.expectStatus(answer, [400], `a provision with ${what}`);
        await expectGone(ctx, instanceId, plan, `a provision with ${what} was refused`);
      }
    },
  },
  {
    id: 'provision.vendor-fields',
    title: 'fields the spec does not define, in the body and in the context, are ignored',
    level: 'must',
    spec: 'Vendor Extension Fields',
    scope: 'plan',
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const body = ctx.provisionBody(plan, { osbkit_check_extension: { nested: [1, 'two'] }, context: { ...ctx.context(), osbkit_check_extension: 'x' } });
      const answer = await ctx.provision(plan, instanceId, body);
      ctx.expectStatus(answer, [201, 202], 'a provision with extension fields');
      const outcome = await ctx.finish(plan, { instanceId }, answer, 'provision');
      ctx.must(outcome.state === 'succeeded', `the provision with extension fields ended ${outcome.state}`);
    },
  },
  {
    id: 'provision.maintenance-info',
    title: 'a provision with the plan\'s maintenance_info.version succeeds; another version gets 422 MaintenanceInfoConflict and makes nothing',
    level: 'must',
    spec: 'Provisioning',
    scope: 'plan',
    skip: (plan) => (plan.maintenanceVersion ? undefined : 'the plan has no maintenance_info'),
    async run(ctx, plan) {
      const stale = ctx.newId('inst');
      const refused = await ctx.provision(plan, stale, ctx.provisionBody(plan, { maintenance_info: { version: '99.0.0-osbkit-check' } }));
      ctx.expectError(refused, 422, 'MaintenanceInfoConflict', 'a provision with a maintenance_info.version the catalog does not have');
      await expectGone(ctx, stale, plan, 'a provision refused with 422 MaintenanceInfoConflict');
      await ctx.provisioned(plan, { maintenance_info: { version: plan.maintenanceVersion } });
    },
  },
  {
    id: 'provision.schema',
    title: 'a provision whose parameters break the plan\'s schema gets 400 and makes nothing',
    level: 'should',
    spec: 'Provisioning (parameters); Schemas',
    scope: 'plan',
    skip: (plan) => (invalidParameters(plan.createSchema, plan.options.parameters ?? {}) ? undefined : 'the plan\'s create schema states nothing a value could break'),
    async run(ctx, plan) {
      const invalid = invalidParameters(plan.createSchema, plan.options.parameters ?? {})!;
      const instanceId = ctx.newId('inst');
      const answer = await ctx.provision(plan, instanceId, ctx.provisionBody(plan, { parameters: invalid.parameters }));
      if (answer.status >= 400 && answer.status < 500) await expectGone(ctx, instanceId, plan, 'a provision with invalid parameters was refused');
      ctx.expectStatus(answer, [400], `a provision whose parameters break the schema (${invalid.why})`);
    },
  },
];
