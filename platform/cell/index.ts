export { Cell, DEFAULT_APP_GID, DEFAULT_APP_UID, type CellOptions, type LogOptions, type LogSubscription } from './cell';
export { CellApiError, CellClient, type CellClientOptions, type FollowLogsOptions } from './client';
export { startCell, type RunningCell, type StartCellOptions } from './main';
export { createCellApp, type CellApi } from './server';
export { DEFAULT_CRASH_BACKOFF, type CrashBackoffPolicy } from './backoff';
export type { CellLogger } from './logger';
export { InvalidFieldError, parseDesiredLrp } from './validation';
export type { CellVolumeDrivers, DriverMountRecord } from './volumes';
export type * from './types';
