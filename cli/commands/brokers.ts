import type { Command } from 'commander';
import { printJson, printTable, progress, ok } from '../output';
import { api, type GlobalOptions } from './shared';

function brokerConnection(url: string, username: string, password: string) {
  return { url, authentication: { type: 'basic', credentials: { username, password } } };
}

export function registerBrokerCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('create-service-broker')
    .description('Register a service broker with the platform')
    .argument('<name>')
    .argument('<username>')
    .argument('<password>')
    .argument('<url>')
    .action(async (name: string, username: string, password: string, url: string) => {
      const client = api();
      process.stderr.write(`Creating service broker ${name}`);
      const started = await client.request('POST', '/v3/service_brokers', { name, ...brokerConnection(url, username, password) });
      await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok('OK', globals());
    });

  program
    .command('update-service-broker')
    .description('Update a broker\'s URL or credentials and fetch its catalog again')
    .argument('<name>')
    .argument('<username>')
    .argument('<password>')
    .argument('<url>')
    .action(async (name: string, username: string, password: string, url: string) => {
      const client = api();
      const broker = await client.findByName('service_brokers', name, 'Service broker', 'See "osbkit service-brokers".');
      const started = await client.request('PATCH', `/v3/service_brokers/${broker.guid}`, brokerConnection(url, username, password));
      await client.waitForJob(started.location, progress);
      ok('OK', globals());
    });

  program
    .command('service-brokers')
    .description('List registered service brokers')
    .action(async () => {
      const brokers = await api().list('/v3/service_brokers');
      if (globals().json) return printJson(brokers);
      printTable(['name', 'url'], brokers.map((b) => [b.name, b.url as string]));
    });

  program
    .command('delete-service-broker')
    .description('Remove a service broker (refused while it has instances)')
    .argument('<name>')
    .action(async (name: string) => {
      const client = api();
      const broker = await client.findByName('service_brokers', name, 'Service broker', 'See "osbkit service-brokers".');
      const done = await client.request('DELETE', `/v3/service_brokers/${broker.guid}`);
      if (done.status === 202) await client.waitForJob(done.location, progress);
      ok('OK', globals());
    });
}
