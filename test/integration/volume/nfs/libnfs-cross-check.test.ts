import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NfsClient } from '../../../../sdk/volume/nfs';
import { makeNfsRunDir, type NfsRunDir } from '../../../support/nfs-server';

/** What our client writes, libnfs's nfs-cat and nfs-cp read byte for byte, and the other way round. */

const run$ = promisify(execFile);
const libnfs = async (tool: string, ...args: string[]): Promise<Buffer> => (await run$(tool, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })).stdout;

let run: NfsRunDir;
let nfs: NfsClient;
let scratch: string;
const p = (path: string): string => `${run.path}/${path}`;

beforeAll(async () => {
  run = await makeNfsRunDir('libnfs');
  nfs = run.root;
  scratch = mkdtempSync(join(tmpdir(), 'osbkit-nfs-libnfs-'));
});
afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await run?.remove();
});

// Every byte value, then random data: nothing may be translated on the way.
const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096 - 256)]);

describe('cross-checked with libnfs-utils', () => {
  it('nfs-cat reads back binary data our client wrote', async () => {
    await nfs.writeFile(p('ours.bin'), binary);
    expect((await libnfs('nfs-cat', run.url('ours.bin'))).equals(binary)).toBe(true);
  });

  it('nfs-cp copies out a multi-MB file our client wrote, byte for byte', async () => {
    const big = randomBytes(6 * 1024 * 1024 + 3);
    await nfs.writeFile(p('ours-big.bin'), big);
    const out = join(scratch, 'from-ours.bin');
    await libnfs('nfs-cp', run.url('ours-big.bin'), out);
    expect(readFileSync(out).equals(big)).toBe(true);
  });

  it('our client reads what nfs-cp wrote, binary and multi-MB', async () => {
    const big = randomBytes(7 * 1024 * 1024 + 1);
    const source = join(scratch, 'to-nfs.bin');
    writeFileSync(source, big);
    await libnfs('nfs-cp', source, run.url('theirs-big.bin'));
    expect((await nfs.readFile(p('theirs-big.bin'))).equals(big)).toBe(true);
    writeFileSync(source, binary);
    await libnfs('nfs-cp', source, run.url('theirs.bin'));
    expect((await nfs.readFile(p('theirs.bin'))).equals(binary)).toBe(true);
  });

  it('nfs-ls lists what our client made, and our readdir lists what nfs-cp made', async () => {
    await nfs.mkdir(p('listing/sub'), { recursive: true });
    await nfs.writeFile(p('listing/seven.txt'), '1234567');
    const listed = (await libnfs('nfs-ls', run.url('listing'))).toString('utf8');
    expect(listed).toMatch(/\s7 seven\.txt$/m);
    expect(listed).toMatch(/^d.*\ssub$/m);
    const names = (await nfs.readdir(run.path)).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['ours.bin', 'ours-big.bin', 'theirs.bin', 'theirs-big.bin', 'listing']));
  });

  it('files written as another uid through our client show that owner to nfs-ls', async () => {
    await nfs.mkdir(p('shared'), { mode: 0o777 });
    const user = await run.connect({ uid: 1234, gid: 5678 });
    try {
      await user.writeFile(p('shared/mine.txt'), 'owned');
    } finally {
      await user.close();
    }
    expect((await libnfs('nfs-ls', run.url('shared'))).toString('utf8')).toMatch(/\s1234\s+5678\s+5 mine\.txt$/m);
  });
});
