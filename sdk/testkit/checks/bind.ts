import { isPlainObject } from '../../json';
import { isAsync, isBindable, type CheckDefinition } from '../check';
import { CheckNotApplicable, osbPaths } from '../context';
import { invalidParameters, otherValidParameters } from '../schema-values';
import { acceptedProblems, bindingProblems } from '../shapes';
import { expectGone } from './catalog-and-headers';

/** PUT and DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id */

const operationOf = (body: unknown): unknown => (isPlainObject(body) ? body.operation : undefined);

export const bindChecks: CheckDefinition[] = [
  {
    id: 'bind.create',
    title: 'a bind answers 201 with a well-formed binding (or 202 without credentials, then succeeded)',
    level: 'must',
    spec: 'Binding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const bindingId = ctx.newId('bind');
      const answer = await ctx.bind(plan, instanceId, bindingId, ctx.bindBody(plan));
      ctx.expectStatus(answer, plan.options.async === true ? [202] : plan.options.async === false ? [201] : [201, 202], `a bind to plan ${plan.label}`);
      const problems = answer.status === 202 ? acceptedProblems(answer.json) : bindingProblems(answer.json, plan.requires);
      ctx.must(problems.length === 0, `${answer.request} answered ${answer.status} with a body where ${problems.join('; ')}`);
      const outcome = await ctx.finish(plan, { instanceId, bindingId }, answer, 'bind');
      ctx.must(outcome.state === 'succeeded', `the bind ended ${outcome.state}${outcome.description ? `: ${outcome.description}` : ''}`);
    },
  },
  {
    id: 'bind.repeat',
    title: 'an identical bind of a binding that exists answers 200 with the same binding',
    level: 'should',
    spec: 'Binding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const body = ctx.bindBody(plan);
      const bindingId = ctx.newId('bind');
      const first = await ctx.bind(plan, instanceId, bindingId, body);
      ctx.expectStatus(first, [201, 202], 'the first bind');
      const outcome = await ctx.finish(plan, { instanceId, bindingId }, first, 'bind');
      ctx.must(outcome.state === 'succeeded', `the first bind ended ${outcome.state}`);
      const repeat = await ctx.bind(plan, instanceId, bindingId, body);
      ctx.expectStatus(repeat, [200], 'the identical repeat of a finished bind');
      if (first.status === 201) ctx.must(JSON.stringify(repeat.json) === JSON.stringify(first.json), 'the repeat answered another binding than the bind');
    },
  },
  {
    id: 'bind.conflict',
    title: 'a bind of an existing binding id with other parameters answers 409',
    level: 'must',
    spec: 'Binding',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? (otherValidParameters(plan.bindSchema, plan.options.bindParameters ?? {}) ? undefined : 'no second valid parameter set can be derived from the plan\'s binding schema'),
    async run(ctx, plan) {
      const other = otherValidParameters(plan.bindSchema, plan.options.bindParameters ?? {})!;
      const { instanceId } = await ctx.provisioned(plan);
      const { bindingId } = await ctx.bound(plan, instanceId);
      const answer = await ctx.bind(plan, instanceId, bindingId, ctx.bindBody(plan, { parameters: other }));
      ctx.expectStatus(answer, [409], `binding ${bindingId} again with parameters ${JSON.stringify(other)}`);
    },
  },
  {
    id: 'bind.bad-request',
    title: 'a bind without service_id or plan_id, or whose body is not a JSON object, gets 400 and makes nothing',
    level: 'must',
    spec: 'Binding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const without = (field: string): Record<string, unknown> => {
        const body = ctx.bindBody(plan);
        delete body[field];
        return body;
      };
      const cases: Array<[string, unknown]> = [
        ['no service_id', without('service_id')],
        ['no plan_id', without('plan_id')],
        ['a body that is not JSON', '{"service_id": '],
        ['a JSON array', '[]'],
        ['parameters that are a string', ctx.bindBody(plan, { parameters: 'read_only' })],
      ];
      for (const [what, body] of cases) {
        const bindingId = ctx.newId('bind');
        const answer = await ctx.bind(plan, instanceId, bindingId, body);
        ctx.expectStatus(answer, [400], `a bind with ${what}`);
        await expectGone(ctx, instanceId, plan, `a bind with ${what} was refused`, bindingId);
      }
    },
  },
  {
    id: 'bind.unknown-instance',
    title: 'a bind to an instance that does not exist is refused with a 4xx (the spec names none; 404 says it best)',
    level: 'should',
    spec: 'Binding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const answer = await ctx.bind(plan, ctx.newId('inst'), ctx.newId('bind'), ctx.bindBody(plan));
      ctx.must(answer.status >= 400 && answer.status < 500, `${answer.request} answered ${answer.status} for an instance that does not exist`);
    },
  },
  {
    id: 'bind.async-required',
    title: 'an asynchronous plan refuses a bind without accepts_incomplete with 422 AsyncRequired and makes nothing',
    level: 'must',
    spec: 'Asynchronous Operations',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? isAsync(plan),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const bindingId = ctx.newId('bind');
      const answer = await ctx.bind(plan, instanceId, bindingId, ctx.bindBody(plan), {});
      ctx.expectError(answer, 422, 'AsyncRequired', 'a bind without accepts_incomplete');
      await expectGone(ctx, instanceId, plan, 'a bind refused with 422 AsyncRequired', bindingId);
    },
  },
  {
    id: 'bind.in-progress',
    title: 'a bind sent again while it runs answers 202 with the same operation, and no 202 carries credentials',
    level: 'must',
    spec: 'Binding',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? isAsync(plan),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const body = ctx.bindBody(plan);
      const bindingId = ctx.newId('bind');
      const first = await ctx.bind(plan, instanceId, bindingId, body);
      ctx.expectStatus(first, [202], 'a bind with accepts_incomplete=true');
      const problems = acceptedProblems(first.json);
      ctx.must(problems.length === 0, `${first.request} answered 202 with a body where ${problems.join('; ')}`);
      const repeat = await ctx.bind(plan, instanceId, bindingId, body);
      if (repeat.status === 200) {
        await ctx.finish(plan, { instanceId, bindingId }, first, 'bind');
        throw new CheckNotApplicable('the bind finished before it could be repeated; make operations last a second or more');
      }
      ctx.expectStatus(repeat, [202], 'a bind sent again while it runs');
      ctx.must(operationOf(repeat.json) === operationOf(first.json), `the repeat answered operation ${JSON.stringify(operationOf(repeat.json))}, the original ${JSON.stringify(operationOf(first.json))}`);
      const outcome = await ctx.finish(plan, { instanceId, bindingId }, first, 'bind');
      ctx.must(outcome.state === 'succeeded', `the bind ended ${outcome.state}`);
    },
  },
  {
    id: 'bind.schema',
    title: 'a bind whose parameters break the plan\'s binding schema gets 400 and makes nothing',
    level: 'should',
    spec: 'Binding (parameters); Schemas',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? (invalidParameters(plan.bindSchema, plan.options.bindParameters ?? {}) ? undefined : 'the plan\'s binding schema states nothing a value could break'),
    async run(ctx, plan) {
      const invalid = invalidParameters(plan.bindSchema, plan.options.bindParameters ?? {})!;
      const { instanceId } = await ctx.provisioned(plan);
      const bindingId = ctx.newId('bind');
      const answer = await ctx.bind(plan, instanceId, bindingId, ctx.bindBody(plan, { parameters: invalid.parameters }));
      if (answer.status >= 400 && answer.status < 500) await expectGone(ctx, instanceId, plan, 'a bind with invalid parameters was refused', bindingId);
      ctx.expectStatus(answer, [400], `a bind whose parameters break the schema (${invalid.why})`);
    },
  },
  {
    id: 'bind.rotation',
    title: 'a bind naming a live predecessor_binding_id on a binding_rotatable plan makes a second binding; both stay valid',
    level: 'must',
    spec: 'Binding Rotation',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? (plan.bindingRotatable ? undefined : 'the plan is not binding_rotatable'),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const { bindingId: predecessor } = await ctx.bound(plan, instanceId);
      const successor = ctx.newId('bind');
      const answer = await ctx.bind(plan, instanceId, successor, { service_id: plan.serviceId, plan_id: plan.planId, predecessor_binding_id: predecessor });
      ctx.expectStatus(answer, [201, 202], 'a rotation');
      const outcome = await ctx.finish(plan, { instanceId, bindingId: successor }, answer, 'bind');
      ctx.must(outcome.state === 'succeeded', `the rotation ended ${outcome.state}`);
      if (plan.bindingsRetrievable) {
        for (const bindingId of [predecessor, successor]) {
          const fetched = await ctx.send({ method: 'GET', path: osbPaths.binding(instanceId, bindingId) });
          ctx.expectStatus(fetched, [200], `fetching binding ${bindingId} after the rotation`);
        }
      }
    },
  },
  {
    id: 'bind.requires-app',
    title: 'a bind without an app either succeeds or is refused with 422 RequiresApp',
    level: 'should',
    spec: 'Binding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const bindingId = ctx.newId('bind');
      const body = ctx.bindBody(plan);
      delete body.bind_resource;
      const answer = await ctx.bind(plan, instanceId, bindingId, body);
      ctx.expectStatus(answer, [201, 202, 422], 'a bind without an app');
      if (answer.status === 422) {
        ctx.expectError(answer, 422, 'RequiresApp', 'a bind without an app');
        await expectGone(ctx, instanceId, plan, 'a bind refused with 422 RequiresApp', bindingId);
      } else await ctx.finish(plan, { instanceId, bindingId }, answer, 'bind');
    },
  },
  {
    id: 'bind.not-bindable',
    title: 'a bind to a plan that is not bindable is refused with a 4xx and makes nothing',
    level: 'should',
    spec: 'Binding',
    scope: 'plan',
    skip: (plan) => (plan.bindable ? 'the plan is bindable' : undefined),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const bindingId = ctx.newId('bind');
      const answer = await ctx.bind(plan, instanceId, bindingId, ctx.bindBody(plan));
      ctx.must(answer.status >= 400 && answer.status < 500, `${answer.request} answered ${answer.status} for a plan that is not bindable`);
      await expectGone(ctx, instanceId, plan, 'a bind to a plan that is not bindable was refused', bindingId);
    },
  },
  {
    id: 'unbind.delete',
    title: 'an unbind answers 200 {} (or 202, then succeeded or 410), and then the binding is gone: another unbind gets 410',
    level: 'must',
    spec: 'Unbinding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const { bindingId } = await ctx.bound(plan, instanceId);
      const answer = await ctx.unbind(plan, instanceId, bindingId);
      ctx.expectStatus(answer, plan.options.async === true ? [202] : [200, 202], 'an unbind');
      if (answer.status === 200) ctx.must(isPlainObject(answer.json), `an unbind answered 200 with ${answer.text || 'no body'}; the body must be a JSON object ({})`);
      else {
        const problems = acceptedProblems(answer.json);
        ctx.must(problems.length === 0, `${answer.request} answered 202 with a body where ${problems.join('; ')}`);
      }
      const outcome = await ctx.finish(plan, { instanceId, bindingId }, answer, 'unbind');
      ctx.must(outcome.state !== 'failed', `the unbind failed${outcome.description ? `: ${outcome.description}` : ''}`);
      const again = await ctx.unbind(plan, instanceId, bindingId);
      ctx.expectStatus(again, [410], 'unbinding a binding already deleted');
      if (plan.bindingsRetrievable) {
        const fetched = await ctx.send({ method: 'GET', path: osbPaths.binding(instanceId, bindingId) });
        ctx.expectStatus(fetched, [404], 'fetching a deleted binding');
      }
    },
  },
  {
    id: 'unbind.unknown',
    title: 'an unbind of a binding that does not exist answers 410',
    level: 'must',
    spec: 'Unbinding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await ctx.unbind(plan, instanceId, ctx.newId('bind'));
      ctx.expectStatus(answer, [410], 'unbinding a binding that never existed');
    },
  },
  {
    id: 'unbind.missing-query',
    title: 'an unbind without service_id or plan_id gets 400 and deletes nothing',
    level: 'must',
    spec: 'Unbinding',
    scope: 'plan',
    skip: isBindable,
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const { bindingId } = await ctx.bound(plan, instanceId);
      const incomplete = ctx.acceptsIncomplete(plan) ? true : undefined;
      for (const [what, query] of [
        ['service_id', { plan_id: plan.planId, accepts_incomplete: incomplete }],
        ['plan_id', { service_id: plan.serviceId, accepts_incomplete: incomplete }],
      ] as const) {
        const answer = await ctx.unbind(plan, instanceId, bindingId, query);
        ctx.expectStatus(answer, [400], `an unbind without ${what}`);
      }
      await ctx.unbound(plan, instanceId, bindingId);
    },
  },
  {
    id: 'unbind.async-required',
    title: 'an asynchronous plan refuses an unbind without accepts_incomplete with 422 AsyncRequired and keeps the binding',
    level: 'must',
    spec: 'Asynchronous Operations',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? isAsync(plan),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const { bindingId } = await ctx.bound(plan, instanceId);
      const answer = await ctx.unbind(plan, instanceId, bindingId, ctx.deleteQuery(plan, false));
      ctx.expectError(answer, 422, 'AsyncRequired', 'an unbind without accepts_incomplete');
      await ctx.unbound(plan, instanceId, bindingId);
    },
  },
  {
    id: 'unbind.in-progress',
    title: 'an unbind sent again while it runs answers 202 with the same operation',
    level: 'must',
    spec: 'Unbinding',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? isAsync(plan),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const { bindingId } = await ctx.bound(plan, instanceId);
      const first = await ctx.unbind(plan, instanceId, bindingId);
      ctx.expectStatus(first, [202], 'an unbind with accepts_incomplete=true');
      const repeat = await ctx.unbind(plan, instanceId, bindingId);
      if (repeat.status === 410) throw new CheckNotApplicable('the unbind finished before it could be repeated; make operations last a second or more');
      ctx.expectStatus(repeat, [202], 'an unbind sent again while it runs');
      ctx.must(operationOf(repeat.json) === operationOf(first.json), `the repeat answered operation ${JSON.stringify(operationOf(repeat.json))}, the original ${JSON.stringify(operationOf(first.json))}`);
      const outcome = await ctx.finish(plan, { instanceId, bindingId }, first, 'unbind');
      ctx.must(outcome.state !== 'failed', 'the unbind failed');
    },
  },
];
