import type { Command } from 'commander';
import { createLogger } from '../../sdk';
import { createMysqlBroker, mysqlBrokerConfigFromEnv } from '../../brokers/mysql';
import { printJson, printTable } from '../output';

/** `osbkit mysql-quota`: one pass of the MySQL quota enforcer, for cron or an operator. */
export function registerMysqlCommands(program: Command): void {
  program
    .command('mysql-quota')
    .description('Run the MySQL quota enforcer once (MYSQL_URL names the server)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const logger = createLogger({ name: 'mysql-quota' });
      const handle = createMysqlBroker(mysqlBrokerConfigFromEnv(), logger);
      try {
        const result = await handle.runQuotaEnforcerOnce();
        if (options.json || program.opts<{ json?: boolean }>().json) printJson(result);
        else {
          printTable(
            ['database', 'used MB', 'quota MB', 'over', 'revoked', 'restored'],
            result.databases.map((d) => [d.database, d.usedMb.toFixed(1), d.quotaMb, d.overQuota ? 'yes' : 'no', d.revoked.join(' '), d.restored.join(' ')]),
          );
        }
      } finally {
        await handle.close();
      }
    });
}
