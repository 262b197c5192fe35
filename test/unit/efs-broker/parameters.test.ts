import { OsbError } from '../../../sdk';
import { readBindParameters, readCreateParameters } from '../../../brokers/efs';

function refusal(read: () => unknown): OsbError {
  try {
    read();
  } catch (error) {
    if (error instanceof OsbError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('create parameters', () => {
  test('defaults: bursting, encrypted, no key', () => {
    expect(readCreateParameters({}, 'generalPurpose')).toEqual({ throughputMode: 'bursting', encrypted: true });
  });

  test('elastic on generalPurpose; a KMS alias with encryption; no encryption', () => {
    expect(readCreateParameters({ throughput_mode: 'elastic', kms_key_id: 'alias/files' }, 'generalPurpose')).toEqual({ throughputMode: 'elastic', encrypted: true, kmsKeyId: 'alias/files' });
    expect(readCreateParameters({ encrypted: false }, 'maxIO')).toEqual({ throughputMode: 'bursting', encrypted: false });
    const arn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(readCreateParameters({ kms_key_id: arn }, 'maxIO').kmsKeyId).toBe(arn);
  });

  test('every problem in one 400: unknown keys, bad values, elastic on maxIO, a key without encryption', () => {
    const error = refusal(() => readCreateParameters({ zeta: 1, alpha: 2, throughput_mode: 'elastic', encrypted: false, kms_key_id: 'alias/x' }, 'maxIO'));
    expect(error.status).toBe(400);
    expect(error.description).toBe(
      'The parameters are invalid: unknown parameters: alpha, zeta (allowed: throughput_mode, encrypted, kms_key_id); ' +
        'throughput_mode "elastic" is not available on the maxIO plan: AWS offers Max I/O file systems with bursting throughput only; ' +
        'kms_key_id needs encrypted true: an unencrypted file system has no key.',
    );
    expect(refusal(() => readCreateParameters({ throughput_mode: 'provisioned' }, 'generalPurpose')).description).toContain('throughput_mode must be "bursting" or "elastic", got "provisioned"');
    expect(refusal(() => readCreateParameters({ kms_key_id: 'key/../x' }, 'generalPurpose')).description).toContain('kms_key_id must be a KMS key id');
    expect(refusal(() => readCreateParameters({ encrypted: 'true' }, 'generalPurpose')).description).toContain('encrypted must be true or false, got "true"');
  });
});

describe('bind parameters', () => {
  test('uid and gid as numbers or digit strings; defaults: instance root, read-write, default mount', () => {
    expect(readBindParameters({ uid: 1000, gid: '1001' })).toEqual({ uid: 1000, gid: 1001, rootDirectory: 'instance', readonly: false });
    expect(readBindParameters({ uid: '4294967294', gid: 1, root_directory: 'binding', readonly: 'true', mount: '/data/./x/' })).toEqual({
      uid: 4294967294, gid: 1, rootDirectory: 'binding', readonly: true, mount: '/data/x',
    });
  });

  test.each([
    [{}, ['uid is required', 'gid is required']],
    [{ uid: 0, gid: 0 }, ['uid must be a whole number from 1 to 4294967294 (0, root, is refused), got 0', 'gid must be']],
    [{ uid: '01000', gid: '1e3' }, ['got "01000"', 'got "1e3"']],
    [{ uid: -1, gid: 4294967295 }, ['got -1', 'got 4294967295']],
    [{ uid: 2.5, gid: true }, ['got 2.5', 'got true']],
    [{ uid: 1, gid: 1, root_directory: 'shared' }, ['root_directory must be "instance" or "binding", got "shared"']],
    [{ uid: 1, gid: 1, mount: 'relative' }, ['the mount parameter is invalid']],
    [{ uid: 1, gid: 1, mount: 5 }, ['mount must be a string, got 5']],
    [{ uid: 1, gid: 1, readonly: 1 }, ['readonly must be true or false, got 1']],
    [{ uid: 1, gid: 1, share: 'a/b', 'bad key': 1 }, ['unknown parameters: "bad key", share (allowed: uid, gid, root_directory, mount, readonly)']],
  ])('%j is refused with 400 naming %j', (parameters, messages) => {
    const error = refusal(() => readBindParameters(parameters));
    expect(error.status).toBe(400);
    for (const message of messages) expect(error.description).toContain(message);
  });
});
