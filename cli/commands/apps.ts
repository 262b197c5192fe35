import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ControllerApi } from '../api';
import { collectAppFiles, packAppFiles, type AppFiles } from '../app-bits';
import { printJson, printTable, progress, ok, step } from '../output';
import { api, collectEnv, currentSession, targetSpace, type GlobalOptions } from './shared';

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]!}`;
}

/** As cf push: a package of type bits, the packed files uploaded to it; it is READY when this returns. */
async function uploadAppFiles(client: ControllerApi, appGuid: string, files: AppFiles): Promise<void> {
  step('Packaging files to upload...');
  for (const skipped of files.skipped) step(`  skipping ${skipped}: not a file, directory or symbolic link`);
  const work = mkdtempSync(join(tmpdir(), 'osbkit-push-'));
  try {
    const archive = join(work, 'app.tar.gz');
    const size = await packAppFiles(files, archive);
    step('Uploading files...');
    step(` ${files.files} files, ${sizeText(files.bytes)} (${sizeText(size)} compressed)`);
    const created = await client.request<{ guid: string }>('POST', '/v3/packages', { type: 'bits', relationships: { app: { data: { guid: appGuid } } } });
    await client.upload(`/v3/packages/${created.body.guid}/upload`, archive, 'application/gzip');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Apps are looked up in the targeted space, as cf does. */
async function appByName(name: string) {
  return api().findByName('apps', name, 'App', 'See "osbkit apps".', targetSpace().guid);
}

export function registerAppCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('push')
    .description('Create (or update) an app, upload its files and start it unless --no-start')
    .argument('<app>')
    .requiredOption('--command <cmd>', 'the command that runs the app')
    .option('-p, --path <dir>', 'the directory whose files are uploaded, available to the app at /home/vcap/app (default: the current directory); .cfignore is honoured')
    .option('-i, --instances <n>', 'number of instances', (v) => Number(v), 1)
    .option('--env <KEY=VALUE>', 'an environment variable (repeatable)', collectEnv, {})
    .option('--no-start', 'create the app and upload its files without starting it')
    .action(async (name: string, options: { command: string; path?: string; instances: number; env: Record<string, string>; start: boolean }) => {
      const client = api();
      if (!Number.isInteger(options.instances) || options.instances < 1) throw new Error('--instances must be a positive integer.');
      const space = targetSpace();
      // As cf: the files are found before anything changes, so a wrong directory changes nothing.
      const files = collectAppFiles(resolve(options.path ?? process.cwd()));
      const session = currentSession();
      step(`Pushing app ${name} to org ${session?.organization?.name ?? '?'} / space ${space.name} as ${session?.username ?? '?'}...`);
      const existing = (await client.list(`/v3/apps?names=${encodeURIComponent(name)}&space_guids=${space.guid}`)).find((a) => a.name === name);
      const body = { name, command: options.command, instances: options.instances, env: options.env };
      const app = existing
        ? (await client.request<{ guid: string }>('PATCH', `/v3/apps/${existing.guid}`, body)).body
        : (await client.request<{ guid: string }>('POST', '/v3/apps', { ...body, relationships: { space: { data: { guid: space.guid } } } })).body;
      await uploadAppFiles(client, app.guid, files);
      if (options.start) {
        step(`Waiting for app ${name} to start...`);
        await client.request('POST', `/v3/apps/${app.guid}/actions/${existing ? 'restart' : 'start'}`);
      }
      ok(`App ${name} ${existing ? 'updated' : 'created'}${options.start ? ' and started' : ''}.`, globals());
    });

  program
    .command('apps')
    .description('List apps')
    .action(async () => {
      const apps = await api().list(`/v3/apps?space_guids=${targetSpace().guid}`);
      if (globals().json) return printJson(apps);
      printTable(['name', 'state', 'instances', 'command'], apps.map((a) => [a.name, String(a.state ?? ''), String(a.instances ?? ''), String(a.command ?? '')]));
    });

  for (const action of ['start', 'stop', 'restart'] as const) {
    program
      .command(action)
      .description(`${action[0]!.toUpperCase()}${action.slice(1)} an app`)
      .argument('<app>')
      .action(async (name: string) => {
        const app = await appByName(name);
        await api().request('POST', `/v3/apps/${app.guid}/actions/${action}`);
        ok('OK', globals());
      });
  }

  program
    .command('delete')
    .description('Delete an app (its bindings are deleted first)')
    .argument('<app>')
    .action(async (name: string) => {
      const client = api();
      const app = await appByName(name);
      const done = await client.request('DELETE', `/v3/apps/${app.guid}`);
      if (done.status === 202) await client.waitForJob(done.location, progress);
      ok('OK', globals());
    });

  program
    .command('logs')
    .description('Show an app\'s logs')
    .argument('<app>')
    .option('--recent', 'print the recent logs and exit')
    .action(async (name: string, options: { recent?: boolean }) => {
      const client = api();
      const app = await appByName(name);
      const print = (lines: Array<{ timestamp: string; instance: number; source: string; line: string }>): void => {
        for (const l of lines) console.log(`${l.timestamp} [APP/${l.instance}] ${l.source} ${l.line}`);
      };
      const fetchLogs = () => client.get<{ lines?: Array<{ timestamp: string; instance: number; source: string; line: string }> } | Array<{ timestamp: string; instance: number; source: string; line: string }>>(`/v3/apps/${app.guid}/logs?recent=true`);
      const asLines = (value: Awaited<ReturnType<typeof fetchLogs>>) => (Array.isArray(value) ? value : value.lines ?? []);
      let seen = 0;
      const first = asLines(await fetchLogs());
      if (globals().json && options.recent) return printJson(first);
      print(first);
      seen = first.length;
      if (options.recent) return;
      // Follow by polling: the recent buffer only grows until it wraps.
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const lines = asLines(await fetchLogs());
        if (lines.length > seen) print(lines.slice(seen));
        seen = lines.length;
      }
    });

  program
    .command('env')
    .description('Show an app\'s environment, including VCAP_SERVICES')
    .argument('<app>')
    .action(async (name: string) => {
      const app = await appByName(name);
      const env = await api().get<Record<string, unknown>>(`/v3/apps/${app.guid}/env`);
      if (globals().json) return printJson(env);
      console.log('System-Provided:');
      console.log(JSON.stringify(env.system_env_json ?? {}, null, 2));
      console.log('\nUser-Provided:');
      console.log(JSON.stringify(env.environment_variables ?? {}, null, 2));
    });

  program
    .command('app')
    .description('Show an app and its instances')
    .argument('<app>')
    .action(async (name: string) => {
      const client = api();
      const app = await appByName(name);
      const processes = await client.get<unknown>(`/v3/apps/${app.guid}/processes`);
      if (globals().json) return printJson({ app, processes });
      console.log(`name:   ${String(app.name)}\nstate:  ${String(app.state ?? '')}`);
      const list = Array.isArray(processes) ? processes : ((processes as { resources?: unknown[] }).resources ?? []);
      printTable(['#', 'state', 'since', 'crashes'], (list as Array<Record<string, unknown>>).map((p) => [String(p.index), String(p.state), String(p.since ?? ''), String(p.crashCount ?? p.crash_count ?? 0)]));
    });

  void progress;
}
