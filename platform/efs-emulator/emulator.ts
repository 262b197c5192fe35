import { createAccessPointRoot, createFileSystemDir, removeFileSystemDir, type BackingDirLogger } from './backing-dir';
import { checkFaultSettings, NO_FAULTS, type FaultSettings } from './faults';
import { cryptoRandom, seededRandom, type RandomSource } from './random';
import { EfsStore, type AccessPointRecord } from './records';
import { loadStateFile, StateFileWriter } from './state-file';
import { buildSubnets, DEFAULT_SUBNETS, type Subnet, type SubnetConfig } from './subnets';

/** Everything that shapes one emulator; every field has a default (see DEFAULTS). */
export interface EfsEmulatorSettings {
  region: string;
  /** The 12-digit account that owns everything (OwnerId, ARNs). */
  accountId: string;
  subnets: readonly SubnetConfig[];
  /** How long a new file system, mount target or access point stays `creating`. */
  creationDelayMs: number;
  /** How long a deleted one stays `deleting` before it is gone. */
  deletionDelayMs: number;
  faults: FaultSettings;
  /** Makes fault draws and resource ids repeatable. */
  seed?: number;
  /** Directory holding one directory per file system, for an NFS server to export. */
  backingDir?: string;
  /** JSON file the state is kept in across restarts; in memory only without it. */
  stateFile?: string;
  /** AWS's default quota of file systems per account and region. */
  fileSystemLimit: number;
  /** AWS's documented maximum of access points per file system. */
  accessPointLimit: number;
}

export const DEFAULTS = {
  region: 'us-east-1',
  accountId: '123456789012',
  subnets: DEFAULT_SUBNETS,
  creationDelayMs: 1000,
  deletionDelayMs: 1000,
  faults: NO_FAULTS,
  fileSystemLimit: 1000,
  accessPointLimit: 10_000,
} as const satisfies Partial<EfsEmulatorSettings>;

export class EmulatorSettingsError extends Error {}

export interface EmulatorLogger extends BackingDirLogger {
  info(message: string): void;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function checkSettings(settings: EfsEmulatorSettings): void {
  if (!REGION.test(settings.region)) throw new EmulatorSettingsError(`region "${settings.region}" must look like us-east-1`);
  if (!/^\d{12}$/.test(settings.accountId)) throw new EmulatorSettingsError(`account id "${settings.accountId}" must be 12 digits`);
  for (const name of ['creationDelayMs', 'deletionDelayMs'] as const) {
    const value = settings[name];
    if (!Number.isInteger(value) || value < 0) throw new EmulatorSettingsError(`${name} must be a whole number of milliseconds >= 0, got ${value}`);
  }
  for (const name of ['fileSystemLimit', 'accessPointLimit'] as const) {
    const value = settings[name];
    if (!Number.isInteger(value) || value < 1) throw new EmulatorSettingsError(`${name} must be a whole number >= 1, got ${value}`);
  }
  if (settings.seed !== undefined && !Number.isInteger(settings.seed)) throw new EmulatorSettingsError(`seed must be an integer, got ${settings.seed}`);
}

/**
 * The emulated service: the store, the clock, randomness, and the side effects of changes
 * (backing directories, the state file, the timer that finishes deletions). The operations
 * decide what changes; this carries it out.
 */
export class EfsEmulator {
  readonly subnets: ReadonlyMap<string, Subnet>;
  private faultSettings: FaultSettings;
  readonly faultRandom: RandomSource;
  private readonly idRandom: RandomSource;
  /** Deletions the timer is finishing (their snapshot included), which close waits for. */
  private readonly timedSettles = new Set<Promise<void>>();
  private readonly writer: StateFileWriter | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly settings: EfsEmulatorSettings,
    readonly store: EfsStore,
    readonly log: EmulatorLogger,
  ) {
    this.subnets = new Map(buildSubnets(settings.subnets).map((subnet) => [subnet.subnetId, subnet]));
    this.faultSettings = checkFaultSettings(settings.faults);
    // Two streams, so the fault sequence does not depend on how many ids were made.
    this.faultRandom = settings.seed === undefined ? cryptoRandom() : seededRandom(settings.seed);
    this.idRandom = settings.seed === undefined ? cryptoRandom() : seededRandom(settings.seed ^ 0x5bd1e995);
    this.writer = settings.stateFile === undefined ? undefined : new StateFileWriter(settings.stateFile);
  }

