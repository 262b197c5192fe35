import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { gzipTarArchive, tarArchive, tarOfFiles, type TarMember } from '../../support/tar-archive';
import { Harness, errorDetail, type ApiClient } from './support/harness';

/**
 * App bits as packages: what a tenant uploads is all an app can run. A space developer can
 * neither name a host directory nor reach another space's packages, and hostile archives
 * are refused with a 422 naming the problem, leaving nothing behind inside or outside.
 */
jest.setTimeout(60_000);

type Body = Record<string, unknown>;

const KIB = 1024;
const LIMITS = { uploadBytes: 256 * KIB, unpackedBytes: 512 * KIB, files: 50 };
const IS_ROOT = process.getuid?.() === 0;

function packageBody(appGuid: string): Body {
  return { type: 'bits', relationships: { app: { data: { guid: appGuid } } } };
}

describe('packages', () => {
  let harness: Harness;
  /** Where a hostile archive would write if anything followed it out: writable by anyone, so a write would succeed. */
  let outside: string;

  beforeEach(async () => {
    harness = await Harness.start({ packageLimits: LIMITS });
    outside = mkdtempSync(join(tmpdir(), 'osbkit-outside-'));
    chmodSync(outside, 0o777);
  });

  afterEach(async () => {
    await harness.close();
    rmSync(outside, { recursive: true, force: true });
  });

  const packagesRoot = (): string => join(harness.dataDir, 'packages');
  const bitsOf = (packageGuid: string): string => join(packagesRoot(), packageGuid, 'bits');

  async function newPackage(appGuid: string, client: ApiClient = harness.client(harness.token)): Promise<string> {
    const created = await client.post('/v3/packages', packageBody(appGuid));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'bits', state: 'AWAITING_UPLOAD', data: { checksum: { type: 'sha256', value: null }, error: null } });
    return String(created.body.guid);
  }

  describe('a tenant cannot name a host path or reach another space\'s bits', () => {
    test('the app \'path\' field is refused on create and on change, and the cell is only ever given the controller\'s own bits', async () => {
      const spaceB = await harness.createSpace('b');
      const mallory = await harness.spaceDeveloper('mallory', spaceB);
      // Tenant A's directory on the controller's host, readable by the app user.
      const victimDir = mkdtempSync(join(tmpdir(), 'osbkit-victim-'));
      chmodSync(victimDir, 0o755);
      try {
        const refused = await mallory.client.post('/v3/apps', { name: 'thief', command: 'cat secret.txt', path: victimDir, relationships: { space: { data: { guid: spaceB } } } });
        expect(refused.status).toBe(422);
        expect(errorDetail(refused)).toContain("'path' is not accepted: an app runs only uploaded bits");
        expect((await mallory.client.get('/v3/apps')).body.resources).toEqual([]);

        const own = await mallory.client.post('/v3/apps', { name: 'mine', command: 'cat secret.txt', relationships: { space: { data: { guid: spaceB } } } });
        expect(own.status).toBe(201);
        const ownGuid = String(own.body.guid);
        const changed = await mallory.client.patch(`/v3/apps/${ownGuid}`, { path: victimDir });
        expect(changed.status).toBe(422);
        expect(errorDetail(changed)).toContain("'path' is not accepted");
        expect(own.body).not.toHaveProperty('path');

        // Without bits there is nothing to run; with them, the cell gets the unpacked upload.
        const bare = await mallory.client.post(`/v3/apps/${ownGuid}/actions/start`);
        expect(bare.status).toBe(422);
        expect(bare.body.errors[0]).toMatchObject({ title: 'CF-AppPackageInvalid', code: 150001 });
        expect(errorDetail(bare)).toMatch(/^The app package is invalid: bits have not been uploaded/);
        const packageGuid = await harness.uploadBits(ownGuid, tarOfFiles({ 'secret.txt': 'mine\n' }), mallory.client);
        expect((await mallory.client.post(`/v3/apps/${ownGuid}/actions/start`)).status).toBe(200);
        const desired = harness.cell.calls.filter((call) => call.op === 'desire');
        expect(desired.map((call) => call.lrp?.appDir)).toEqual([bitsOf(packageGuid)]);
      } finally {
        rmSync(victimDir, { recursive: true, force: true });
      }
    });

    test('packages are as visible as their app: another space\'s developer gets 404 for the package, its upload and the app\'s list, and 422 creating one', async () => {
      const spaceA = await harness.spaceGuid();
      const spaceB = await harness.createSpace('b');
      const alice = await harness.spaceDeveloper('alice-dev', spaceA);
      const mallory = await harness.spaceDeveloper('mallory', spaceB);
      const victimApp = await harness.createApp('victim', {}, null);
      const victimPackage = await harness.uploadBits(victimApp, tarOfFiles({ 'secret.txt': 'tenant A only\n' }), alice.client);
      const waiting = await newPackage(victimApp, alice.client);

      for (const path of [`/v3/packages/${victimPackage}`, `/v3/packages/${waiting}`, `/v3/apps/${victimApp}/packages`]) {
        const seen = await mallory.client.get(path);
        expect([path, seen.status]).toEqual([path, 404]);
        expect(JSON.stringify(seen.body)).not.toContain(victimPackage);
      }
      expect(errorDetail(await mallory.client.get(`/v3/packages/${victimPackage}`))).toBe('Package not found');
      expect((await mallory.client.get('/v3/packages')).body.resources).toEqual([]);
      expect((await mallory.client.get(`/v3/packages?app_guids=${victimApp}`)).body.resources).toEqual([]);
      const created = await mallory.client.post('/v3/packages', packageBody(victimApp));
      expect(created.status).toBe(422);
      expect(errorDetail(created)).toBe('App is invalid. Ensure it exists and you have access to it.');
      // Uploading into tenant A's waiting package: 404, and it stays waiting.
      const upload = await mallory.client.upload(`/v3/packages/${waiting}/upload`, tarOfFiles({ 'secret.txt': 'overwritten by mallory\n' }));
      expect(upload.status).toBe(404);
      expect((await alice.client.get(`/v3/packages/${waiting}`)).body).toMatchObject({ state: 'AWAITING_UPLOAD' });

      // Tenant A sees its own.
      const own = await alice.client.get(`/v3/packages/${victimPackage}`);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ guid: victimPackage, state: 'READY', relationships: { app: { data: { guid: victimApp } } } });
      expect(((await alice.client.get(`/v3/apps/${victimApp}/packages`)).body.resources as Body[]).map((p) => p.guid)).toEqual([victimPackage, waiting]);
      expect(((await alice.client.get('/v3/packages?states=READY')).body.resources as Body[]).map((p) => p.guid)).toEqual([victimPackage]);
    });

    test('what tenants can read of each other\'s bits on the host: nothing, the packages directory is the controller\'s alone', async () => {
      const app = await harness.createApp('web', {}, null);
      const packageGuid = await harness.uploadBits(app, tarOfFiles({ 'secret.txt': 'tenant A only\n' }));
      expect(statSync(packagesRoot()).mode & 0o777).toBe(0o700);
      expect(statSync(join(packagesRoot(), packageGuid)).mode & 0o777).toBe(0o700);
      if (IS_ROOT) expect(statSync(bitsOf(packageGuid)).uid).toBe(0);
    });
  });

  describe('uploads', () => {
    test('a tar.gz round trip: READY with its SHA-256, the files unpacked as sent (modes made 0644/0755, links kept), and started from there', async () => {
      const app = await harness.createApp('web', {}, null);
      const packageGuid = await newPackage(app);
      const archive = gzipTarArchive([
        { name: './', type: 'directory' },
        { name: './start.sh', content: '#!/bin/sh\necho started\n', mode: 0o775 },
        { name: './lib/', type: 'directory', mode: 0o700 },
        { name: './lib/data.json', content: '{"a":1}\n', mode: 0o666 },
        { name: './current', type: 'symlink', linkname: 'lib/data.json' },
        { name: `./${'long-directory-name-'.repeat(6)}/file.txt`, content: 'long\n' },
      ]);
      const uploaded = await harness.client(harness.token).upload(`/v3/packages/${packageGuid}/upload`, archive, 'application/gzip');
      expect(uploaded.status).toBe(200);
      expect(uploaded.body).toMatchObject({
        guid: packageGuid, type: 'bits', state: 'READY',
        data: { checksum: { type: 'sha256', value: createHash('sha256').update(archive).digest('hex') }, error: null },
        links: { upload: { method: 'POST' } },
      });
      expect((await harness.get(`/v3/packages/${packageGuid}`)).body.state).toBe('READY');

      const bits = bitsOf(packageGuid);
      expect(readFileSync(join(bits, 'start.sh'), 'utf8')).toBe('#!/bin/sh\necho started\n');
      expect(readFileSync(join(bits, 'lib', 'data.json'), 'utf8')).toBe('{"a":1}\n');
      expect(readFileSync(join(bits, 'long-directory-name-'.repeat(6), 'file.txt'), 'utf8')).toBe('long\n');
      expect(readlinkSync(join(bits, 'current'))).toBe('lib/data.json');
      expect(statSync(join(bits, 'start.sh')).mode & 0o7777).toBe(0o755);
      expect(statSync(join(bits, 'lib', 'data.json')).mode & 0o7777).toBe(0o644);
      expect(statSync(join(bits, 'lib')).mode & 0o7777).toBe(0o755);
      expect(statSync(bits).mode & 0o7777).toBe(0o755);
      expect(existsSync(join(packagesRoot(), packageGuid, 'upload'))).toBe(false);

      expect((await harness.post(`/v3/apps/${app}/actions/start`)).status).toBe(200);
      expect(harness.cell.lastDesired(app)?.appDir).toBe(bits);
    });

    test('bits are uploaded once; a new package replaces the old on restart, which then expires and is removed; deleting the app removes the rest', async () => {
      const app = await harness.createApp('web', {}, null);
      const first = await harness.uploadBits(app, tarOfFiles({ 'v.txt': 'one\n' }));
      const again = await harness.client(harness.token).upload(`/v3/packages/${first}/upload`, tarOfFiles({ 'v.txt': 'two\n' }));
      expect(again.status).toBe(400);
      expect(again.body.errors[0]).toEqual({ code: 150004, title: 'CF-PackageBitsAlreadyUploaded', detail: 'Bits may be uploaded only once. Create a new package to upload different bits.' });
      expect(readFileSync(join(bitsOf(first), 'v.txt'), 'utf8')).toBe('one\n');

      expect((await harness.post(`/v3/apps/${app}/actions/start`)).status).toBe(200);
      const second = await harness.uploadBits(app, tarOfFiles({ 'v.txt': 'two\n' }));
      // The running app keeps its package until it restarts.
      expect((await harness.get(`/v3/packages/${first}`)).body.state).toBe('READY');
      expect(existsSync(bitsOf(first))).toBe(true);
      expect((await harness.post(`/v3/apps/${app}/actions/restart`)).status).toBe(200);
      expect(harness.cell.lastDesired(app)?.appDir).toBe(bitsOf(second));
      expect((await harness.get(`/v3/packages/${first}`)).body).toMatchObject({ state: 'EXPIRED', data: { error: 'a newer package replaced it' } });
      expect(existsSync(join(packagesRoot(), first))).toBe(false);

      const deleted = await harness.delete(`/v3/apps/${app}`);
      expect((await harness.waitForJob(deleted.headers.location)).state).toBe('COMPLETE');
      expect((await harness.get(`/v3/packages/${second}`)).status).toBe(404);
      expect(readdirSync(packagesRoot())).toEqual([]);
    });

    test('a package a stopped controller was unpacking fails on the next start, and its files are removed', async () => {
      const app = await harness.createApp('web', {}, null);
      const packageGuid = await newPackage(app);
      await harness.controller.close();
      const db = new Database(join(harness.dataDir, 'controller.db'));
      db.prepare("UPDATE packages SET state = 'PROCESSING_UPLOAD' WHERE guid = ?").run(packageGuid);
      db.close();
      mkdirSync(join(packagesRoot(), packageGuid, 'bits'), { recursive: true });
      await harness.restart();
      expect((await harness.get(`/v3/packages/${packageGuid}`)).body).toMatchObject({
        state: 'FAILED', data: { error: 'the controller stopped while the upload was unpacked; upload the bits again' },
      });
      expect(existsSync(join(packagesRoot(), packageGuid))).toBe(false);
    });

    test('a multipart form is refused, naming the format, and the package keeps waiting', async () => {
      const app = await harness.createApp('web', {}, null);
      const packageGuid = await newPackage(app);
      const sent = await harness.client(harness.token).upload(`/v3/packages/${packageGuid}/upload`, Buffer.from('--x\r\n'), 'multipart/form-data; boundary=x');
      expect(sent.status).toBe(422);
      expect(errorDetail(sent)).toMatch(/a tar archive, gzip-compressed or not/);
      expect((await harness.get(`/v3/packages/${packageGuid}`)).body.state).toBe('AWAITING_UPLOAD');
    });
  });

  describe('hostile archives are refused with 422, the package FAILED, and nothing written inside or outside', () => {
    async function refused(members: TarMember[] | Buffer, expected: string): Promise<string> {
      const app = await harness.createApp(`app-${randomBytes(4).toString('hex')}`, {}, null);
      const packageGuid = await newPackage(app);
      const bytes = Buffer.isBuffer(members) ? members : tarArchive(members);
      const sent = await harness.client(harness.token).upload(`/v3/packages/${packageGuid}/upload`, bytes);
      expect([sent.status, sent.body.errors?.[0]?.title, errorDetail(sent)]).toEqual([422, 'CF-AppPackageInvalid', `The app package is invalid: ${expected}`]);
      expect((await harness.get(`/v3/packages/${packageGuid}`)).body).toMatchObject({ state: 'FAILED', data: { error: expected, checksum: { value: null } } });
      expect(existsSync(join(packagesRoot(), packageGuid))).toBe(false);
      expect(readdirSync(outside)).toEqual([]);
      // Nothing to start from.
      expect((await harness.post(`/v3/apps/${app}/actions/start`)).status).toBe(422);
      return packageGuid;
    }

    test('an absolute path', async () => {
      await refused([{ name: `${outside}/absolute`, content: 'x' }], `member '${outside}/absolute' is an absolute path`);
    });

    test("'..' out of the package", async () => {
      const name = `${'../'.repeat(12)}${outside.slice(1)}/dotdot`;
      await refused([{ name, content: 'x' }], `member '${name}' contains '..'`);
    });

    test('a symbolic link out, then a file written through it', async () => {
      await refused([{ name: 'out', type: 'symlink', linkname: outside }, { name: 'out/through', content: 'x' }], `member 'out' is a symbolic link to '${outside}', which points outside the package`);
      const up = '../'.repeat(12);
      await refused(
        [{ name: 'up', type: 'symlink', linkname: up }, { name: `up/${outside.slice(1)}/through`, content: 'x' }],
        `member 'up/${outside.slice(1)}/through' would be written through the symbolic link 'up'`,
      );
      // Through a link that stays inside, too: no member is ever written through a link.
      await refused([{ name: 'sub/', type: 'directory' }, { name: 'in', type: 'symlink', linkname: 'sub' }, { name: 'in/file', content: 'x' }], "member 'in/file' would be written through the symbolic link 'in'");
    });

    test('a hard link to /etc/shadow', async () => {
      const before = lstatSync('/etc/shadow');
      await refused([{ name: 'shadow', type: 'hardlink', linkname: '/etc/shadow' }],
        "member 'shadow' is a hard link (to '/etc/shadow'); hard links are not accepted (create the archive with tar --hard-dereference)");
      const after = lstatSync('/etc/shadow');
      expect([after.nlink, after.mode, after.uid, after.size]).toEqual([before.nlink, before.mode, before.uid, before.size]);
    });

    test('devices and setuid files', async () => {
      await refused([{ name: 'null', type: 'character-device' }], "member 'null' is a character device; only files, directories and symbolic links are accepted");
      await refused([{ name: 'su', content: '#!/bin/sh\n', mode: 0o4755 }], "member 'su' has the setuid or setgid bit; such files are not accepted");
    });

    test('a file past the unpacked limit, and more members than allowed', async () => {
      // 600 KiB of zeros gzip to almost nothing: the upload is small, the unpacked file is not.
      const bomb = gzipTarArchive([{ name: 'big.bin', content: Buffer.alloc(600 * KIB) }]);
      expect(bomb.length).toBeLessThan(LIMITS.uploadBytes);
      await refused(bomb, `member 'big.bin' takes the unpacked package past ${LIMITS.unpackedBytes} bytes, the most a package may hold`);
      await refused(Array.from({ length: 51 }, (_, i) => ({ name: `f${i}`, content: 'x' })), 'the archive holds more than 50 members, the most a package may hold');
    });

    test('what is not a tar archive', async () => {
      await refused(Buffer.from('PK\u0003\u0004 a zip, as cf sends'), 'the upload is not a tar archive (ustar, pax or GNU; gzip-compressed or not)');
      await refused(Buffer.alloc(0), "the upload is empty; send the app's files as a tar archive");
      await refused(gzipTarArchive([{ name: 'a', content: 'x' }]).subarray(0, 30), 'the gzip data is corrupt or truncated');
    });

    test('an upload past the size limit: refused by its Content-Length before it is read', async () => {
      await refused(tarOfFiles({ 'big.bin': 'x'.repeat(300 * KIB) }), `the upload is larger than ${LIMITS.uploadBytes} bytes, the most a package may be`);
    });

    test('an upload that never ends is cut off at the limit: the answer is a 422 and the connection closes', async () => {
      const app = await harness.createApp('endless', {}, null);
      const packageGuid = await newPackage(app);
      const server: Server = createServer(harness.controller.app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        // The client never stops sending; the server answers, then closes the connection.
        const { answer, closed } = await new Promise<{ answer: { status: number; body: string }; closed: Promise<void> }>((resolve, reject) => {
          const req = httpRequest({
            host: '127.0.0.1', port, method: 'POST', path: `/v3/packages/${packageGuid}/upload`,
            headers: { authorization: harness.authorization(), 'content-type': 'application/x-tar', 'transfer-encoding': 'chunked' },
          }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ answer: { status: res.statusCode ?? 0, body }, closed }));
          });
          const closed = new Promise<void>((resolveClosed) => req.once('close', () => resolveClosed()));
          req.on('error', (error) => {
            if (!req.writableEnded) reject(error);
          });
          const chunk = Buffer.alloc(16 * KIB, 0x61);
          const pump = (): void => {
            while (!req.destroyed) {
              if (!req.write(chunk)) {
                req.once('drain', pump);
                return;
              }
            }
          };
          pump();
        });
        expect(answer.status).toBe(422);
        expect(JSON.parse(answer.body).errors[0].detail).toBe(`The app package is invalid: the upload is larger than ${LIMITS.uploadBytes} bytes, the most a package may be`);
        await closed;
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      expect((await harness.get(`/v3/packages/${packageGuid}`)).body).toMatchObject({ state: 'FAILED' });
      expect(existsSync(join(packagesRoot(), packageGuid))).toBe(false);
    });
  });
});
