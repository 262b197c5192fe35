import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DRIVER_SPEC_FORMATS, parseSpecFileName, readDriverSpecFile, type DriverSpec } from './driver-spec';
import { silentVolumeLogger, type VolumeLogger } from './logger';
import { VolumeDriverClient } from './protocol/client';
import { VOLUME_DRIVER_INTERFACE } from './protocol/types';

export {
  readDriverSpecFile,
  removeDriverSpec,
  writeDriverSpec,
  DriverSpecError,
  type DriverSpec,
  type DriverSpecFormat,
  type DriverTlsConfig,
} from './driver-spec';

/**
 * Finds driver specs the way volman does: directories in the order given,
 * and within each directory `.json` before `.spec` before `.sock`; the first
 * usable spec for a name wins. Unreadable or invalid specs are logged and
 * skipped, so one bad file cannot hide the other drivers.
 */
export async function discoverDriverSpecs(dirs: string[], logger: VolumeLogger = silentVolumeLogger): Promise<DriverSpec[]> {
  const found = new Map<string, DriverSpec>();
  for (const dir of dirs) {
    const fileNames = await listDirectory(resolve(dir), logger);
    for (const format of DRIVER_SPEC_FORMATS) {
      const candidates = fileNames
        .map((fileName) => ({ fileName, parsed: parseSpecFileName(fileName) }))
        .filter((entry) => entry.parsed?.format === format);
      for (const { fileName, parsed } of candidates) {
        if (parsed === undefined || found.has(parsed.name)) continue;
        const specFile = join(resolve(dir), fileName);
        try {
          found.set(parsed.name, await readDriverSpecFile(specFile));
        } catch (error) {
          logger.warn({ specFile, err: error }, 'skipping unusable volume driver spec');
        }
      }
    }
  }
  return [...found.values()];
}

async function listDirectory(dir: string, logger: VolumeLogger): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') logger.debug({ dir }, 'volume driver directory does not exist yet');
    else logger.warn({ dir, err: error }, 'cannot read volume driver directory');
    return [];
  }
}

export class UnknownVolumeDriverError extends Error {
  readonly driverName: string;

  constructor(driverName: string, known: readonly string[]) {
    const knownText = known.length === 0 ? 'no drivers are registered' : `registered: ${known.join(', ')}`;
    super(`volume driver ${JSON.stringify(driverName)} is not registered on this cell (${knownText})`);
    this.name = 'UnknownVolumeDriverError';
    this.driverName = driverName;
  }
}

export interface DriverRegistryOptions {
  dirs: string[];
  /** Per-call timeout for every client the registry hands out. */
  timeoutMs?: number;
  logger?: VolumeLogger;
}

export interface RegisteredVolumeDriver {
  spec: DriverSpec;
  client: VolumeDriverClient;
}

/**
 * The drivers this cell can use: discovered from spec files, activated, and
 * kept only when they say they implement VolumeDriver. `refresh` replaces the
 * whole set, so a driver whose spec was withdrawn, or which stopped
 * answering, drops out until a later refresh finds it again.
 */
export class DriverRegistry {
  private drivers = new Map<string, RegisteredVolumeDriver>();
  private refreshing: Promise<string[]> | undefined;
  private readonly logger: VolumeLogger;

  constructor(private readonly options: DriverRegistryOptions) {
    this.logger = options.logger ?? silentVolumeLogger;
  }

  /** Rediscovers and reactivates; resolves to the registered names. */
  refresh(): Promise<string[]> {
    // Overlapping refreshes would race to replace the map; share one instead.
    this.refreshing ??= this.rebuild().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  names(): string[] {
    return [...this.drivers.keys()].sort();
  }

  has(name: string): boolean {
    return this.drivers.has(name);
  }

  spec(name: string): DriverSpec {
    return this.lookup(name).spec;
  }

  client(name: string): VolumeDriverClient {
    return this.lookup(name).client;
  }

  private lookup(name: string): RegisteredVolumeDriver {
    const driver = this.drivers.get(name);
    if (driver === undefined) throw new UnknownVolumeDriverError(name, this.names());
    return driver;
  }

  private async rebuild(): Promise<string[]> {
    const specs = await discoverDriverSpecs(this.options.dirs, this.logger);
    const activated = await Promise.all(specs.map((spec) => this.activate(spec)));
    this.drivers = new Map(
      activated.filter((entry): entry is RegisteredVolumeDriver => entry !== undefined).map((entry) => [entry.spec.name, entry]),
    );
    return this.names();
  }

  private async activate(spec: DriverSpec): Promise<RegisteredVolumeDriver | undefined> {
    const fields = { driver: spec.name, address: spec.address };
    try {
      const client = new VolumeDriverClient({
        address: spec.address,
        ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
      });
      const implementsList = await client.activate();
      if (!implementsList.includes(VOLUME_DRIVER_INTERFACE)) {
        this.logger.warn({ ...fields, implements: implementsList }, 'plugin does not implement VolumeDriver; ignoring it');
        return undefined;
      }
      this.logger.info(fields, 'volume driver registered');
      return { spec, client };
    } catch (error) {
      this.logger.warn({ ...fields, err: error }, 'volume driver did not activate; ignoring it until the next refresh');
      return undefined;
    }
  }
}
