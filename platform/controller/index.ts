/** The controller: a Cloud Controller v3-like API for osbkit's platform. */
export {
  createController, startController, type Controller, type ControllerOptions, type RunningController, type StartControllerOptions,
} from './controller';
export {
  CellError, HttpCellApi, type CellApi, type CellInstanceStatus, type CellLogLine, type CellLrp, type CellVolumeMount, type HttpCellApiOptions,
} from './cell-api';
export { buildVcapServices, type VcapBindingSource, type VcapServiceEntry, type VcapServices } from './vcap-services';
export { classifyBrokerFailure, needsOrphanMitigation, type BrokerRequestKind, type FailureKind } from './orphan-mitigation';
