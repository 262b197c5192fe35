import { join } from 'node:path';
import { createBroker, createLogger, SqliteStore } from '../../sdk';
import { FileBroker } from './broker';

/**
 * Runs the example broker on node:http with the durable SQLite store:
 *   node dist/examples/file-broker/main.js --dir /tmp/files --port 8080
 * Credentials come from OSBKIT_BROKER_USERNAME / OSBKIT_BROKER_PASSWORD.
 */
function flag(name: string, fallback?: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required: a broker never runs with default credentials`);
  return value;
}

async function main(): Promise<void> {
  const dir = flag('dir');
  const port = Number(flag('port', '8080'));
  const logger = createLogger({ name: 'file-broker' });
  const app = createBroker({
    catalog: join(__dirname, '..', '..', '..', 'examples', 'file-broker', 'catalog.yaml'),
    broker: new FileBroker({ root: join(dir, 'files'), stepSeconds: Number(flag('step-seconds', '1')), slowSteps: Number(flag('steps', '5')) }),
    store: new SqliteStore({ path: join(dir, 'state.db') }),
    auth: { username: required('OSBKIT_BROKER_USERNAME'), password: required('OSBKIT_BROKER_PASSWORD') },
    logger,
    engine: { leaseMs: Number(flag('lease-ms', '30000')), scanIntervalMs: Number(flag('scan-ms', '15000')) },
  });
  const { url } = await app.listen(port, flag('host', '127.0.0.1'));
  logger.info({ url }, 'example file broker listening');
  // close() stops the server too, once the answers under way have gone.
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
