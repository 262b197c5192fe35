import { Command, CommanderError } from 'commander';
import { registerAppCommands } from './commands/apps';
import { registerAuthCommands } from './commands/auth';
import { registerBindingCommands } from './commands/bindings';
import { registerBrokerRunCommand } from './commands/broker';
import { registerCheckCommand } from './commands/check';
import { registerNewCommand } from './commands/new';
import { registerBrokerCommands } from './commands/brokers';
import { registerEfsEmulatorCommands } from './commands/efs-emulator';
import { registerMarketplaceCommands } from './commands/marketplace';
import { registerServiceKeyCommands } from './commands/service-keys';
import { registerServiceCommands } from './commands/services';
import { registerMysqlCommands } from './commands/mysql';
import { registerNfsCommands } from './commands/nfs';
import { registerPlatformCommands } from './commands/platform';
import { DEFAULT_API, type GlobalOptions } from './commands/shared';
import { registerUserCommands } from './commands/users';
import { osbkitVersion } from './version';

/** `osbkit`: cf-like verbs against the controller, plus the commands that run the platform. */
const program = new Command();
program
  .name('osbkit')
  .description('Open Service Broker toolkit: run brokers and a minimal platform on one machine')
  .version(`osbkit version ${osbkitVersion()}`, '-v, --version', 'print the osbkit version')
  .option('--json', 'print machine-readable JSON')
  .addHelpText('after', `
Environment:
  OSBKIT_HOME      where osbkit keeps its state, the CLI's target and login (config.json) included (default: ~/.osbkit)
  OSBKIT_API       the API the CLI talks to; overrides the target set by 'osbkit api URL', 'osbkit login -a URL'
                   and 'osbkit up' (default: that target, else ${DEFAULT_API})
  OSBKIT_PASSWORD  the password for 'osbkit login' when neither -p nor --password-file is given
`)
  .showHelpAfterError()
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerAuthCommands(program, globals);
registerUserCommands(program, globals);
registerBrokerCommands(program, globals);
registerMarketplaceCommands(program, globals);
registerServiceCommands(program, globals);
registerServiceKeyCommands(program, globals);
registerAppCommands(program, globals);
registerBindingCommands(program, globals);
registerBrokerRunCommand(program);
registerCheckCommand(program, globals);
registerNewCommand(program);

registerPlatformCommands(program);
registerMysqlCommands(program);
registerNfsCommands(program, globals);
registerEfsEmulatorCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`\nFAILED\n${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
