import type { Logger } from 'pino';
import type { AccessTokens } from './access-tokens';
import type { CellApi } from './cell-api';
import type { JobRunner } from './jobs';
import type { OrphanMitigator } from './orphan-mitigation';
import type { OsbCalls } from './osb-calls';
import type { PackageBits } from './package-bits';
import type { ControllerStore } from './store';

/** The services every route and workflow of one controller is handed: its dependencies, built once in controller.ts. */
export interface ControllerDeps {
  store: ControllerStore;
  osb: OsbCalls;
  jobs: JobRunner;
  mitigator: OrphanMitigator;
  cell: CellApi;
  logger: Logger;
  tokens: AccessTokens;
  /** Where uploaded app bits are stored and unpacked. */
  packages: PackageBits;
  volumeServicesEnabled: boolean;
  /** New plans start public instead of admin-only (`osbkit up` convenience). */
  autoEnableAccess: boolean;
}
