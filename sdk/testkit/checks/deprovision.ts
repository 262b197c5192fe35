import { isPlainObject } from '../../json';
import { isAsync, type CheckDefinition } from '../check';
import { CheckNotApplicable, osbPaths } from '../context';
import { acceptedProblems } from '../shapes';

/** DELETE /v2/service_instances/:instance_id */

const operationOf = (body: unknown): unknown => (isPlainObject(body) ? body.operation : undefined);

export const deprovisionChecks: CheckDefinition[] = [
  {
    id: 'deprovision.delete',
    title: 'a deprovision answers 200 {} (or 202, then succeeded or 410), and then the instance is gone: another deprovision gets 410',
    level: 'must',
    spec: 'Deprovisioning',
    scope: 'plan',
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await ctx.deprovision(plan, instanceId);
      ctx.expectStatus(answer, plan.options.async === true ? [202] : [200, 202], 'a deprovision');
      if (answer.status === 200) ctx.must(isPlainObject(answer.json), `a deprovision answered 200 with ${answer.text || 'no body'}; the body must be a JSON object ({})`);
      else {
        const problems = acceptedProblems(answer.json);
        ctx.must(problems.length === 0, `${answer.request} answered 202 with a body where ${problems.join('; ')}`);
      }
      const outcome = await ctx.finish(plan, { instanceId }, answer, 'deprovision');
      ctx.must(outcome.state !== 'failed', `the deprovision failed${outcome.description ? `: ${outcome.description}` : ''}`);
      const again = await ctx.deprovision(plan, instanceId);
      ctx.expectStatus(again, [410], 'deprovisioning an instance already deleted');
      if (plan.instancesRetrievable) {
        const fetched = await ctx.send({ method: 'GET', path: osbPaths.instance(instanceId) });
        ctx.expectStatus(fetched, [404], 'fetching a deleted instance');
      }
    },
  },
  {
    id: 'deprovision.unknown',
    title: 'a deprovision of an instance that does not exist answers 410',
    level: 'must',
    spec: 'Deprovisioning',
    scope: 'plan',
    async run(ctx, plan) {
      const answer = await ctx.deprovision(plan, ctx.newId('inst'));
      ctx.expectStatus(answer, [410], 'deprovisioning an instance that never existed');
    },
  },
  {
    id: 'deprovision.missing-query',
    title: 'a deprovision without service_id or plan_id gets 400 and deletes nothing',
    level: 'must',
    spec: 'Deprovisioning',
    scope: 'plan',
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const incomplete = ctx.acceptsIncomplete(plan) ? true : undefined;
      for (const [what, query] of [
        ['service_id', { plan_id: plan.planId, accepts_incomplete: incomplete }],
        ['plan_id', { service_id: plan.serviceId, accepts_incomplete: incomplete }],
      ] as const) {
        const answer = await ctx.deprovision(plan, instanceId, query);
        ctx.expectStatus(answer, [400], `a deprovision without ${what}`);
      }
      await ctx.deprovisioned(plan, instanceId);
    },
  },
  {
    id: 'deprovision.async-required',
    title: 'an asynchronous plan refuses a deprovision without accepts_incomplete with 422 AsyncRequired and keeps the instance',
    level: 'must',
    spec: 'Asynchronous Operations',
    scope: 'plan',
    skip: isAsync,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await ctx.deprovision(plan, instanceId, ctx.deleteQuery(plan, false));
      ctx.expectError(answer, 422, 'AsyncRequired', 'a deprovision without accepts_incomplete');
      await ctx.deprovisioned(plan, instanceId);
    },
  },
  {
    id: 'deprovision.in-progress',
    title: 'a deprovision sent again while it runs answers 202 with the same operation',
    level: 'must',
    spec: 'Deprovisioning',
    scope: 'plan',
    skip: isAsync,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const first = await ctx.deprovision(plan, instanceId);
      ctx.expectStatus(first, [202], 'a deprovision with accepts_incomplete=true');
      const repeat = await ctx.deprovision(plan, instanceId);
      if (repeat.status === 410) throw new CheckNotApplicable('the deprovision finished before it could be repeated; make operations last a second or more');
      ctx.expectStatus(repeat, [202], 'a deprovision sent again while it runs');
      ctx.must(operationOf(repeat.json) === operationOf(first.json), `the repeat answered operation ${JSON.stringify(operationOf(repeat.json))}, the original ${JSON.stringify(operationOf(first.json))}`);
      const outcome = await ctx.finish(plan, { instanceId }, first, 'deprovision');
      ctx.must(outcome.state !== 'failed', 'the deprovision failed');
    },
  },
  {
    id: 'deprovision.during-provision',
    title: 'a deprovision while the provision runs halts it and deletes the instance (or answers 422 ConcurrencyError)',
    level: 'must',
    spec: 'Deprovisioning',
    scope: 'plan',
    skip: isAsync,
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const provision = await ctx.provision(plan, instanceId, ctx.provisionBody(plan));
      ctx.expectStatus(provision, [202], 'a provision with accepts_incomplete=true');
      const answer = await ctx.deprovision(plan, instanceId);
      ctx.expectStatus(answer, [200, 202, 422], 'a deprovision while the provision runs');
      if (answer.status === 422) {
        ctx.expectError(answer, 422, 'ConcurrencyError', 'a deprovision refused while the provision runs');
        await ctx.finish(plan, { instanceId }, provision, 'provision');
        await ctx.deprovisioned(plan, instanceId);
        return;
      }
      const outcome = await ctx.finish(plan, { instanceId }, answer, 'deprovision');
      ctx.must(outcome.state !== 'failed', `the deprovision that halted the provision failed${outcome.description ? `: ${outcome.description}` : ''}`);
      const again = await ctx.deprovision(plan, instanceId);
      ctx.expectStatus(again, [410], 'deprovisioning the instance once the halting deprovision finished');
    },
  },
];
