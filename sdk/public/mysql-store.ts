/**
 * `osbkit/mysql-store`: the SDK's state in MySQL or MariaDB, so several replicas of a broker
 * share one store. Its own entry point, so that only brokers that use it load mysql2.
 */
export { MysqlStore, MYSQL_STORE_SCHEMA_VERSION, type MysqlStoreOptions, type MysqlServerAddress } from '../store/mysql';
