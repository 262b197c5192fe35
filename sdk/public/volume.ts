/**
 * `osbkit/volume`: the two halves of a volume service. `volume_mounts` as a broker answers
 * them and a platform checks them, and the Docker volume plugin protocol a cell uses to talk
 * to a volume driver: a driver's handler, a client, and the spec files drivers announce
 * themselves with.
 */
export {
  validateVolumeMounts,
  redactVolumeMountForApp,
  type AppVisibleVolumeMount,
  type SharedVolumeDevice,
  type VolumeMount,
  type VolumeMountMode,
  type VolumeMountsValidation,
  type VolumeMountsValidationOptions,
} from '../volume/mounts';
export { containerDirProblem, normaliseContainerDir, InvalidContainerDirError, MAX_CONTAINER_DIR_LENGTH } from '../volume/container-dir';
export {
  createVolumeDriverHandler,
  listenVolumeDriver,
  type ListeningVolumeDriver,
  type VolumeDriver,
  type VolumeDriverHandler,
  type VolumeDriverHandlerOptions,
} from '../volume/protocol/server';
export { VolumeDriverClient, type VolumeDriverClientOptions } from '../volume/protocol/client';
export { VolumeDriverError, safeVolumeError } from '../volume/protocol/errors';
export type { DriverCapabilities, VolumeInfo } from '../volume/protocol/types';
export { normaliseDriverAddress, parseDriverAddress, DriverAddressError, type DriverEndpoint } from '../volume/protocol/address';
export {
  discoverDriverSpecs,
  readDriverSpecFile,
  removeDriverSpec,
  writeDriverSpec,
  DriverSpecError,
  type DriverSpec,
  type DriverSpecFormat,
  type DriverTlsConfig,
} from '../volume/discovery';
export type { VolumeLogger } from '../volume/logger';
