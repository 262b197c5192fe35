import type autocannon from 'autocannon';

/**
 * The requests every SDK bench sends, so bench:sdk and bench:instructions measure the same
 * work: GET /v2/catalog, provisions of fresh instances, and binds of fresh bindings to one
 * instance (provisioned first with provisionBindTarget).
 */

export type Scenario = 'catalog' | 'provision' | 'bind';
export const SCENARIOS: Scenario[] = ['catalog', 'provision', 'bind'];

export const SERVICE = '3f6b2a8e-bench-4c1d-9e5f-000000000001';
export const PLAN = '3f6b2a8e-bench-4c1d-9e5f-000000000002';
export const HEADERS = {
  'x-broker-api-version': '2.17',
  authorization: `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`,
  'content-type': 'application/json',
};

let unique = 0;

export function requestsFor(scenario: Scenario): autocannon.Request[] {
  if (scenario === 'catalog') return [{ method: 'GET', path: '/v2/catalog', headers: HEADERS }];
  const body = scenario === 'provision'
    ? JSON.stringify({ service_id: SERVICE, plan_id: PLAN, organization_guid: 'org', space_guid: 'space', parameters: { character_set: 'utf8mb4' } })
    : JSON.stringify({ service_id: SERVICE, plan_id: PLAN, bind_resource: { app_guid: 'app' }, parameters: { read_only: false } });
  return [
    {
      method: 'PUT',
      headers: HEADERS,
      body,
      setupRequest: (req: autocannon.Request) => {
        unique++;
        const path = scenario === 'provision'
          ? `/v2/service_instances/p-${process.pid}-${unique}`
          : `/v2/service_instances/bind-target/service_bindings/b-${process.pid}-${unique}`;
        return { ...req, path };
      },
    },
  ];
}

/** The SDK needs the instance every bind binds to; the baselines accept any path. */
export async function provisionBindTarget(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/service_instances/bind-target`, {
    method: 'PUT',
    headers: HEADERS,
    body: JSON.stringify({ service_id: SERVICE, plan_id: PLAN, organization_guid: 'org', space_guid: 'space' }),
  });
  if (res.status !== 201) throw new Error(`could not provision the bind target on port ${port}: ${res.status}`);
}
