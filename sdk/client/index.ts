export * from './client';
export { OsbClientError } from './errors';
