export * from './protocol/types';
export { VolumeDriverError, safeVolumeError, encodeSafeError, decodeSafeError } from './protocol/errors';
export { VolumeDriverClient, type VolumeDriverClientOptions } from './protocol/client';
export {
  createVolumeDriverHandler,
  listenVolumeDriver,
  type VolumeDriver,
  type VolumeDriverHandler,
  type VolumeDriverHandlerOptions,
  type ListeningVolumeDriver,
} from './protocol/server';
export { normaliseDriverAddress, parseDriverAddress, DriverAddressError, type DriverEndpoint } from './protocol/address';
export {
  discoverDriverSpecs,
  writeDriverSpec,
  removeDriverSpec,
  readDriverSpecFile,
  DriverRegistry,
  UnknownVolumeDriverError,
  DriverSpecError,
  type DriverRegistryOptions,
  type RegisteredVolumeDriver,
  type DriverSpec,
  type DriverSpecFormat,
  type DriverTlsConfig,
} from './discovery';
export {
  validateVolumeMounts,
  redactVolumeMountForApp,
  type VolumeMount,
  type VolumeMountMode,
  type SharedVolumeDevice,
  type AppVisibleVolumeMount,
  type VolumeMountsValidation,
  type VolumeMountsValidationOptions,
} from './mounts';
export { containerDirProblem, normaliseContainerDir, InvalidContainerDirError, MAX_CONTAINER_DIR_LENGTH } from './container-dir';
export { localVolumeDirName, localVolumePath } from './local-path';
export { invalidVolumeNameReason } from './volume-name';
export { readJsonStateFile, writeFileAtomic } from './atomic-file';
export { silentVolumeLogger, type VolumeLogger } from './logger';
export {
  connectNfs,
  parseNfsUrl,
  NfsClient,
  NfsClientError,
  NfsError,
  MountError,
  RpcError,
  RpcTimeoutError,
  RpcConnectionError,
  RpcAcceptError,
  RpcDeniedError,
  RpcProtocolError,
  PortmapError,
  XdrError,
  NfsUrlError,
  NfsPathError,
  NfsSymlinkError,
  Nfs3Status,
  isNfsError,
  type NfsConnectOptions,
  type NfsUrl,
  type NfsStats,
  type NfsDirEntry,
  type MkdirOptions,
  type WriteFileOptions,
  type ReadOptions,
  type RmOptions,
  type ResolveOptions,
  type WriteStability,
  type FileType,
  type NfsTime,
} from './nfs';
export {
  parseShare,
  shareText,
  shareSource,
  shareWithin,
  hostNameProblem,
  ShareSyntaxError,
  SEGMENT_CHARACTERS,
  MAX_SHARE_LENGTH,
  type NfsShare,
  type ShareHostKind,
} from './nfs-share';
export { ShareAllowList, ShareRuleError, parseShareRule, type ShareRule } from './nfs-share-allow-list';
