import type { Command } from 'commander';
import { printJson, printTable, ok } from '../output';
import { offeringNamed, planNamed, plansOf } from '../service-lookup';
import { api, type GlobalOptions } from './shared';

export function registerMarketplaceCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('marketplace')
    .description('List service offerings, or the plans of one with -e')
    .option('-e, --offering <name>', 'show the plans of this offering')
    .action(async (options: { offering?: string }) => {
      const client = api();
      if (options.offering) {
        const plans = await plansOf(client, await offeringNamed(client, options.offering));
        if (globals().json) return printJson(plans);
        printTable(['plan', 'description', 'free', 'access'], plans.map((p) => [p.name, p.description as string, String(p.free ?? true), String(p.visibility_type ?? '')]));
        return;
      }
      const offerings = await client.list('/v3/service_offerings');
      if (globals().json) return printJson(offerings);
      printTable(['offering', 'description', 'broker'], offerings.map((o) => [o.name, o.description as string, String(o.broker_name ?? '')]));
    });

  const access = (command: string, description: string, visibility: 'public' | 'admin', verb: string): void => {
    program
      .command(command)
      .description(description)
      .argument('<offering>')
      .option('-p, --plan <name>', 'only this plan')
      .action(async (offering: string, options: { plan?: string }) => {
        const client = api();
        const found = await offeringNamed(client, offering);
        const chosen = options.plan ? [await planNamed(client, found, options.plan)] : await plansOf(client, found);
        for (const plan of chosen) await client.request('POST', `/v3/service_plans/${plan.guid}/visibility`, { type: visibility });
        ok(`${verb} access to ${chosen.map((p) => p.name).join(', ')} of ${offering}.`, globals());
      });
  };
  access('enable-service-access', 'Make the plans of an offering available (all plans, or one with -p)', 'public', 'Enabled');
  access('disable-service-access', 'Make the plans of an offering unavailable to new instances', 'admin', 'Disabled');
}
