import { isPlainObject } from '../../json';
import type { CheckDefinition } from '../check';
import { osbPaths, type Answer, type CheckContext } from '../context';
import { BrokerUnreachableError } from '../http';

/**
 * What a broker facing the internet gets sooner or later: ids built to escape a path or a
 * query, bodies too big or too deep to parse naively, and many identical requests at once.
 * None of it may cost a 5xx, crash the broker, or create a resource twice.
 */

const HOSTILE_IDS: Array<[string, string]> = [
  ['..', '..'],
  ['an encoded ..', '%2e%2e'],
  ['an encoded slash', 'a%2Fb'],
  ['a NUL byte', 'a%00b'],
  ['a space', 'a%20b'],
  ['SQL', '%27%3B%20DROP%20TABLE%20instances%3B--'],
  ['markup', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ['a snowman', '%E2%98%83'],
  ['300 characters', 'x'.repeat(300)],
  ['5000 characters', 'y'.repeat(5000)],
];

async function stillServing(ctx: CheckContext, after: string): Promise<void> {
  const catalog = await ctx.send({ method: 'GET', path: osbPaths.catalog });
  ctx.must(catalog.status === 200, `after ${after} the broker no longer serves its catalog (answered ${catalog.status})`);
}

function noServerError(ctx: CheckContext, answer: Answer, what: string): void {
  ctx.must(answer.status < 500, `${what}: ${answer.request} answered ${answer.status}; a client's mistake must get a 4xx, never a 5xx`);
}

/** Sends a request that a broker may refuse by closing the connection; that counts as a refusal. */
async function sendOrClosed(ctx: CheckContext, send: () => Promise<Answer>): Promise<Answer | 'closed'> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof BrokerUnreachableError && /EPIPE|ECONNRESET|socket hang up/.test(error.causeMessage)) return 'closed';
    throw error;
  }
}

