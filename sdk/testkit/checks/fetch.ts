import { isPlainObject } from '../../json';
import { isAsync, isBindable, type CheckDefinition } from '../check';
import { CheckNotApplicable, osbPaths, type CheckContext } from '../context';
import { bindingProblems } from '../shapes';

/** GET of instances and bindings, and of their last_operation. */

/** A fetch between two polls that both say "in progress" must answer 404. */
async function fetchWhileRunning(ctx: CheckContext, pollPath: string, fetchPath: string, what: string): Promise<void> {
  const running = async (): Promise<boolean> => {
    const poll = await ctx.send({ method: 'GET', path: pollPath });
    return poll.status === 200 && isPlainObject(poll.json) && poll.json.state === 'in progress';
  };
  if (!(await running())) throw new CheckNotApplicable('the operation finished before the fetch; make operations last a second or more');
  const fetched = await ctx.send({ method: 'GET', path: fetchPath });
  if (fetched.status === 404) return;
  if (!(await running())) throw new CheckNotApplicable('the operation finished around the fetch; make operations last a second or more');
  ctx.expectStatus(fetched, [404], `fetching ${what}`);
}

const retrievable = (flag: 'instancesRetrievable' | 'bindingsRetrievable') => (plan: { instancesRetrievable: boolean; bindingsRetrievable: boolean }) =>
  plan[flag] ? undefined : `the offering does not set ${flag === 'instancesRetrievable' ? 'instances_retrievable' : 'bindings_retrievable'}`;

