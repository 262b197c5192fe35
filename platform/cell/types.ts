/** Shapes shared by the cell, its HTTP API and its client. */

export type IsolationMode = 'namespaces' | 'none';
export type IsolationRequest = 'auto' | IsolationMode;

export type VolumeAccessMode = 'r' | 'rw';

export interface VolumeMountSpec {
  driver: string;
  volumeId: string;
  mountConfig: Record<string, unknown>;
  /** Absolute path inside the container (namespaces isolation); reported to the app in OSBKIT_VOLUME_PATHS. */
  containerDir: string;
  mode: VolumeAccessMode;
}

/**
 * A destination an app may reach, derived by the controller from the app's bindings (the hosts
 * and ports their credentials name), like an application security group.
 */
export interface EgressRule {
  /** An IPv4 address or a host name, resolved by the cell when the instance starts. */
  destination: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

/** A long-running process as the controller wants it, like Diego's DesiredLRP reduced to what one cell needs. */
export interface DesiredLrp {
  name: string;
  command: string;
  env: Record<string, string>;
  instances: number;
  /** Host directory with the app's files; copied per instance so the app cannot change it. */
  appDir?: string;
  volumeMounts: VolumeMountSpec[];
  /** What the app may reach over the network; nothing else answers it (isolation 'namespaces'). None when absent. */
  egress?: EgressRule[];
}

export type InstanceState = 'starting' | 'running' | 'crashed' | 'stopped';

export interface InstanceStatus {
  index: number;
  state: InstanceState;
  /** Host pid of the instance's outermost process (unshare, or sh without isolation); null when none runs. */
  pid: number | null;
  crashCount: number;
  /** ISO time of the last state change. */
  since: string;
  /** Why the instance last crashed or failed to start; kept through restarts. */
  reason?: string;
}

export interface AppStatus {
  appGuid: string;
  name: string;
  instances: InstanceStatus[];
}

/** OUT and ERR are the app's streams; CELL lines are the cell's own notes about the instance. */
export type LogSource = 'OUT' | 'ERR' | 'CELL';

export interface LogLine {
  timestamp: string;
  appGuid: string;
  instanceIndex: number;
  source: LogSource;
  message: string;
}

export interface CellHealth {
  status: 'ok';
  isolation: IsolationMode;
  apps: number;
}

/** The JSON body of every non-2xx answer of the cell API; `field` names the offending request field. */
export interface CellErrorBody {
  error: string;
  description: string;
  field?: string;
}
