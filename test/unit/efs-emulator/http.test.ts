import { CreateFileSystemCommand, DescribeFileSystemsCommand, EFSServiceException } from '@aws-sdk/client-efs';
import { CREDENTIALS, FAKE_SIGNATURE, rawRequest, sdkError, startFixture, type EmulatorFixture } from './support';

/** What only plain HTTP shows: authentication refusals, headers, status codes and bodies on the wire. */

let fixture: EmulatorFixture;
afterEach(async () => {
  await fixture.close();
});

describe('authentication', () => {
  beforeEach(async () => {
    fixture = await startFixture();
  });

  it('refuses an unsigned request with 403 MissingAuthenticationTokenException and changes nothing', async () => {
    const response = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body: '{"CreationToken":"unsigned"}' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.json()).toEqual({ message: 'Missing Authentication Token' });
    expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
  });

  it('refuses unsigned requests to every path, known or not', async () => {
    for (const [method, path] of [['GET', '/2015-02-01/file-systems'], ['DELETE', '/2015-02-01/mount-targets/fsmt-0123456789abcdef0'], ['GET', '/nothing-here']]) {
      const response = await rawRequest(fixture.emulator.url, method!, path!);
      expect([response.status, response.headers.get('x-amzn-errortype')]).toEqual([403, 'MissingAuthenticationTokenException']);
    }
  });

  it.each([
    ['another scheme', { authorization: 'Bearer abc', 'x-amz-date': '20260101T000000Z' }, 400, 'IncompleteSignatureException'],
    ['no Signature', { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/elasticfilesystem/aws4_request, SignedHeaders=host', 'x-amz-date': '20260101T000000Z' }, 400, 'IncompleteSignatureException'],
    ['a short credential scope', { ...FAKE_SIGNATURE, authorization: FAKE_SIGNATURE.authorization.replace('/us-east-1/elasticfilesystem', '') }, 400, 'IncompleteSignatureException'],
    ['no X-Amz-Date', { authorization: FAKE_SIGNATURE.authorization }, 400, 'IncompleteSignatureException'],
    ['another service', { ...FAKE_SIGNATURE, authorization: FAKE_SIGNATURE.authorization.replace('elasticfilesystem', 's3') }, 403, 'InvalidSignatureException'],
    ['another region', { ...FAKE_SIGNATURE, authorization: FAKE_SIGNATURE.authorization.replace('us-east-1', 'eu-west-1') }, 403, 'InvalidSignatureException'],
  ])('refuses a signature with %s', async (_what, headers, status, errorType) => {
    const response = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body: '{"CreationToken":"x"}', headers });
    expect(response.status).toBe(status);
    expect(response.headers.get('x-amzn-errortype')).toBe(errorType);
    expect(response.json()).toEqual({ message: expect.any(String) });
    expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
  });

  it('the SDK sees these refusals as typed service exceptions', async () => {
    const wrongRegion = fixture.clientWith({ region: 'eu-west-1' });
    const error = await sdkError(wrongRegion.send(new DescribeFileSystemsCommand({})), EFSServiceException);
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });
});

describe('signature verification (with credentials)', () => {
  beforeEach(async () => {
    fixture = await startFixture({ credentials: [CREDENTIALS] });
  });

  it('accepts requests the SDK signed with the right secret, for every method, path and query', async () => {
    const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'signed token/with spaces & symbols' }));
    const byToken = await fixture.client.send(new DescribeFileSystemsCommand({ CreationToken: 'signed token/with spaces & symbols', MaxItems: 5 }));
    expect(byToken.FileSystems?.map((fs) => fs.FileSystemId)).toEqual([created.FileSystemId]);
  });

  it('refuses a wrong secret with InvalidSignatureException and an unknown key with UnrecognizedClientException', async () => {
    const wrongSecret = fixture.clientWith({ credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' } });
    const invalid = await sdkError(wrongSecret.send(new CreateFileSystemCommand({ CreationToken: 'x' })), EFSServiceException);
    expect([invalid.name, invalid.$metadata.httpStatusCode]).toEqual(['InvalidSignatureException', 403]);
    expect(invalid.message).toMatch(/signature we calculated does not match/);
    const unknownKey = fixture.clientWith({ credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: CREDENTIALS.secretAccessKey } });
    const unrecognized = await sdkError(unknownKey.send(new DescribeFileSystemsCommand({})), EFSServiceException);
    expect([unrecognized.name, unrecognized.$metadata.httpStatusCode]).toEqual(['UnrecognizedClientException', 403]);
    expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
  });

  it('refuses a body changed after signing', async () => {
    const response = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body: '{"CreationToken":"x"}', headers: FAKE_SIGNATURE });
    expect([response.status, response.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
  });
});

