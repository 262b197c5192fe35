import { createBroker, createLogger, SqliteStore } from 'osbkit';
import { PostgresBroker } from './broker';
import { catalog } from './catalog';

const username = process.env.OSBKIT_BROKER_USERNAME;
const password = process.env.OSBKIT_BROKER_PASSWORD;
if (!username || !password) throw new Error('set OSBKIT_BROKER_USERNAME and OSBKIT_BROKER_PASSWORD');

const logger = createLogger({ name: 'postgres-broker' });
const app = createBroker({
  catalog,
  broker: new PostgresBroker({ adminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' }),
  store: new SqliteStore({ path: process.env.STATE_FILE ?? 'state/broker.db' }),
  auth: { username, password },
  logger,
});

app.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1').then(({ url }) => {
  logger.info({ url }, 'postgres broker listening');
  // Stops the server once the answers under way have gone, then the broker and the store.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void app.close());
});
