import { Catalog, CatalogError } from '../../catalog/catalog';
import { isPlainObject } from '../../json';
import type { CheckDefinition } from '../check';
import { CheckNotApplicable, osbPaths, type Answer, type CheckContext } from '../context';
import { describe } from '../shapes';

/** The catalog, authentication and the headers every request carries. */

function idsOf(catalog: unknown): string[] {
  if (!isPlainObject(catalog) || !Array.isArray(catalog.services)) return [];
  return catalog.services.flatMap((service) =>
    isPlainObject(service) ? [String(service.id), ...(Array.isArray(service.plans) ? service.plans.map((plan) => (isPlainObject(plan) ? String(plan.id) : '')) : [])] : [],
  );
}

/** A refused create must leave nothing: deleting the id must answer 410. MUST, whatever the check's level. */
export async function expectGone(ctx: CheckContext, instanceId: string, plan: { serviceId: string; planId: string }, why: string, bindingId?: string): Promise<void> {
  const query = { service_id: plan.serviceId, plan_id: plan.planId, accepts_incomplete: true };
  const answer = await ctx.send({ method: 'DELETE', path: bindingId === undefined ? osbPaths.instance(instanceId, query) : osbPaths.binding(instanceId, bindingId, query) });
  if (answer.status !== 410) ctx.violations.push(`${why}, but the ${bindingId === undefined ? 'instance' : 'binding'} exists afterwards: ${answer.request} answered ${answer.status}, not 410`);
}

