import { badRequest, fileSystemAlreadyExists, fileSystemLimitExceeded, internalServerError, unsupportedAvailabilityZone } from '../errors';
import type { Operation } from '../operation';
import { describeFileSystem } from '../presenters';
import type { FileSystemRecord } from '../records';
import { mergeTags, readTags } from '../tags';
import { BodyReader, Constraints, PATTERNS, PERFORMANCE_MODES, THROUGHPUT_MODES, type PerformanceMode, type ThroughputMode } from '../validation';

/** The highest provisioned throughput EFS documents (MiB/s; the real ceiling depends on the region). */
const MAX_PROVISIONED_THROUGHPUT_MIBPS = 3414;

/** POST /2015-02-01/file-systems → 201 FileSystemDescription, state `creating`. */
export const createFileSystem: Operation = {
  name: 'CreateFileSystem',
  method: 'POST',
  path: '/2015-02-01/file-systems',
  throttleStatus: 400,
  async run({ emulator, body }) {
    const input = BodyReader.of(body);
    const constraints = new Constraints();
    const creationToken = input.string('CreationToken');
    if (constraints.required(creationToken, 'creationToken')) constraints.text(creationToken, 'creationToken', { min: 1, max: 64, pattern: PATTERNS.anyText });
    const performanceMode = input.string('PerformanceMode');
    constraints.oneOf(performanceMode, 'performanceMode', PERFORMANCE_MODES);
    const encrypted = input.boolean('Encrypted');
    const kmsKeyId = input.string('KmsKeyId');
    constraints.text(kmsKeyId, 'kmsKeyId', { max: 2048, pattern: PATTERNS.kmsKeyId });
    const throughputMode = input.string('ThroughputMode');
    constraints.oneOf(throughputMode, 'throughputMode', THROUGHPUT_MODES);
    const provisioned = input.double('ProvisionedThroughputInMibps');
    constraints.range(provisioned, 'provisionedThroughputInMibps', { min: 1 });
    const zone = input.string('AvailabilityZoneName');
    constraints.text(zone, 'availabilityZoneName', { min: 1, max: 64, pattern: PATTERNS.anyText });
    const backup = input.boolean('Backup');
    const tags = readTags(input, constraints);
    constraints.throwIfAny();
    const token = creationToken as string;
    const mode = (performanceMode ?? 'generalPurpose') as PerformanceMode;
    const throughput = (throughputMode ?? 'bursting') as ThroughputMode;

    if (kmsKeyId !== undefined && encrypted !== true) throw badRequest('KmsKeyId can only be given for an encrypted file system (Encrypted: true)');
    if (throughput === 'provisioned' && provisioned === undefined) throw badRequest('ProvisionedThroughputInMibps is required when ThroughputMode is provisioned');
    if (throughput !== 'provisioned' && provisioned !== undefined) throw badRequest('ProvisionedThroughputInMibps can only be given when ThroughputMode is provisioned');
    if (provisioned !== undefined && provisioned > MAX_PROVISIONED_THROUGHPUT_MIBPS) {
      throw badRequest(`ProvisionedThroughputInMibps must be at most ${MAX_PROVISIONED_THROUGHPUT_MIBPS}, got ${provisioned}`);
    }
    if (mode === 'maxIO' && zone !== undefined) throw badRequest('Max I/O performance mode is not supported for One Zone file systems');
    if (mode === 'maxIO' && throughput === 'elastic') throw badRequest('Max I/O performance mode is not supported with Elastic throughput');
    if (zone !== undefined && ![...emulator.subnets.values()].some((subnet) => subnet.availabilityZone === zone)) throw unsupportedAvailabilityZone(zone);
    const allTags = mergeTags([], tags ?? []);

    // Idempotent creation: the same token names the same file system, whatever else is asked.
    const existing = emulator.store.fileSystemByCreationToken(token);
    if (existing) throw fileSystemAlreadyExists(existing.fileSystemId);
    if (emulator.store.fileSystems.size >= emulator.settings.fileSystemLimit) throw fileSystemLimitExceeded(emulator.settings.fileSystemLimit);

    const now = emulator.now();
    const record: FileSystemRecord = {
      fileSystemId: emulator.newId('fs'),
      creationToken: token,
      seq: emulator.store.takeSeq(),
      createdAtMs: now,
      availableAtMs: now + emulator.settings.creationDelayMs,
      performanceMode: mode,
      throughputMode: throughput,
      ...(provisioned === undefined ? {} : { provisionedThroughputInMibps: provisioned }),
      encrypted: encrypted === true,
      ...(encrypted === true ? { kmsKeyId: kmsKeyArn(emulator.settings.region, emulator.settings.accountId, kmsKeyId) ?? emulator.defaultKmsKeyArn() } : {}),
      ...(zone === undefined ? {} : { availabilityZoneName: zone }),
      // EFS turns automatic backups on by default for One Zone file systems only.
      backup: backup ?? zone !== undefined,
      tags: allTags,
    };
    emulator.store.fileSystems.set(record.fileSystemId, record);
    try {
      await emulator.createBackingDir(record.fileSystemId);
    } catch (error) {
      emulator.store.fileSystems.delete(record.fileSystemId);
      emulator.log.warn(`could not create the backing directory of ${record.fileSystemId}: ${(error as Error).message}`);
      throw internalServerError();
    }
    await emulator.commit();
    return { status: 201, body: describeFileSystem(emulator, record, emulator.now()) };
  },
};

/** EFS reports a key given by id as its ARN; aliases are kept as given (there is no KMS here to resolve them). */
function kmsKeyArn(region: string, accountId: string, kmsKeyId: string | undefined): string | undefined {
  if (kmsKeyId === undefined) return undefined;
  if (/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/.test(kmsKeyId)) return `arn:aws:kms:${region}:${accountId}:key/${kmsKeyId}`;
  return kmsKeyId;
}
