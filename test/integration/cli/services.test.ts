import { DatabaseBroker, databaseCatalog } from '../controller/support/brokers';
import { failMode, sleep, startTestBroker, type TestBroker } from '../controller/support/test-broker';
import { CliPlatform } from './support';

jest.setTimeout(120_000);

type Body = Record<string, unknown>;

/**
 * The service verbs as a user meets them in the first hour: names that match nothing say so
 * as cf says it, services and service show the bound apps, service keys, what delete-service
 * needs first, and a create that times out says what happens next.
 */
describe('service verbs through the CLI', () => {
  let platform: CliPlatform;
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startTestBroker({
      catalog: databaseCatalog(),
      broker: new DatabaseBroker(),
      intercept: async (req, res) => {
        if (failMode(req) !== 'timeout') return false;
        await sleep(1500);
        if (!res.headersSent && !res.destroyed) res.status(201).json({});
        return true;
      },
    });
    platform = await CliPlatform.start({ brokerTimeoutMs: 1000 });
    await platform.harness.registerBroker('db', broker.url);
    await platform.harness.enableAccess('testdb');
    await platform.logIn();
  });

  afterAll(async () => {
    await platform?.stop();
    await broker?.stop();
  });

  const failure = async (args: string[]): Promise<string> => {
    const result = await platform.cli(args);
    expect(result.status).toBe(1);
    return result.stderr.slice(result.stderr.indexOf('FAILED\n') + 'FAILED\n'.length).trim();
  };

  test('an offering, plan, instance or app that does not exist is named as cf names it, with what to run instead', async () => {
    expect(await failure(['create-service', 'testd', 'small', 'x'])).toBe("Service offering 'testd' not found. Did you mean 'testdb'?\nTIP: Use 'osbkit marketplace' to see the service offerings.");
    expect(await failure(['create-service', 'nothing-like-it', 'small', 'x'])).toBe("Service offering 'nothing-like-it' not found.\nTIP: Use 'osbkit marketplace' to see the service offerings.");
    expect(await failure(['create-service', 'testdb', 'free', 'x'])).toBe("The plan 'free' could not be found for service offering 'testdb'.\nTIP: Use 'osbkit marketplace -e testdb' to see its plans.");
    expect(await failure(['create-service', 'testdb', 'smal', 'x'])).toBe("The plan 'smal' could not be found for service offering 'testdb'. Did you mean 'small'?\nTIP: Use 'osbkit marketplace -e testdb' to see its plans.");
    expect(await failure(['marketplace', '-e', 'testd'])).toBe("Service offering 'testd' not found. Did you mean 'testdb'?\nTIP: Use 'osbkit marketplace' to see the service offerings.");
    expect(await failure(['enable-service-access', 'testdb', '-p', 'gold'])).toBe("The plan 'gold' could not be found for service offering 'testdb'.\nTIP: Use 'osbkit marketplace -e testdb' to see its plans.");
    expect(await failure(['service', 'nope'])).toBe('Service instance \'nope\' not found. See "osbkit services".');
    expect(await failure(['delete-service', 'nope'])).toBe('Service instance \'nope\' not found. See "osbkit services".');
    expect(await failure(['bind-service', 'no-app', 'nope'])).toBe('App \'no-app\' not found. See "osbkit apps".');
    expect(await failure(['create-service-key', 'nope', 'k'])).toBe('Service instance \'nope\' not found. See "osbkit services".');
    expect((await platform.harness.get('/v3/service_instances')).body.resources).toEqual([]);
  });

  test('services and service show the bound apps; service keys are created, listed, shown and deleted; delete-service names what is in the way', async () => {
    await platform.ok(['create-service', 'testdb', 'small', 'db1']);
    await platform.ok(['create-service', 'testdb', 'small', 'db2']);
    await platform.harness.createApp('web');
    await platform.harness.createApp('worker');
    await platform.ok(['bind-service', 'web', 'db1']);
    await platform.ok(['bind-service', 'worker', 'db1', '--binding-name', 'jobs']);

    const table = (await platform.ok(['services'])).trim().split('\n');
    expect(table[0]).toMatch(/^name\s+offering\s+plan\s+bound apps\s+last operation$/);
    expect(table[1]).toMatch(/^db1\s+testdb\s+small\s+web, worker\s+create succeeded$/);
    expect(table[2]).toMatch(/^db2\s+testdb\s+small\s+create succeeded$/);
    const listed = JSON.parse(await platform.ok(['--json', 'services'])) as Body[];
    expect(listed.map((i) => [i.name, i.bound_apps])).toEqual([['db1', ['web', 'worker']], ['db2', []]]);

    const shown = await platform.ok(['service', 'db1']);
    expect(shown).toMatch(/\nbound apps:\nname\s+binding name\s+last operation\nweb\s+create succeeded\nworker\s+jobs\s+create succeeded\n$/);
    expect(await platform.ok(['service', 'db2'])).toMatch(/\nThere are no bound apps for this service instance\.\n$/);
    expect((JSON.parse(await platform.ok(['--json', 'service', 'db1'])) as Body).bound_apps).toEqual(['web', 'worker']);

    expect(await platform.ok(['service-keys', 'db1'])).toBe('No service keys for service instance db1.\n');
    const created = await platform.cli(['create-service-key', 'db1', 'reporting', '-c', '{"read_only":true}']);
    expect(created.status).toBe(0);
    expect(created.stderr).toContain('Creating service key reporting for service instance db1');
    expect(created.stdout).toBe('OK\n');
    expect((await platform.ok(['service-keys', 'db1'])).trim().split('\n')).toEqual([
      expect.stringMatching(/^name\s+last operation\s+message$/),
      expect.stringMatching(/^reporting\s+create succeeded$/),
    ]);
    const credentials = JSON.parse(await platform.ok(['service-key', 'db1', 'reporting'])) as { credentials: Body };
    expect(credentials.credentials).toMatchObject({ password: 'cred-secret-Wm4t9QvX' });
    const guid = (await platform.ok(['service-key', 'db1', 'reporting', '--guid'])).trim();
    expect((await platform.harness.get(`/v3/service_credential_bindings/${guid}`)).body).toMatchObject({ type: 'key', name: 'reporting' });
    expect(broker.received('PUT', `/v2/service_instances/`).find((r) => r.path.endsWith(`/service_bindings/${guid}`))?.body).not.toHaveProperty('app_guid');
    expect(await failure(['service-key', 'db1', 'nope'])).toBe("No service key nope found for service instance db1.\nTIP: Use 'osbkit service-keys db1' to see its keys.");
    expect(await failure(['create-service-key', 'db1', 'reporting'])).toBe("The binding name is invalid. Key binding names must be unique. The service instance already has a key binding with name 'reporting'.");

    expect(await failure(['delete-service', 'db1'])).toBe('Cannot delete service instance. Service keys and bindings must first be deleted: bound to app(s) web, worker; service key(s) reporting.');
    expect(await platform.ok(['delete-service-key', 'db1', 'reporting'])).toBe('OK\n');
    const again = await platform.cli(['delete-service-key', 'db1', 'reporting']);
    expect(again).toMatchObject({ status: 0, stdout: 'OK\n' });
    expect(again.stderr).toContain('Service key reporting does not exist for service instance db1.');
    await platform.ok(['unbind-service', 'web', 'db1']);
    await platform.ok(['unbind-service', 'worker', 'db1']);
    await platform.ok(['delete-service', 'db1']);
    expect(await platform.ok(['services'])).not.toMatch(/^db1\s/m);
  });

  test('a create that times out says the instance stays listed, failed, that the platform is cleaning up, and how to follow it', async () => {
    const message = await failure(['create-service', 'testdb', 'small', 'slow', '-c', '{"fail":"timeout"}']);
    expect(message).toBe('The service broker did not answer the provision request within 1 second. The service instance stays listed with its creation failed. '
      + "The platform is asking the service broker to deprovision whatever it may have created (orphan mitigation) and retries until the broker confirms; the service instance's last operation shows how that goes. "
      + 'Delete the service instance to remove it and free its name.\n'
      + "TIP: 'osbkit service slow' shows its last operation; 'osbkit delete-service slow' deletes it.");
    expect(await platform.ok(['services'])).toMatch(/^slow\s+testdb\s+small\s+create failed$/m);
    await platform.harness.eventually(async () => (await platform.ok(['service', 'slow'])).includes('Orphan mitigation: the service broker confirmed the deprovision.'), 'the mitigation shown by osbkit service');
    await platform.ok(['delete-service', 'slow']);
    expect(await platform.ok(['services'])).not.toMatch(/^slow\s/m);
  });
});
