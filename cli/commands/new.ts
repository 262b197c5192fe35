import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { scaffoldFiles } from '../scaffold/templates';
import { osbkitVersion } from '../version';

/** npm's rules for a new package name, which is also the offering's name and the folder's. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;

/** Writes the new project; refuses a name npm would refuse and a folder that already holds something. */
export function scaffoldBroker(name: string, directory: string, version: string = osbkitVersion()): string[] {
  if (!PACKAGE_NAME.test(name)) {
    throw new Error(`"${name}" cannot name a broker: use lower-case letters, digits, ".", "_" and "-", starting with a letter or digit (it becomes the npm package and the service offering name).`);
  }
  const target = resolve(directory);
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target} already exists and is not empty; choose another name or --dir.`);
  const files = scaffoldFiles({ name, osbkitVersion: version });
  for (const [file, text] of Object.entries(files)) {
    const path = join(target, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { flag: 'wx' });
  }
  return Object.keys(files).sort();
}

/** `osbkit new broker NAME`: a broker project that installs and passes its tests as it is. */
export function registerNewCommand(program: Command): void {
  const create = program.command('new').description('Create a new project');
  create
    .command('broker')
    .description('Create a broker project on osbkit: catalog, broker, program, tests with the testkit, README')
    .argument('<name>', 'the npm package and service offering name, e.g. my-broker')
    .option('--dir <dir>', 'where to create it (default: ./NAME)')
    .action((name: string, options: { dir?: string }) => {
      const directory = options.dir ?? name;
      const files = scaffoldBroker(name, directory);
      process.stdout.write(`Created ${resolve(directory)}:\n${files.map((file) => `  ${file}`).join('\n')}\n\nNext:\n  cd ${directory}\n  npm install\n  npm test\n`);
    });
}