  static async open(settings: EfsEmulatorSettings, logger: EmulatorLogger): Promise<EfsEmulator> {
    checkSettings(settings);
    const snapshot = settings.stateFile === undefined ? undefined : await loadStateFile(settings.stateFile);
    const emulator = new EfsEmulator(settings, snapshot ? EfsStore.fromSnapshot(snapshot) : new EfsStore(), logger);
    if (settings.backingDir !== undefined) {
      for (const id of emulator.store.fileSystems.keys()) await createFileSystemDir(settings.backingDir, id);
    }
    await emulator.settle();
    return emulator;
  }

  now(): number {
    return Date.now();
  }

  get faults(): FaultSettings {
    return { ...this.faultSettings };
  }

  setFaults(changes: Partial<FaultSettings>): void {
    this.faultSettings = checkFaultSettings({ ...this.faultSettings, ...changes });
  }

  /** A fresh id such as fs-0123456789abcdef0 (AWS's long ids: 17 hex digits). */
  newId(prefix: 'fs' | 'fsmt' | 'fsap' | 'eni'): string {
    for (;;) {
      const id = `${prefix}-${this.idRandom.hex(17)}`;
      if (!this.store.fileSystems.has(id) && !this.store.mountTargets.has(id) && !this.store.accessPoints.has(id)) return id;
    }
  }

  arn(kind: 'file-system' | 'access-point', id: string): string {
    return `arn:aws:elasticfilesystem:${this.settings.region}:${this.settings.accountId}:${kind}/${id}`;
  }

  /** The id an id-or-ARN input names; an ARN of another region or account names nothing here. */
  idFromInput(input: string): string | undefined {
    if (!input.startsWith('arn:')) return input;
    const match = /^arn:aws[-a-z]*:elasticfilesystem:([0-9a-z-]+):(\d{12}):(?:file-system|access-point)\/(fs(?:ap)?-[0-9a-f]+)$/.exec(input);
    if (!match || match[1] !== this.settings.region || match[2] !== this.settings.accountId) return undefined;
    return match[3];
  }

  /** The default KMS key of EFS in this account, used for encrypted file systems without KmsKeyId. */
  defaultKmsKeyArn(): string {
    return `arn:aws:kms:${this.settings.region}:${this.settings.accountId}:key/00000000-0000-4000-8000-00000000e0f5`;
  }

  // Side effects.

  /** Makes a new file system's backing directory; a failure is the emulator's, not the caller's. */
  async createBackingDir(fileSystemId: string): Promise<void> {
    if (this.settings.backingDir !== undefined) await createFileSystemDir(this.settings.backingDir, fileSystemId);
  }

  async createAccessPointRoot(record: AccessPointRecord): Promise<void> {
    if (this.settings.backingDir === undefined) return;
    try {
      await createAccessPointRoot(this.settings.backingDir, record.fileSystemId, record.rootDirectory, this.log);
    } catch (error) {
      // Real EFS makes the directory on first mount and fails only that mount; so does this.
      this.log.warn(`access point ${record.accessPointId}: could not create ${record.rootDirectory.Path}: ${(error as Error).message}`);
    }
  }

  /** Persists the state (after finishing any deletion already due); called after every change, before it is answered. */
  async commit(): Promise<void> {
    await this.finishDueDeletions();
    if (this.writer) await this.writer.write(this.store.snapshot());
    this.scheduleSettle();
  }

  /** Finishes the deletions that are due and persists if that changed anything; runs before every request and on a timer. */
  async settle(): Promise<void> {
    const changed = await this.finishDueDeletions();
    if (changed && this.writer) await this.writer.write(this.store.snapshot());
    this.scheduleSettle();
  }

  private async finishDueDeletions(): Promise<boolean> {
    const { removedFileSystems, changed } = this.store.removeDeleted(this.now());
    for (const id of removedFileSystems) {
      if (this.settings.backingDir !== undefined) await removeFileSystemDir(this.settings.backingDir, id);
      this.log.info(`file system ${id} deleted`);
    }
    return changed;
  }

  private scheduleSettle(): void {
    if (this.closed) return;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    const now = this.now();
    const next = this.store.nextTransitionAfter(now);
    if (next === undefined) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      const run = this.settle().catch((error: unknown) => this.log.warn(`finishing deletions failed: ${(error as Error).message}`));
      this.timedSettles.add(run);
      void run.then(() => this.timedSettles.delete(run));
    }, next - now + 1);
    this.settleTimer.unref();
  }

  /**
   * Stops the timer, then waits for a deletion the timer is finishing and for the state file:
   * a request may already have been answered from a change whose snapshot is still being written.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    await Promise.all([...this.timedSettles]);
    await this.writer?.flushed();
  }
}
