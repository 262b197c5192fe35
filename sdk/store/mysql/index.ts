export { MysqlStore, MYSQL_STORE_SCHEMA_VERSION, type MysqlStoreOptions } from './store';
export type { MysqlServerAddress } from './connection';
