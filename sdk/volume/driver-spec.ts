import { lstat, readFile, rm } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { formatDriverEndpoint, normaliseDriverAddress, parseDriverAddress } from './protocol/address';

/*
 * Driver spec files, the way volman finds drivers on a cell: a directory
 * holds `<name>.json`, `<name>.spec` or `<name>.sock`, and the driver's name
 * is the file's base name.
 */

export type DriverSpecFormat = 'json' | 'spec' | 'sock';

/** Discovery order within one directory, as volman uses it. */
export const DRIVER_SPEC_FORMATS: readonly DriverSpecFormat[] = ['json', 'spec', 'sock'];

export interface DriverTlsConfig {
  insecureSkipVerify: boolean;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface DriverSpec {
  /** The spec file's base name; the name brokers put in `volume_mounts[].driver`. */
  name: string;
  /** Canonical address (see normaliseDriverAddress). */
  address: string;
  format: DriverSpecFormat;
  specFile: string;
  tlsConfig: DriverTlsConfig | null;
  /** volman then names each container's volume `<volume_id>_<container>`. */
  uniqueVolumeIds: boolean;
}

/** The `.json` spec as written on disk; keys are Go field names. */
interface WireDriverSpec {
  Name: string;
  Addr: string;
  TLSConfig: { InsecureSkipVerify: boolean; CAFile: string; CertFile: string; KeyFile: string } | null;
  UniqueVolumeIds: boolean;
}

export class DriverSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverSpecError';
  }
}

// Spec files are a few hundred bytes; anything large is not a spec.
const MAX_SPEC_BYTES = 64 * 1024;
// Dots would confuse volman, which takes the text after the first dot as the format.
const WRITABLE_DRIVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** Splits `<name>.<format>`; undefined for files that are not driver specs. */
export function parseSpecFileName(fileName: string): { name: string; format: DriverSpecFormat } | undefined {
  const extension = extname(fileName).slice(1);
  const format = DRIVER_SPEC_FORMATS.find((candidate) => candidate === extension);
  if (format === undefined) return undefined;
  const name = basename(fileName, `.${extension}`);
  return name === '' ? undefined : { name, format };
}

export async function readDriverSpecFile(specFile: string): Promise<DriverSpec> {
  const absolute = resolve(specFile);
  const parsedName = parseSpecFileName(basename(absolute));
  if (parsedName === undefined) throw new DriverSpecError(`${absolute} is not a .json, .spec or .sock file`);
  const { name, format } = parsedName;

  if (format === 'sock') {
    const stats = await lstat(absolute);
    if (!stats.isSocket()) throw new DriverSpecError(`${absolute} is not a unix socket`);
    return { name, address: absolute, format, specFile: absolute, tlsConfig: null, uniqueVolumeIds: false };
  }

  const text = await readSmallFile(absolute);
  if (format === 'spec') {
    const firstLine = (text.split('\n', 1)[0] ?? '').trim();
    if (firstLine === '') throw new DriverSpecError(`${absolute} has no address on its first line`);
    return { name, address: normalise(firstLine, absolute), format, specFile: absolute, tlsConfig: null, uniqueVolumeIds: false };
  }

  return { name, format, specFile: absolute, ...parseJsonSpec(text, absolute) };
}

async function readSmallFile(path: string): Promise<string> {
  const stats = await lstat(path);
  if (!stats.isFile()) throw new DriverSpecError(`${path} is not a regular file`);
  if (stats.size > MAX_SPEC_BYTES) throw new DriverSpecError(`${path} is larger than ${MAX_SPEC_BYTES} bytes`);
  return readFile(path, 'utf8');
}

function normalise(address: string, specFile: string): string {
  try {
    return normaliseDriverAddress(address);
  } catch (error) {
    throw new DriverSpecError(`${specFile}: ${error instanceof Error ? error.message : 'invalid address'}`);
  }
}

function parseJsonSpec(text: string, specFile: string): Pick<DriverSpec, 'address' | 'tlsConfig' | 'uniqueVolumeIds'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DriverSpecError(`${specFile} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DriverSpecError(`${specFile} must hold a JSON object`);
  }
  const spec = parsed as Record<string, unknown>;
  if (spec.Name !== undefined && spec.Name !== null && typeof spec.Name !== 'string') {
    throw new DriverSpecError(`${specFile}: Name must be a string`);
  }
  if (typeof spec.Addr !== 'string' || spec.Addr.trim() === '') {
    throw new DriverSpecError(`${specFile}: Addr must be a non-empty string`);
  }
  const unique = spec.UniqueVolumeIds;
  if (unique !== undefined && unique !== null && typeof unique !== 'boolean') {
    throw new DriverSpecError(`${specFile}: UniqueVolumeIds must be a boolean`);
  }
  return {
    address: normalise(spec.Addr, specFile),
    tlsConfig: parseTlsConfig(spec.TLSConfig, specFile),
    uniqueVolumeIds: unique === true,
  };
}

function parseTlsConfig(value: unknown, specFile: string): DriverTlsConfig | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new DriverSpecError(`${specFile}: TLSConfig must be an object or null`);
  const tls = value as Record<string, unknown>;
  const text = (key: string): string => {
    const field = tls[key];
    if (field === undefined || field === null) return '';
    if (typeof field !== 'string') throw new DriverSpecError(`${specFile}: TLSConfig.${key} must be a string`);
    return field;
  };
  const insecure = tls.InsecureSkipVerify;
  if (insecure !== undefined && insecure !== null && typeof insecure !== 'boolean') {
    throw new DriverSpecError(`${specFile}: TLSConfig.InsecureSkipVerify must be a boolean`);
  }
  return { insecureSkipVerify: insecure === true, caFile: text('CAFile'), certFile: text('CertFile'), keyFile: text('KeyFile') };
}

function specPath(dir: string, name: string): string {
  if (!WRITABLE_DRIVER_NAME.test(name)) {
    throw new DriverSpecError(`driver name ${JSON.stringify(name)} must be 1-100 letters, digits, '-' or '_'`);
  }
  return join(resolve(dir), `${name}.json`);
}

/**
 * Advertises a driver to the cell. Written atomically because volman may
 * scan the directory at any moment; returns the spec file's path.
 */
export async function writeDriverSpec(dir: string, name: string, address: string): Promise<string> {
  const target = specPath(dir, name);
  let canonical: string;
  try {
    canonical = formatDriverEndpoint(parseDriverAddress(address));
  } catch (error) {
    throw new DriverSpecError(`cannot advertise driver ${name}: ${error instanceof Error ? error.message : 'invalid address'}`);
  }
  const spec: WireDriverSpec = { Name: name, Addr: canonical, TLSConfig: null, UniqueVolumeIds: false };
  await writeFileAtomic(target, `${JSON.stringify(spec)}\n`, 0o644);
  return target;
}

/** Withdraws a driver's `.json` spec; a spec that is already gone is fine. */
export async function removeDriverSpec(dir: string, name: string): Promise<void> {
  await rm(specPath(dir, name), { force: true });
}
