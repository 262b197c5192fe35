export { connectNfs, type NfsConnectOptions } from './connect';
export {
  NfsClient,
  type NfsStats,
  type NfsDirEntry,
  type MkdirOptions,
  type WriteFileOptions,
  type ReadOptions,
  type RmOptions,
} from './client';
export { parseNfsUrl, type NfsUrl } from './url';
export {
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
  nfs3StatusName,
  isNfsError,
} from './errors';
export { Nfs3, type CreateHow } from './nfs3';
export { Access3, StableHow, type Fattr3, type FileType, type FsInfo, type FsStat, type NfsTime, type PathConf, type Sattr3 } from './nfs3-types';
export type { ResolveOptions } from './resolve-path';
export type { WriteStability } from './write-window';
export { WritePipeline, type WritePipelineOptions } from './write-pipeline';
export type { ExportEntry } from './mount';
