import type { Command } from 'commander';
import { ApiError, JobFailedError, type ControllerApi, type Resource } from '../api';
import { printJson, printTable, progress, ok } from '../output';
import { instanceNamed, offeringNamed, planNamed } from '../service-lookup';
import { api, parseJsonOption, targetSpace, type GlobalOptions } from './shared';

interface LastOperation {
  type?: string;
  state?: string;
  description?: string;
}

/** An app binding of an instance, as `services` and `service` show it. */
interface BoundApp {
  app: string;
  binding_name: string | null;
  last_operation: string;
}

function describeOperation(resource: Resource): string {
  const last = (resource.last_operation ?? {}) as LastOperation;
  return `${last.type ?? ''} ${last.state ?? ''}`.trim();
}

/**
 * The apps bound to each instance of the space, by instance guid: two lists (the space's apps
 * and the app bindings), however many instances there are.
 */
async function boundAppsOf(client: ControllerApi, spaceGuid: string, instanceGuids: ReadonlySet<string>): Promise<Map<string, BoundApp[]>> {
  const bound = new Map<string, BoundApp[]>();
  if (instanceGuids.size === 0) return bound;
  const apps = new Map((await client.list(`/v3/apps?space_guids=${encodeURIComponent(spaceGuid)}`)).map((a) => [a.guid, String(a.name)]));
  for (const binding of await client.list('/v3/service_credential_bindings?type=app')) {
    const relationships = binding.relationships as { app?: { data?: { guid?: string } }; service_instance?: { data?: { guid?: string } } } | undefined;
    const instanceGuid = relationships?.service_instance?.data?.guid;
    const appName = apps.get(relationships?.app?.data?.guid ?? '');
    if (instanceGuid === undefined || !instanceGuids.has(instanceGuid) || appName === undefined) continue;
    const entry = { app: appName, binding_name: typeof binding.name === 'string' ? binding.name : null, last_operation: describeOperation(binding) };
    bound.set(instanceGuid, [...(bound.get(instanceGuid) ?? []), entry]);
  }
  return bound;
}

export function registerServiceCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('create-service')
    .description('Create a service instance')
    .argument('<offering>')
    .argument('<plan>')
    .argument('<name>')
    .option('-c, --config <json|file>', 'parameters for the broker, as JSON or a file')
    .option('-t, --tags <tags>', 'comma-separated tags')
    .option('--no-wait', 'return once the broker accepted the request')
    .action(async (offering: string, planName: string, name: string, options: { config?: string; tags?: string; wait: boolean }) => {
      const client = api();
      const parameters = parseJsonOption(options.config);
      const plan = await planNamed(client, await offeringNamed(client, offering), planName);
      const space = targetSpace();
      process.stderr.write(`Creating service instance ${name}`);
      const started = await client.request('POST', '/v3/service_instances', {
        type: 'managed',
        name,
        relationships: { space: { data: { guid: space.guid } }, service_plan: { data: { guid: plan.guid } } },
        ...(parameters ? { parameters } : {}),
        ...(options.tags ? { tags: options.tags.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
      });
      if (options.wait) {
        try {
          await client.waitForJob(started.location, progress);
        } catch (error) {
          // The job's error says what the platform does next; the TIP says how to follow it.
          if (!(error instanceof JobFailedError)) throw error;
          throw new ApiError(`${error.message}\nTIP: 'osbkit service ${name}' shows its last operation; 'osbkit delete-service ${name}' deletes it.`);
        }
      }
      process.stderr.write('\n');
      ok(options.wait ? 'OK' : 'Create in progress. Use "osbkit service" to check its state.', globals());
    });

  program
    .command('services')
    .description('List service instances')
    .action(async () => {
      const client = api();
      const space = targetSpace();
      const instances = await client.list(`/v3/service_instances?space_guids=${space.guid}`);
      const bound = await boundAppsOf(client, space.guid, new Set(instances.map((i) => i.guid)));
      const appsOf = (guid: string): string[] => (bound.get(guid) ?? []).map((b) => b.app);
      if (globals().json) return printJson(instances.map((i) => ({ ...i, bound_apps: appsOf(i.guid) })));
      printTable(['name', 'offering', 'plan', 'bound apps', 'last operation'], instances.map((i) =>
        [i.name, String(i.service_offering_name ?? ''), String(i.service_plan_name ?? ''), appsOf(i.guid).join(', '), describeOperation(i)]));
    });

  program
    .command('service')
    .description('Show one service instance')
    .argument('<name>')
    .action(async (name: string) => {
      const client = api();
      const space = targetSpace();
      const instance = await instanceNamed(client, name, space.guid);
      const full = await client.get<Resource>(`/v3/service_instances/${instance.guid}`);
      const boundApps = (await boundAppsOf(client, space.guid, new Set([instance.guid]))).get(instance.guid) ?? [];
      if (globals().json) return printJson({ ...full, bound_apps: boundApps.map((b) => b.app) });
      const last = (full.last_operation ?? {}) as LastOperation;
      console.log(`name:            ${String(full.name)}`);
      console.log(`guid:            ${String(full.guid)}`);
      console.log(`offering:        ${String(full.service_offering_name ?? '')}`);
      console.log(`plan:            ${String(full.service_plan_name ?? '')}`);
      if (full.dashboard_url) console.log(`dashboard:       ${String(full.dashboard_url)}`);
      console.log(`last operation:  ${last.type ?? ''} ${last.state ?? ''}${last.description ? ` (${last.description})` : ''}`);
      console.log('');
      if (boundApps.length === 0) {
        console.log('There are no bound apps for this service instance.');
        return;
      }
      console.log('bound apps:');
      printTable(['name', 'binding name', 'last operation'], boundApps.map((b) => [b.app, b.binding_name, b.last_operation]));
    });

  program
    .command('update-service')
    .description('Change the plan or parameters of a service instance')
    .argument('<name>')
    .option('-p, --plan <plan>', 'the new plan')
    .option('-c, --config <json|file>', 'parameters for the broker')
    .action(async (name: string, options: { plan?: string; config?: string }) => {
      const client = api();
      const instance = await instanceNamed(client, name, targetSpace().guid);
      const parameters = parseJsonOption(options.config);
      const body: Record<string, unknown> = {};
      if (parameters) body.parameters = parameters;
      if (options.plan) {
        const plan = await planNamed(client, await offeringNamed(client, String(instance.service_offering_name ?? '')), options.plan);
        body.relationships = { service_plan: { data: { guid: plan.guid } } };
      }
      if (Object.keys(body).length === 0) throw new Error('Nothing to update: give --plan and/or -c.');
      process.stderr.write(`Updating service instance ${name}`);
      const started = await client.request('PATCH', `/v3/service_instances/${instance.guid}`, body);
      if (started.status === 202) await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok('OK', globals());
    });

  program
    .command('delete-service')
    .description('Delete a service instance (unbind it from apps and delete its service keys first)')
    .argument('<name>')
    .action(async (name: string) => {
      const client = api();
      const instance = await instanceNamed(client, name, targetSpace().guid);
      process.stderr.write(`Deleting service instance ${name}`);
      const started = await client.request('DELETE', `/v3/service_instances/${instance.guid}`);
      if (started.status === 202) await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok('OK', globals());
    });
}
