import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LocalVolumeBroker } from '../../../brokers/local/broker';
import { createBroker, type BrokerApp } from '../../../sdk';
import { CREDENTIALS, Osb } from '../../support/osb-harness';

/**
 * Finding 7 of the platform security review: the local broker accepted container_dir values the
 * cell refuses (/etc, /proc/x, /tmp, /home/vcap/app), so the bind succeeded and only `start`
 * failed. Both now use the one set of rules in sdk/volume, so the bind itself gets 400.
 */
const SERVICE_ID = '8c3e2b9a-1f4d-4e7a-9c5b-10ca1f00d001';
const PLAN_ID = '8c3e2b9a-1f4d-4e7a-9c5b-10ca1f00d002';

describe('local broker: container_dir rules at bind time', () => {
  let volumesRoot: string;
  let app: BrokerApp;
  let osb: Osb;
  const instanceId = randomUUID();

  beforeAll(async () => {
    volumesRoot = mkdtempSync(join(tmpdir(), 'osbkit-local-rules-'));
    app = createBroker({
      catalog: join(__dirname, '..', '..', '..', 'catalog', 'local.yaml'),
      broker: new LocalVolumeBroker({ volumesRoot }),
      auth: { username: CREDENTIALS.username, password: CREDENTIALS.password },
      logger: pino({ level: 'silent' }),
    });
    osb = new Osb(app.handler);
    await osb.put(`/v2/service_instances/${instanceId}`, { service_id: SERVICE_ID, plan_id: PLAN_ID, organization_guid: 'org', space_guid: 'space' }).expect(201);
  });

  afterAll(async () => {
    await app.close();
    rmSync(volumesRoot, { recursive: true, force: true });
  });

  const bind = (mount: string) =>
    osb.put(`/v2/service_instances/${instanceId}/service_bindings/${randomUUID()}`, {
      service_id: SERVICE_ID,
      plan_id: PLAN_ID,
      bind_resource: { app_guid: randomUUID() },
      parameters: { mount },
    });

  it.each([
    ['/etc', '/etc or inside it'],
    ['/proc/x', '/proc or inside it'],
    ['/usr/sbin', '/usr or inside it'],
    ['/home/vcap/app', '/home/vcap/app or inside it'],
    ['/tmp', 'must not replace /tmp'],
    ['/tmp/', 'must not replace /tmp'],
  ])('refuses mount %j with 400 naming the rule', async (mount, rule) => {
    const response = await bind(mount).expect(400);
    expect(response.body.description).toContain('The mount parameter is invalid');
    expect(response.body.description).toContain(rule);
  });

  it('accepts a directory the cell accepts, in canonical form', async () => {
    const response = await bind('/data//files/').expect(201);
    expect(response.body.volume_mounts[0]).toMatchObject({ container_dir: '/data/files', mode: 'rw', device_type: 'shared' });
  });
});
