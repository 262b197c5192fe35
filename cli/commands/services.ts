import type { Command } from 'commander';
import { printJson, printTable, progress, ok } from '../output';
import { api, parseJsonOption, targetSpace, type GlobalOptions } from './shared';

interface LastOperation {
  type?: string;
  state?: string;
  description?: string;
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
      const plans = await client.list(`/v3/service_plans?service_offering_names=${encodeURIComponent(offering)}&names=${encodeURIComponent(planName)}`);
      const plan = plans.find((p) => p.name === planName);
      if (!plan) throw new Error(`Plan "${planName}" of offering "${offering}" not found. See "osbkit marketplace -e ${offering}".`);
      const space = targetSpace();
      process.stderr.write(`Creating service instance ${name}`);
      const started = await client.request('POST', '/v3/service_instances', {
        type: 'managed',
        name,
        relationships: { space: { data: { guid: space.guid } }, service_plan: { data: { guid: plan.guid } } },
        ...(parameters ? { parameters } : {}),
        ...(options.tags ? { tags: options.tags.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
      });
      if (options.wait) await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok(options.wait ? 'OK' : 'Create in progress. Use "osbkit service" to check its state.', globals());
    });

  program
    .command('services')
    .description('List service instances')
    .action(async () => {
      const instances = await api().list(`/v3/service_instances?space_guids=${targetSpace().guid}`);
      if (globals().json) return printJson(instances);
      printTable(['name', 'offering', 'plan', 'last operation'], instances.map((i) => {
        const last = (i.last_operation ?? {}) as LastOperation;
        return [i.name, String(i.service_offering_name ?? ''), String(i.service_plan_name ?? ''), `${last.type ?? ''} ${last.state ?? ''}`.trim()];
      }));
    });

  program
    .command('service')
    .description('Show one service instance')
    .argument('<name>')
    .action(async (name: string) => {
      const client = api();
      const instance = await client.findByName('service_instances', name, 'Service instance', 'See "osbkit services".', targetSpace().guid);
      const full = await client.get<Record<string, unknown>>(`/v3/service_instances/${instance.guid}`);
      if (globals().json) return printJson(full);
      const last = (full.last_operation ?? {}) as LastOperation;
      console.log(`name:            ${String(full.name)}`);
      console.log(`guid:            ${String(full.guid)}`);
      console.log(`offering:        ${String(full.service_offering_name ?? '')}`);
      console.log(`plan:            ${String(full.service_plan_name ?? '')}`);
      if (full.dashboard_url) console.log(`dashboard:       ${String(full.dashboard_url)}`);
      console.log(`last operation:  ${last.type ?? ''} ${last.state ?? ''}${last.description ? ` (${last.description})` : ''}`);
    });

  program
    .command('update-service')
    .description('Change the plan or parameters of a service instance')
    .argument('<name>')
    .option('-p, --plan <plan>', 'the new plan')
    .option('-c, --config <json|file>', 'parameters for the broker')
    .action(async (name: string, options: { plan?: string; config?: string }) => {
      const client = api();
      const instance = await client.findByName('service_instances', name, 'Service instance', 'See "osbkit services".', targetSpace().guid);
      const parameters = parseJsonOption(options.config);
      const body: Record<string, unknown> = {};
      if (parameters) body.parameters = parameters;
      if (options.plan) {
        const offering = String(instance.service_offering_name ?? '');
        const plans = await client.list(`/v3/service_plans?service_offering_names=${encodeURIComponent(offering)}&names=${encodeURIComponent(options.plan)}`);
        const plan = plans.find((p) => p.name === options.plan);
        if (!plan) throw new Error(`Plan "${options.plan}" not found for offering "${offering}".`);
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
    .description('Delete a service instance (unbind it from apps first)')
    .argument('<name>')
    .action(async (name: string) => {
      const client = api();
      const instance = await client.findByName('service_instances', name, 'Service instance', 'See "osbkit services".', targetSpace().guid);
      process.stderr.write(`Deleting service instance ${name}`);
      const started = await client.request('DELETE', `/v3/service_instances/${instance.guid}`);
      if (started.status === 202) await client.waitForJob(started.location, progress);
      process.stderr.write('\n');
      ok('OK', globals());
    });
}