export const fetchChecks: CheckDefinition[] = [
  {
    id: 'fetch-instance.found',
    title: 'a provisioned instance can be fetched at once: 200 with its service_id, plan_id and parameters',
    level: 'must',
    spec: 'Fetching a Service Instance',
    scope: 'plan',
    skip: retrievable('instancesRetrievable'),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await ctx.send({ method: 'GET', path: osbPaths.instance(instanceId, { service_id: plan.serviceId, plan_id: plan.planId }) });
      ctx.expectStatus(answer, [200], 'fetching an instance right after its provision succeeded');
      const body = answer.json;
      ctx.must(isPlainObject(body), `the fetched instance must be a JSON object, not ${answer.text}`);
      const instance = body as Record<string, unknown>;
      ctx.must(instance.service_id === undefined || instance.service_id === plan.serviceId, `the fetched service_id is ${JSON.stringify(instance.service_id)}`);
      ctx.must(instance.plan_id === undefined || instance.plan_id === plan.planId, `the fetched plan_id is ${JSON.stringify(instance.plan_id)}`);
      ctx.must(instance.parameters === undefined || isPlainObject(instance.parameters), '"parameters" must be an object');
      ctx.must(instance.dashboard_url === undefined || instance.dashboard_url === null || typeof instance.dashboard_url === 'string', '"dashboard_url" must be a string');
      ctx.must(instance.maintenance_info === undefined || (isPlainObject(instance.maintenance_info) && typeof instance.maintenance_info.version === 'string'), '"maintenance_info" must be an object with a version');
    },
  },
  {
    id: 'fetch-instance.unknown',
    title: 'fetching an instance that does not exist answers 404',
    level: 'must',
    spec: 'Fetching a Service Instance',
    scope: 'plan',
    skip: retrievable('instancesRetrievable'),
    async run(ctx) {
      const answer = await ctx.send({ method: 'GET', path: osbPaths.instance(ctx.newId('inst')) });
      ctx.expectStatus(answer, [404], 'fetching an instance that never existed');
    },
  },
  {
    id: 'fetch-instance.while-provisioning',
    title: 'fetching an instance whose provision still runs answers 404',
    level: 'must',
    spec: 'Fetching a Service Instance',
    scope: 'plan',
    skip: (plan) => retrievable('instancesRetrievable')(plan) ?? isAsync(plan),
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const provision = await ctx.provision(plan, instanceId, ctx.provisionBody(plan));
      ctx.expectStatus(provision, [202], 'a provision with accepts_incomplete=true');
      await fetchWhileRunning(ctx, osbPaths.instanceLastOperation(instanceId), osbPaths.instance(instanceId), 'an instance whose provision runs');
      await ctx.finish(plan, { instanceId }, provision, 'provision');
    },
  },
  {
    id: 'fetch-binding.found',
    title: 'a binding can be fetched at once: 200 with a well-formed body',
    level: 'must',
    spec: 'Fetching a Service Binding',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? retrievable('bindingsRetrievable')(plan),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const { bindingId, outcome } = await ctx.bound(plan, instanceId);
      const answer = await ctx.send({ method: 'GET', path: osbPaths.binding(instanceId, bindingId, { service_id: plan.serviceId, plan_id: plan.planId }) });
      ctx.expectStatus(answer, [200], 'fetching a binding right after the bind succeeded');
      const problems = bindingProblems(answer.json, plan.requires);
      ctx.must(problems.length === 0, `${answer.request} answered a binding where ${problems.join('; ')}`);
      const made = outcome.answer.json;
      if (outcome.async && isPlainObject(made)) {
        ctx.should(isPlainObject(answer.json) && 'credentials' in answer.json, 'a binding made asynchronously must show its credentials when fetched (if the broker makes credentials)');
      }
    },
  },
  {
    id: 'fetch-binding.unknown',
    title: 'fetching a binding that does not exist answers 404',
    level: 'must',
    spec: 'Fetching a Service Binding',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? retrievable('bindingsRetrievable')(plan),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const answer = await ctx.send({ method: 'GET', path: osbPaths.binding(instanceId, ctx.newId('bind')) });
      ctx.expectStatus(answer, [404], 'fetching a binding that never existed');
    },
  },
  {
    id: 'fetch-binding.while-binding',
    title: 'fetching a binding whose bind still runs answers 404',
    level: 'must',
    spec: 'Fetching a Service Binding',
    scope: 'plan',
    skip: (plan) => isBindable(plan) ?? retrievable('bindingsRetrievable')(plan) ?? isAsync(plan),
    async run(ctx, plan) {
      const { instanceId } = await ctx.provisioned(plan);
      const bindingId = ctx.newId('bind');
      const bind = await ctx.bind(plan, instanceId, bindingId, ctx.bindBody(plan));
      ctx.expectStatus(bind, [202], 'a bind with accepts_incomplete=true');
      await fetchWhileRunning(ctx, osbPaths.bindingLastOperation(instanceId, bindingId), osbPaths.binding(instanceId, bindingId), 'a binding whose bind runs');
      await ctx.finish(plan, { instanceId, bindingId }, bind, 'bind');
    },
  },
  {
    id: 'last-operation.unknown',
    title: 'last_operation of an instance or a binding that does not exist answers 404',
    level: 'must',
    spec: 'Polling Last Operation',
    scope: 'plan',
    async run(ctx, plan) {
      const instance = await ctx.send({ method: 'GET', path: osbPaths.instanceLastOperation(ctx.newId('inst'), { service_id: plan.serviceId, plan_id: plan.planId }) });
      ctx.expectStatus(instance, [404], 'last_operation of an instance that never existed');
      if (!plan.bindable) return;
      const { instanceId } = await ctx.provisioned(plan);
      const binding = await ctx.send({ method: 'GET', path: osbPaths.bindingLastOperation(instanceId, ctx.newId('bind'), { service_id: plan.serviceId, plan_id: plan.planId }) });
      ctx.expectStatus(binding, [404], 'last_operation of a binding that never existed');
    },
  },
  {
    id: 'last-operation.kept',
    title: 'last_operation still answers for a finished operation when asked again',
    level: 'should',
    spec: 'Polling Last Operation',
    scope: 'plan',
    skip: isAsync,
    async run(ctx, plan) {
      const { instanceId, outcome } = await ctx.provisioned(plan);
      const again = await ctx.send({ method: 'GET', path: osbPaths.instanceLastOperation(instanceId, { service_id: plan.serviceId, plan_id: plan.planId, operation: outcome.operation }) });
      ctx.expectStatus(again, [200], 'polling a provision again after it succeeded');
      ctx.must(isPlainObject(again.json) && again.json.state === 'succeeded', `polling again answered ${again.text}`);
    },
  },
];
