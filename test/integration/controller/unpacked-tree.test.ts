import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveProblem } from '../../../platform/controller/package-archive';
import { sealUnpackedTree } from '../../../platform/controller/unpacked-tree';

/**
 * The last check on uploaded bits, after tar: whatever tar made (were the strict reader and
 * tar ever to disagree), only plain files, directories and links that stay inside, all made
 * by the unpacking user, are handed over, and none of them keeps a setuid bit. The tree is
 * built here as the unpacking user (the app user, 2000) would have left it.
 */

const LIMITS = { unpackedBytes: 1024 * 1024, files: 100 };
const APP_USER = { uid: 2000, gid: 2000 };

describe('sealUnpackedTree', () => {
  let root: string;
  let tree: string;

  beforeAll(() => {
    // The unpacking user, the owner change and a root-owned intruder all need root.
    expect(process.getuid?.()).toBe(0);
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-seal-'));
    tree = join(root, 'bits');
    mkdirSync(join(tree, 'lib'), { recursive: true });
    writeFileSync(join(tree, 'run.sh'), '#!/bin/sh\n', { mode: 0o6775 });
    writeFileSync(join(tree, 'lib', 'data.txt'), 'data', { mode: 0o600 });
    symlinkSync('lib/data.txt', join(tree, 'current'));
    chmodSync(join(tree, 'run.sh'), 0o6775);
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** Gives the whole tree to the app user, as tar running as that user would have made it. */
  const madeByTheAppUser = (): void => {
    execFileSync('chown', ['-R', '-h', `${APP_USER.uid}:${APP_USER.gid}`, tree]);
  };

  const problem = async (): Promise<string> => {
    try {
      await sealUnpackedTree(tree, APP_USER.uid, { uid: 0, gid: 0 }, LIMITS);
    } catch (error) {
      if (error instanceof ArchiveProblem) return error.message;
      throw error;
    }
    throw new Error('the tree was accepted');
  };

  test('an ordinary tree is handed to the controller\'s user: files 0644 or 0755, directories 0755, no setuid bits, links kept', async () => {
    madeByTheAppUser();
    await sealUnpackedTree(tree, APP_USER.uid, { uid: 0, gid: 0 }, LIMITS);
    const modes = Object.fromEntries(['', 'run.sh', 'lib', 'lib/data.txt'].map((path) => {
      const stat = statSync(join(tree, path));
      return [path, [stat.mode & 0o7777, stat.uid, stat.gid]];
    }));
    expect(modes).toEqual({ '': [0o755, 0, 0], 'run.sh': [0o755, 0, 0], lib: [0o755, 0, 0], 'lib/data.txt': [0o644, 0, 0] });
    expect(lstatSync(join(tree, 'current')).uid).toBe(0);
  });

  test('a file the unpacking user did not make (a hard link to a root file) is refused, and left as it was', async () => {
    const rootFile = join(root, 'root-secret');
    writeFileSync(rootFile, 'secret', { mode: 0o600 });
    madeByTheAppUser();
    linkSync(rootFile, join(tree, 'lib', 'stolen'));
    expect(await problem()).toBe("'lib/stolen' was not made by the unpacking (it belongs to uid 0)");
    expect(statSync(rootFile).mode & 0o777).toBe(0o600);
  });

  test('a hard link between two files of the tree is refused', async () => {
    linkSync(join(tree, 'lib', 'data.txt'), join(tree, 'twin'));
    madeByTheAppUser();
    expect(await problem()).toMatch(/^'(twin|lib\/data.txt)' has 2 hard links; hard links are not accepted$/);
  });

  test('a FIFO is refused', async () => {
    execFileSync('mkfifo', [join(tree, 'pipe')]);
    madeByTheAppUser();
    expect(await problem()).toBe("'pipe' is not a file, directory or symbolic link");
  });

  test('a link that leaves the tree is refused', async () => {
    symlinkSync('../../..', join(tree, 'lib', 'up'));
    madeByTheAppUser();
    expect(await problem()).toBe("'lib/up' is a symbolic link to '../../..', which points outside the package");
    expect(readdirSync(root)).toEqual(['bits']);
  });

  test('more bytes than the limit are refused', async () => {
    writeFileSync(join(tree, 'big'), Buffer.alloc(LIMITS.unpackedBytes + 1));
    madeByTheAppUser();
    expect(await problem()).toBe(`the unpacked package holds more than ${LIMITS.unpackedBytes} bytes, the most a package may hold`);
  });

  test('the unpacking directory itself must be the unpacking user\'s', async () => {
    madeByTheAppUser();
    chownSync(tree, 0, 0);
    await expect(sealUnpackedTree(tree, APP_USER.uid, { uid: 0, gid: 0 }, LIMITS)).rejects.toThrow(/is not the unpacking directory it should be/);
  });
});
