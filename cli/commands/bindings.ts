import type { Command } from 'commander';
import { progress, ok } from '../output';
import { instanceNamed } from '../service-lookup';
import { api, parseJsonOption, targetSpace, type GlobalOptions } from './shared';

export function registerBindingCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('bind-service')
    .description('Bind a service instance to an app (restart the app to use it)')
    .argument('<app>')
    .argument('<service>')
    .option('-c, --config <json|file>', 'binding parameters, as JSON or a file')
    .option('--binding-name <name>', 'a name for the binding')
    .action(async (appName: string, serviceName: string, options: { config?: string; bindingName?: string }) => {
      const client = api();
      const app = await client.findByName('apps', appName, 'App', 'See "osbkit apps".', targetSpace().guid);
      const instance = await instanceNamed(client, serviceName, targetSpace().guid);
      const parameters = parseJsonOption(options.config);
      process.stderr.write(`Binding service instance ${serviceName} to app ${appName}`);
      const started = await client.request('POST', '/v3/service_credential_bindings', {
        type: 'app',
        ...(options.bindingName ? { name: options.bindingName } : {}),
        relationships: { service_instance: { data: { guid: instance.guid } }, app: { data: { guid: app.guid } } },
        ...(parameters ? { parameters } : {}),
      });
      if (started.status === 202) await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok(`OK\nTIP: Use "osbkit restart ${appName}" to ensure your app picks up the new binding.`, globals());
    });

  program
    .command('unbind-service')
    .description('Unbind a service instance from an app')
    .argument('<app>')
    .argument('<service>')
    .action(async (appName: string, serviceName: string) => {
      const client = api();
      const app = await client.findByName('apps', appName, 'App', 'See "osbkit apps".', targetSpace().guid);
      const instance = await instanceNamed(client, serviceName, targetSpace().guid);
      const bindings = await client.list(`/v3/service_credential_bindings?app_guids=${app.guid}&service_instance_guids=${instance.guid}`);
      if (bindings.length === 0) throw new Error(`App ${appName} is not bound to ${serviceName}.`);
      process.stderr.write(`Unbinding app ${appName} from service ${serviceName}`);
      for (const binding of bindings) {
        const started = await client.request('DELETE', `/v3/service_credential_bindings/${binding.guid}`);
        if (started.status === 202) await client.waitForJob(started.location, progress);
      }
      process.stderr.write('\n');
      ok('OK', globals());
    });
}
