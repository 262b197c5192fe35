export * from './client';
export { OsbClientError } from './errors';
export { BROKER_TEXT_LIMIT, brokerText } from './broker-text';
