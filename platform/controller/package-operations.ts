import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ControllerDeps } from './deps';
import { apiErrors } from './errors';
import { ArchiveProblem } from './package-archive';
import { UploadInterrupted } from './package-bits';
import type { AppRecord, PackageRecord } from './records';
import { timestamp } from './store';

/**
 * An app's packages, after Cloud Controller v3: a package is created AWAITING_UPLOAD, an
 * upload moves it to PROCESSING_UPLOAD and then READY (or FAILED, with the reason in
 * `error`), and an app starts with its newest READY package. Older READY packages that the
 * app no longer runs become EXPIRED and their files are removed.
 */

export function createPackage(deps: ControllerDeps, app: AppRecord): PackageRecord {
  const now = timestamp();
  const record: PackageRecord = { guid: randomUUID(), appGuid: app.guid, state: 'AWAITING_UPLOAD', checksum: null, error: null, createdAt: now, updatedAt: now };
  deps.store.packages.insert(record);
  deps.logger.info({ package: record.guid, app: app.guid }, 'package created');
  return record;
}

function fail(deps: ControllerDeps, guid: string, error: string): void {
  const current = deps.store.packages.get(guid);
  if (current) deps.store.packages.save({ ...current, state: 'FAILED', error, updatedAt: timestamp() });
}

/**
 * Receives and unpacks the bits of an AWAITING_UPLOAD package while the request is open.
 * A problem with the upload is a 422 naming it, and the package is FAILED with the same words.
 */
export async function uploadPackage(deps: ControllerDeps, record: PackageRecord, body: Readable, declaredLength: number | undefined): Promise<PackageRecord> {
  const { packages } = deps.store;
  if (!packages.claim(record.guid, 'AWAITING_UPLOAD', 'PROCESSING_UPLOAD', timestamp())) throw apiErrors.bitsAlreadyUploaded();
  let received: Awaited<ReturnType<typeof deps.packages.receive>>;
  try {
    received = await deps.packages.receive(record.guid, body, declaredLength);
  } catch (error) {
    if (error instanceof ArchiveProblem) {
      fail(deps, record.guid, error.message);
      deps.logger.info({ package: record.guid, problem: error.message }, 'package upload refused');
      throw apiErrors.packageInvalid(error.message);
    }
    if (error instanceof UploadInterrupted) {
      fail(deps, record.guid, error.message);
      throw apiErrors.messageParse(error.message);
    }
    fail(deps, record.guid, 'the bits could not be processed');
    throw error;
  }
  const current = packages.get(record.guid);
  if (!current) {
    // The app was deleted while its bits were unpacked.
    await deps.packages.remove(record.guid);
    throw apiErrors.notFound('Package');
  }
  const ready: PackageRecord = { ...current, state: 'READY', checksum: received.checksum, error: null, updatedAt: timestamp() };
  packages.save(ready);
  deps.logger.info({ package: ready.guid, app: ready.appGuid, ...received.summary }, 'package ready');
  await expireUnusedPackages(deps, ready.appGuid);
  return ready;
}

/** The package an app starts with. */
export function newestReadyPackage(deps: ControllerDeps, appGuid: string): PackageRecord | undefined {
  return deps.store.packages.ofApp(appGuid).filter((p) => p.state === 'READY').at(-1);
}

/** Keeps the newest READY package and the one the app runs; the other READY ones expire. */
export async function expireUnusedPackages(deps: ControllerDeps, appGuid: string): Promise<void> {
  const app = deps.store.apps.get(appGuid);
  const newest = newestReadyPackage(deps, appGuid);
  for (const record of deps.store.packages.ofApp(appGuid)) {
    if (record.state !== 'READY' || record.guid === newest?.guid || record.guid === app?.packageGuid) continue;
    deps.store.packages.save({ ...record, state: 'EXPIRED', error: 'a newer package replaced it', updatedAt: timestamp() });
    await deps.packages.remove(record.guid);
  }
}

/**
 * The files of a deleted app's packages (their rows went with the app). One still being
 * unpacked is left to its upload, which removes it when it finds the package gone.
 */
export async function removePackageFiles(deps: ControllerDeps, records: readonly PackageRecord[]): Promise<void> {
  for (const record of records) if (record.state !== 'PROCESSING_UPLOAD') await deps.packages.remove(record.guid);
}

/**
 * On start: uploads a previous controller was unpacking can never finish, so they fail, and
 * files that belong to no READY package are removed.
 */
export async function recoverPackages(deps: ControllerDeps): Promise<void> {
  for (const record of deps.store.packages.inState('PROCESSING_UPLOAD')) {
    fail(deps, record.guid, 'the controller stopped while the upload was unpacked; upload the bits again');
  }
  const ready = new Set(deps.store.packages.inState('READY').map((p) => p.guid));
  const removed = await deps.packages.removeAllBut(ready);
  if (removed.length > 0) deps.logger.info({ packages: removed.length }, 'removed the files of packages that are not ready');
}