export const catalogChecks: CheckDefinition[] = [
  {
    id: 'catalog.valid',
    title: 'GET /v2/catalog answers 200 with a catalog that follows the spec, and the same ids each time',
    level: 'must',
    spec: 'Catalog Management',
    scope: 'catalog',
    async run(ctx) {
      const first = await ctx.send({ method: 'GET', path: osbPaths.catalog });
      ctx.expectStatus(first, [200], 'the catalog');
      ctx.must(isPlainObject(first.json) && Array.isArray(first.json.services), `the catalog must be a JSON object with a "services" array, not ${describe(first.json ?? first.text)}`);
      try {
        Catalog.from(first.json as Record<string, unknown>);
      } catch (error) {
        if (!(error instanceof CatalogError)) throw error;
        throw new Error(`the catalog breaks the spec's rules: ${error.problems.slice(0, 10).join('; ')}${error.problems.length > 10 ? ` (and ${error.problems.length - 10} more)` : ''}`);
      }
      ctx.should(/^application\/json/.test(String(first.headers['content-type'] ?? '')), `the catalog's Content-Type is ${JSON.stringify(first.headers['content-type'])}, not application/json`);
      const second = await ctx.send({ method: 'GET', path: osbPaths.catalog });
      ctx.expectStatus(second, [200], 'the catalog fetched again');
      ctx.must(JSON.stringify(idsOf(second.json)) === JSON.stringify(idsOf(first.json)), 'offering and plan ids changed between two fetches of the catalog; they must never change');
    },
  },
  {
    id: 'auth.basic',
    title: 'requests without credentials or with wrong ones get 401 and change nothing',
    level: 'must',
    spec: 'Platform to Service Broker Authentication',
    scope: 'broker',
    async run(ctx, plan) {
      if (ctx.options.username === undefined) throw new CheckNotApplicable('no credentials were given to test with');
      const wrong = [
        ['no credentials', 'none'] as const,
        ['a wrong password', { username: ctx.options.username, password: `${ctx.options.password ?? ''}-wrong` }] as const,
        ['an unknown user', { username: `${ctx.options.username}-unknown`, password: ctx.options.password ?? '' }] as const,
      ];
      for (const [what, auth] of wrong) {
        const catalog = await ctx.send({ method: 'GET', path: osbPaths.catalog, auth });
        ctx.expectStatus(catalog, [401], `the catalog with ${what}`);
        const instanceId = ctx.newId('inst');
        const put = await ctx.send({ method: 'PUT', path: osbPaths.instance(instanceId, ctx.incomplete(plan)), body: ctx.provisionBody(plan), auth });
        ctx.expectStatus(put, [401], `a provision with ${what}`);
        await expectGone(ctx, instanceId, plan, `a provision refused with 401 (${what})`);
        const poll = await ctx.send({ method: 'GET', path: osbPaths.instanceLastOperation(instanceId), auth });
        ctx.expectStatus(poll, [401], `last_operation with ${what}`);
      }
    },
  },
  {
    id: 'headers.api-version',
    title: 'a request without X-Broker-API-Version, or with a major version other than 2, is refused with 412 (or 400 when missing)',
    level: 'should',
    spec: 'API Version Header',
    scope: 'catalog',
    async run(ctx) {
      const missing = await ctx.send({ method: 'GET', path: osbPaths.catalog, headers: { 'x-broker-api-version': null } });
      ctx.expectStatus(missing, [400, 412], 'the catalog without X-Broker-API-Version');
      for (const version of ['1.0', '3.0']) {
        const other = await ctx.send({ method: 'GET', path: osbPaths.catalog, headers: { 'x-broker-api-version': version } });
        ctx.expectStatus(other, [412], `the catalog with X-Broker-API-Version: ${version}`);
      }
    },
  },
  {
    id: 'headers.request-identity',
    title: 'X-Broker-API-Request-Identity is echoed on answers, errors included',
    level: 'should',
    spec: 'Request Identity',
    scope: 'broker',
    async run(ctx, plan) {
      const requests: Array<() => Promise<Answer>> = [
        () => ctx.send({ method: 'GET', path: osbPaths.catalog, headers: { 'x-broker-api-request-identity': 'osbkit-check-request-1' } }),
        () => ctx.send({ method: 'DELETE', path: osbPaths.instance(ctx.newId('inst'), ctx.deleteQuery(plan)), headers: { 'x-broker-api-request-identity': 'osbkit-check-request-1' } }),
        () => ctx.send({ method: 'PUT', path: osbPaths.instance(ctx.newId('inst')), body: '{', headers: { 'x-broker-api-request-identity': 'osbkit-check-request-1' } }),
      ];
      for (const send of requests) {
        const answer = await send();
        ctx.must(answer.headers['x-broker-api-request-identity'] === 'osbkit-check-request-1', `${answer.request} (${answer.status}) did not echo X-Broker-API-Request-Identity`);
      }
    },
  },
  {
    id: 'headers.originating-identity',
    title: 'provisions carrying a Cloud Foundry or a Kubernetes X-Broker-API-Originating-Identity succeed',
    level: 'must',
    spec: 'Originating Identity',
    scope: 'broker',
    async run(ctx, plan) {
      // Every request of the suite carries the configured platform's identity; this adds the other profile.
      const other = ctx.options.platform === 'kubernetes' ? 'cloudfoundry' : 'kubernetes';
      const context = other === 'kubernetes'
        ? { platform: 'kubernetes', namespace: 'osbkit-check', clusterid: 'osbkit-check-cluster', instance_name: 'osbkit-check' }
        : { platform: 'cloudfoundry', organization_guid: 'org', organization_name: 'o', space_guid: 'space', space_name: 's', instance_name: 'i' };
      const instanceId = ctx.newId('inst');
      const answer = await ctx.send({
        method: 'PUT',
        path: osbPaths.instance(instanceId, ctx.incomplete(plan)),
        body: ctx.provisionBody(plan, { context }),
        headers: { 'x-broker-api-originating-identity': ctx.identityHeader(other) },
      });
      ctx.expectStatus(answer, [201, 202], `a provision with a ${other} context and identity`);
      const outcome = await ctx.finish(plan, { instanceId }, answer, 'provision');
      ctx.must(outcome.state === 'succeeded', `the provision with a ${other} identity ended ${outcome.state}`);
      await ctx.deprovisioned(plan, instanceId);
    },
  },
  {
    id: 'headers.originating-identity-malformed',
    title: 'a malformed X-Broker-API-Originating-Identity, or one whose platform differs from context.platform, gets 400 and changes nothing',
    level: 'should',
    spec: 'Originating Identity',
    scope: 'broker',
    async run(ctx, plan) {
      const cases: Array<[string, string]> = [
        ['a value that is not base64 JSON', `${ctx.options.platform} !!not-base64!!`],
        ['no platform', Buffer.from('{"user_id":"u"}').toString('base64')],
        ['a platform other than context.platform', ctx.identityHeader(ctx.options.platform === 'kubernetes' ? 'cloudfoundry' : 'kubernetes')],
      ];
      for (const [what, header] of cases) {
        const instanceId = ctx.newId('inst');
        const answer = await ctx.send({ method: 'PUT', path: osbPaths.instance(instanceId, ctx.incomplete(plan)), body: ctx.provisionBody(plan), headers: { 'x-broker-api-originating-identity': header } });
        ctx.expectStatus(answer, [400], `a provision whose identity header has ${what}`);
        await expectGone(ctx, instanceId, plan, `a provision refused with 400 (${what})`);
      }
    },
  },
];