describe('the wire format', () => {
  beforeEach(async () => {
    fixture = await startFixture();
  });

  it('answers 201 with JSON for CreateFileSystem and 204 without a body for DeleteFileSystem', async () => {
    const created = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body: '{"CreationToken":"wire"}', headers: FAKE_SIGNATURE });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json');
    expect(created.headers.get('x-amzn-errortype')).toBeNull();
    const body = created.json() as Record<string, unknown>;
    // Timestamps are epoch seconds on the wire.
    expect(Number.isInteger(body.CreationTime)).toBe(true);
    expect(Math.abs((body.CreationTime as number) - Date.now() / 1000)).toBeLessThan(60);
    const deleted = await rawRequest(fixture.emulator.url, 'DELETE', `/2015-02-01/file-systems/${body.FileSystemId as string}`, { headers: FAKE_SIGNATURE });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
  });

  it("sends EFS's error body: ErrorCode and Message, plus FileSystemId for FileSystemAlreadyExists", async () => {
    const first = (await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body: '{"CreationToken":"dup"}', headers: FAKE_SIGNATURE })).json() as { FileSystemId: string };
    const again = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body: '{"CreationToken":"dup"}', headers: FAKE_SIGNATURE });
    expect(again.status).toBe(409);
    expect(again.headers.get('x-amzn-errortype')).toBe('FileSystemAlreadyExists');
    expect(again.json()).toEqual({ ErrorCode: 'FileSystemAlreadyExists', Message: expect.stringContaining(first.FileSystemId), FileSystemId: first.FileSystemId });
    const missing = await rawRequest(fixture.emulator.url, 'GET', '/2015-02-01/file-systems?FileSystemId=fs-0123456789abcdef0', { headers: FAKE_SIGNATURE });
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ ErrorCode: 'FileSystemNotFound', Message: "File system 'fs-0123456789abcdef0' does not exist." });
  });

  it('answers a body that is not JSON, or a member of the wrong type, with 400 SerializationException', async () => {
    for (const body of ['{"CreationToken":', '[1,2]', '{"CreationToken":"x","Encrypted":"yes"}', '{"CreationToken":5}', '{"CreationToken":"x","Tags":{"Key":"a"}}']) {
      const response = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body, headers: FAKE_SIGNATURE });
      expect([body, response.status, response.headers.get('x-amzn-errortype')]).toEqual([body, 400, 'SerializationException']);
    }
    const uid = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/access-points', { body: '{"ClientToken":"c","FileSystemId":"fs-0123456789abcdef0","PosixUser":{"Uid":1.5,"Gid":1}}', headers: FAKE_SIGNATURE });
    expect([uid.status, uid.headers.get('x-amzn-errortype')]).toEqual([400, 'SerializationException']);
    expect((uid.json() as { message: string }).message).toContain('PosixUser.Uid');
    const maxItems = await rawRequest(fixture.emulator.url, 'GET', '/2015-02-01/file-systems?MaxItems=ten', { headers: FAKE_SIGNATURE });
    expect([maxItems.status, maxItems.headers.get('x-amzn-errortype')]).toEqual([400, 'SerializationException']);
    expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
  });

  it('refuses a missing required member with ValidationException in the EFS shape', async () => {
    const response = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/access-points', { body: '{}', headers: FAKE_SIGNATURE });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(response.json()).toEqual({
      ErrorCode: 'ValidationException',
      Message:
        "2 validation errors detected: Value null at 'clientToken' failed to satisfy constraint: Member must not be null; Value null at 'fileSystemId' failed to satisfy constraint: Member must not be null",
    });
  });

  it('answers unknown paths and methods with 404 UnknownOperationException, and oversized bodies with 413', async () => {
    for (const [method, path] of [['GET', '/2015-02-01/nothing'], ['PUT', '/2015-02-01/file-systems'], ['GET', '/'], ['DELETE', '/2015-02-01/file-systems/']]) {
      const response = await rawRequest(fixture.emulator.url, method!, path!, { headers: FAKE_SIGNATURE });
      expect([method, path, response.status, response.headers.get('x-amzn-errortype')]).toEqual([method, path, 404, 'UnknownOperationException']);
    }
    const big = await rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/file-systems', { body: JSON.stringify({ CreationToken: 'x'.repeat(2 * 1024 * 1024) }), headers: FAKE_SIGNATURE });
    expect([big.status, big.headers.get('x-amzn-errortype')]).toEqual([413, 'RequestEntityTooLargeException']);
    expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
  });
});
