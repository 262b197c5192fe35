/**
 * An AWS EFS API emulator (REST-JSON, API version 2015-02-01) for development and tests. See
 * README.md for what it emulates, what it does not, and how a file system maps to a directory
 * that an NFS server exports.
 */
export { startEfsEmulator, silentLogger, type EfsEmulatorOptions, type EfsEmulatorStats, type RunningEfsEmulator } from './server';
export { DEFAULTS as EFS_EMULATOR_DEFAULTS, EmulatorSettingsError, type EfsEmulatorSettings, type EmulatorLogger } from './emulator';
export { SIGNING_SERVICE, type EmulatorCredentials } from './auth';
export { DEFAULT_SUBNETS, EMULATED_VPC_ID, SubnetConfigError, buildSubnets, parseSubnets, type Subnet, type SubnetConfig } from './subnets';
export { FaultSettingsError, type FaultSettings } from './faults';
export { StateFileError } from './state-file';
export { fileSystemDir } from './backing-dir';
export { MAX_TAGS_PER_RESOURCE } from './tags';
