import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeNfsRunDir, type NfsRunDir } from '../../../support/nfs-server';

/** `osbkit nfs ls|cat|cp|mkdir|rm` as a user runs it, against the shared NFS-Ganesha. */

const BIN = resolve(__dirname, '../../../../bin/osbkit');

interface CliResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function osbkit(...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

let run: NfsRunDir;
let scratch: string;
const local = (path: string): string => `${run.server.export}${run.path}/${path}`;

beforeAll(async () => {
  run = await makeNfsRunDir('cli');
  scratch = mkdtempSync(join(tmpdir(), 'osbkit-nfs-cli-'));
});
afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await run?.remove();
});

describe('osbkit nfs', () => {
  const data = randomBytes(2 * 1024 * 1024 + 99);

  it('mkdir -p, then cp a local file into the directory', async () => {
    expect((await osbkit('nfs', 'mkdir', '-p', run.url('in/deep'))).code).toBe(0);
    const source = join(scratch, 'upload.bin');
    writeFileSync(source, data);
    const copied = await osbkit('nfs', 'cp', source, run.url('in/deep'));
    expect(copied.code).toBe(0);
    expect(copied.stdout.toString()).toBe(`copied ${data.length} bytes\n`);
    expect(readFileSync(local('in/deep/upload.bin')).equals(data)).toBe(true);
  });

  it('cat writes the file to stdout byte for byte', async () => {
    const cat = await osbkit('nfs', 'cat', run.url('in/deep/upload.bin'));
    expect(cat.code).toBe(0);
    expect(cat.stdout.equals(data)).toBe(true);
  });

  it('cp from nfs:// to a local file and from nfs:// to nfs://', async () => {
    const out = join(scratch, 'download.bin');
    expect((await osbkit('nfs', 'cp', run.url('in/deep/upload.bin'), out)).code).toBe(0);
    expect(readFileSync(out).equals(data)).toBe(true);
    expect((await osbkit('nfs', 'cp', run.url('in/deep/upload.bin'), run.url('in/copy.bin'))).code).toBe(0);
    expect(readFileSync(local('in/copy.bin')).equals(data)).toBe(true);
  });

  it('ls lists names, -l the long form, --json objects', async () => {
    expect((await osbkit('nfs', 'ls', run.url('in'))).stdout.toString()).toBe('copy.bin\ndeep\n');
    const long = (await osbkit('nfs', 'ls', '-l', run.url('in'))).stdout.toString();
    expect(long).toMatch(new RegExp(`^-rw-r--r-- 1 +0 +0 +${data.length} copy\\.bin$`, 'm'));
    expect(long).toMatch(/^drwxr-xr-x \d+ +0 +0 +\d+ deep$/m);
    const json = JSON.parse((await osbkit('--json', 'nfs', 'ls', run.url('in/deep'))).stdout.toString()) as unknown;
    expect(json).toEqual([expect.objectContaining({ name: 'upload.bin', type: 'file', size: data.length, mode: '0644' })]);
  });

  it('rm refuses a directory without -r, removes it with -r, and -f tolerates a missing path', async () => {
    const refused = await osbkit('nfs', 'rm', run.url('in'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/NFS3ERR_ISDIR.*use -r/);
    expect((await osbkit('nfs', 'rm', '-r', run.url('in'))).code).toBe(0);
    const gone = await osbkit('nfs', 'ls', run.url('in'));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/NFS3ERR_NOENT/);
    expect((await osbkit('nfs', 'rm', '-f', run.url('in'))).code).toBe(0);
  });

  it('refuses a bad URL and a copy with no nfs:// side, naming the problem', async () => {
    const bad = await osbkit('nfs', 'ls', `nfs://${run.server.host}${run.serverPath}/x?version=4`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/version=4 is not supported/);
    const noNfs = await osbkit('nfs', 'cp', '/etc/hostname', join(scratch, 'x'));
    expect(noNfs.code).toBe(1);
    expect(noNfs.stderr).toMatch(/must be an nfs:\/\/ URL/);
  });
});
