import type { Command } from 'commander';
import { ApiError, type ControllerApi, type Resource } from '../api';
import { ok, printJson, printTable, progress, step } from '../output';
import { instanceNamed } from '../service-lookup';
import { api, parseJsonOption, targetSpace, type GlobalOptions } from './shared';

/**
 * Service keys, as cf's create-service-key, service-keys, service-key and delete-service-key:
 * credentials for a person rather than an app (CC v3 credential bindings of type key).
 */

interface LastOperation {
  type?: string;
  state?: string;
  description?: string;
}

function keysOf(client: ControllerApi, instance: Resource): Promise<Resource[]> {
  return client.list(`/v3/service_credential_bindings?type=key&service_instance_guids=${encodeURIComponent(instance.guid)}`);
}

async function keyNamed(client: ControllerApi, instance: Resource, name: string): Promise<Resource | undefined> {
  const found = await client.list(`/v3/service_credential_bindings?type=key&service_instance_guids=${encodeURIComponent(instance.guid)}&names=${encodeURIComponent(name)}`);
  return found.find((k) => k.name === name);
}

export function registerServiceKeyCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('create-service-key')
    .description('Create a service key: credentials for you rather than an app')
    .argument('<service>', 'the service instance')
    .argument('<key>', 'a name for the key, unique in the service instance')
    .option('-c, --config <json|file>', 'parameters for the broker, as JSON or a file')
    .option('--no-wait', 'return once the broker accepted the request')
    .action(async (serviceName: string, keyName: string, options: { config?: string; wait: boolean }) => {
      const client = api();
      const instance = await instanceNamed(client, serviceName, targetSpace().guid);
      const parameters = parseJsonOption(options.config);
      process.stderr.write(`Creating service key ${keyName} for service instance ${serviceName}`);
      const started = await client.request('POST', '/v3/service_credential_bindings', {
        type: 'key',
        name: keyName,
        relationships: { service_instance: { data: { guid: instance.guid } } },
        ...(parameters ? { parameters } : {}),
      });
      if (options.wait) await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok(options.wait ? 'OK' : `Create in progress. Use "osbkit service-keys ${serviceName}" to check its state.`, globals());
    });

  program
    .command('service-keys')
    .description('List the service keys of a service instance')
    .argument('<service>', 'the service instance')
    .action(async (serviceName: string) => {
      const client = api();
      const instance = await instanceNamed(client, serviceName, targetSpace().guid);
      const keys = await keysOf(client, instance);
      if (globals().json) return printJson(keys);
      if (keys.length === 0) {
        console.log(`No service keys for service instance ${serviceName}.`);
        return;
      }
      printTable(['name', 'last operation', 'message'], keys.map((k) => {
        const last = (k.last_operation ?? {}) as LastOperation;
        return [k.name, `${last.type ?? ''} ${last.state ?? ''}`.trim(), last.description ?? ''];
      }));
    });

  program
    .command('service-key')
    .description("Show a service key's credentials")
    .argument('<service>', 'the service instance')
    .argument('<key>', 'the key')
    .option('--guid', 'print only the key\'s guid')
    .action(async (serviceName: string, keyName: string, options: { guid?: boolean }) => {
      const client = api();
      const instance = await instanceNamed(client, serviceName, targetSpace().guid);
      const key = await keyNamed(client, instance, keyName);
      if (!key) throw new ApiError(`No service key ${keyName} found for service instance ${serviceName}.\nTIP: Use 'osbkit service-keys ${serviceName}' to see its keys.`);
      if (options.guid) {
        console.log(key.guid);
        return;
      }
      const details = await client.get<{ credentials?: unknown }>(`/v3/service_credential_bindings/${key.guid}/details`);
      printJson({ credentials: details.credentials ?? {} });
    });

  program
    .command('delete-service-key')
    .description('Delete a service key; the broker revokes its credentials')
    .argument('<service>', 'the service instance')
    .argument('<key>', 'the key')
    .option('--no-wait', 'return once the broker accepted the request')
    .action(async (serviceName: string, keyName: string, options: { wait: boolean }) => {
      const client = api();
      const instance = await instanceNamed(client, serviceName, targetSpace().guid);
      const key = await keyNamed(client, instance, keyName);
      if (!key) {
        step(`Service key ${keyName} does not exist for service instance ${serviceName}.`);
        ok('OK', globals());
        return;
      }
      process.stderr.write(`Deleting key ${keyName} for service instance ${serviceName}`);
      const started = await client.request('DELETE', `/v3/service_credential_bindings/${key.guid}`);
      if (options.wait && started.status === 202) await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok(options.wait ? 'OK' : `Delete in progress. Use "osbkit service-keys ${serviceName}" to check its state.`, globals());
    });
}