export const hostileChecks: CheckDefinition[] = [
  {
    id: 'hostile.ids',
    title: 'ids that try to escape the path (.., encoded slashes, NUL, 5000 characters) never get a 5xx, and the broker keeps serving',
    level: 'must',
    spec: 'URL Properties; Service Broker Errors',
    scope: 'broker',
    async run(ctx, plan) {
      for (const [what, id] of HOSTILE_IDS) {
        // Sent bare, not remembered for the cleanup: only an id the broker accepted is deleted again.
        const answer = await ctx.send({ method: 'PUT', path: osbPaths.instance(id, ctx.incomplete(plan)), body: ctx.provisionBody(plan) });
        noServerError(ctx, answer, `a provision whose instance id is ${what}`);
        if (answer.status < 300) {
          await ctx.finish(plan, { instanceId: id }, answer, 'provision');
          await ctx.deprovisioned(plan, id);
        }
        const poll = await ctx.send({ method: 'GET', path: osbPaths.instanceLastOperation(id, { operation: id }) });
        noServerError(ctx, poll, `last_operation of an instance id and operation that are ${what}`);
      }
      if (plan.bindable) {
        const { instanceId } = await ctx.provisioned(plan);
        for (const [what, id] of HOSTILE_IDS) {
          const answer = await ctx.send({ method: 'PUT', path: osbPaths.binding(instanceId, id, ctx.incomplete(plan)), body: ctx.bindBody(plan) });
          noServerError(ctx, answer, `a bind whose binding id is ${what}`);
          if (answer.status < 300) {
            await ctx.finish(plan, { instanceId, bindingId: id }, answer, 'bind');
            await ctx.unbound(plan, instanceId, id);
          }
        }
      }
      await stillServing(ctx, 'hostile ids');
    },
  },
  {
    id: 'hostile.large-body',
    title: 'an 8 MiB request body is refused with a 4xx (413) or a closed connection, never a 5xx, and the broker keeps serving',
    level: 'must',
    spec: 'Service Broker Errors',
    scope: 'broker',
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const body = JSON.stringify(ctx.provisionBody(plan, { parameters: { ...(plan.options.parameters ?? {}), osbkit_check_blob: 'x'.repeat(8 * 1024 * 1024) } }));
      const answer = await sendOrClosed(ctx, () => ctx.provision(plan, instanceId, body));
      if (answer !== 'closed') {
        noServerError(ctx, answer, 'an 8 MiB provision');
        if (answer.status < 300) await ctx.finish(plan, { instanceId }, answer, 'provision');
        ctx.should(answer.status === 413, `an 8 MiB body answered ${answer.status}; 413 says why`);
      }
      await stillServing(ctx, 'an 8 MiB body');
    },
  },
  {
    id: 'hostile.deep-json',
    title: 'a body nested 100,000 levels deep never gets a 5xx (a 4xx is best), and the broker keeps serving',
    level: 'must',
    spec: 'Service Broker Errors',
    scope: 'broker',
    async run(ctx, plan) {
      const depth = 100_000;
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const base = JSON.stringify(ctx.provisionBody(plan, { parameters: {} }));
      const body = base.replace('"parameters":{}', `"parameters":{"osbkit_check_deep":${nested}}`);
      const instanceId = ctx.newId('inst');
      const answer = await sendOrClosed(ctx, () => ctx.provision(plan, instanceId, body));
      if (answer !== 'closed') {
        noServerError(ctx, answer, 'a provision nested 100,000 levels deep');
        ctx.should(answer.status >= 400, `a provision nested 100,000 levels deep answered ${answer.status}; a limit on nesting refuses it with 400 before it costs a deep recursion`);
        if (answer.status < 300) await ctx.finish(plan, { instanceId }, answer, 'provision');
      }
      await stillServing(ctx, 'a deeply nested body');
    },
  },
  {
    id: 'hostile.content-type',
    title: 'a JSON body sent as text/plain is processed or refused with 400',
    level: 'should',
    spec: 'Content Type',
    scope: 'broker',
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const answer = await ctx.send({ method: 'PUT', path: osbPaths.instance(instanceId, ctx.incomplete(plan)), body: JSON.stringify(ctx.provisionBody(plan)), headers: { 'content-type': 'text/plain' } });
      ctx.expectStatus(answer, [201, 202, 400], 'a provision sent as text/plain');
      if (answer.status !== 400) await ctx.finish(plan, { instanceId }, answer, 'provision');
      await ctx.deprovision(plan, instanceId);
    },
  },
  {
    id: 'hostile.unknown-endpoint',
    title: 'a path the API does not have answers 404, and a method it does not have 404 or 405',
    level: 'should',
    spec: 'Service Broker Errors',
    scope: 'catalog',
    async run(ctx) {
      const unknown = await ctx.send({ method: 'GET', path: '/v2/osbkit-check-no-such-endpoint' });
      ctx.expectStatus(unknown, [404], 'an unknown path');
      const method = await ctx.send({ method: 'POST', path: osbPaths.catalog, body: {} });
      ctx.expectStatus(method, [404, 405], 'POST /v2/catalog');
    },
  },
  {
    id: 'idempotency.concurrent',
    title: 'ten identical provisions at once create the instance once, and ten identical binds create the binding once',
    level: 'must',
    spec: 'Provisioning; Binding; Blocking Operations',
    scope: 'plan',
    async run(ctx, plan) {
      const instanceId = ctx.newId('inst');
      const body = ctx.provisionBody(plan);
      const answers = await Promise.all(Array.from({ length: 10 }, () => ctx.provision(plan, instanceId, body)));
      judge(ctx, answers, 'provision');
      const started = answers.find((answer) => answer.status === 202) ?? answers.find((answer) => answer.status === 201);
      ctx.must(started !== undefined, `none of ten identical provisions succeeded: ${answers.map((a) => a.status).join(', ')}`);
      const outcome = await ctx.finish(plan, { instanceId }, started!, 'provision');
      ctx.must(outcome.state === 'succeeded', `the provision ended ${outcome.state}`);
      if (!plan.bindable) return;
      const bindingId = ctx.newId('bind');
      const bindBody = ctx.bindBody(plan);
      const binds = await Promise.all(Array.from({ length: 10 }, () => ctx.bind(plan, instanceId, bindingId, bindBody)));
      judge(ctx, binds, 'bind');
      const bound = binds.find((answer) => answer.status === 202) ?? binds.find((answer) => answer.status === 201);
      ctx.must(bound !== undefined, `none of ten identical binds succeeded: ${binds.map((a) => a.status).join(', ')}`);
      await ctx.finish(plan, { instanceId, bindingId }, bound!, 'bind');
    },
  },
];

/**
 * Identical concurrent creates: one 201 at most and the same operation for every 202 (a 202
 * may follow a 201: a repeat that arrives while the creating request still runs), and nothing
 * but 200, 201, 202 or 422 ConcurrencyError.
 */
function judge(ctx: CheckContext, answers: Answer[], what: string): void {
  const statuses = answers.map((answer) => answer.status);
  for (const answer of answers) {
    if (answer.status === 422) ctx.expectError(answer, 422, 'ConcurrencyError', `an identical ${what} refused while another runs`);
    else ctx.expectStatus(answer, [200, 201, 202], `one of ten identical ${what}s sent at once`);
  }
  ctx.must(statuses.filter((status) => status === 201).length <= 1, `ten identical ${what}s sent at once answered ${statuses.join(', ')}: more than one claims to have created it`);
  const operations = new Set(answers.filter((answer) => answer.status === 202).map((answer) => (isPlainObject(answer.json) ? JSON.stringify(answer.json.operation) : '')));
  ctx.must(operations.size <= 1, `ten identical ${what}s answered 202 with different operations: ${[...operations].join(', ')}`);
}
