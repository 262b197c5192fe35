import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { collectAppFiles, packAppFiles } from '../../../cli/app-bits';
import { TarScanner } from '../../../platform/controller/package-archive';

/**
 * What `osbkit push` uploads, packed by the system's tar: the directory less cf's defaults and
 * .cfignore, links kept as links, hard links as files, no setuid bits, owners 0; an archive the
 * controller's strict reader accepts.
 */
describe('packing an app directory', () => {
  let work: string;
  let app: string;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'osbkit-bits-'));
    app = join(work, 'app');
    mkdirSync(join(app, 'lib'), { recursive: true });
    mkdirSync(join(app, '.git', 'objects'), { recursive: true });
    mkdirSync(join(app, 'node_modules', '.bin'), { recursive: true });
    mkdirSync(join(app, 'empty'));
    writeFileSync(join(app, '.git', 'config'), '[core]\n');
    writeFileSync(join(app, 'server.js'), 'console.log(1);\n');
    writeFileSync(join(app, 'lib', 'util.js'), 'module.exports = 1;\n');
    writeFileSync(join(app, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(app, 'run.sh'), 0o4755);
    writeFileSync(join(app, 'debug.log'), 'noise\n');
    writeFileSync(join(app, 'manifest.yml'), 'applications: []\n');
    writeFileSync(join(app, '-n'), 'a name that looks like an option\n');
    writeFileSync(join(app, '.cfignore'), '*.log\nnode_modules/\n');
    symlinkSync('lib/util.js', join(app, 'current.js'));
    linkSync(join(app, 'server.js'), join(app, 'server-copy.js'));
    execFileSync('mkfifo', [join(app, 'pipe')]);
  });

  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
  });

  test('the files cf would upload, as a tar.gz the controller accepts', async () => {
    const files = collectAppFiles(app);
    expect(files.paths.map((p) => p.toString())).toEqual(['-n', 'current.js', 'empty', 'lib', 'lib/util.js', 'run.sh', 'server-copy.js', 'server.js']);
    expect(files.skipped).toEqual(['pipe']);
    const archive = join(work, 'app.tar.gz');
    await packAppFiles(files, archive);
    const listing = execFileSync('tar', ['-tvzf', archive, '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
    const byName = new Map(listing.map((line) => [line.split(/\s+/).slice(5).join(' '), line]));
    expect([...byName.keys()].sort()).toEqual(['-n', 'current.js -> lib/util.js', 'empty/', 'lib/', 'lib/util.js', 'run.sh', 'server-copy.js', 'server.js']);
    expect(byName.get('run.sh')).toMatch(/^-rwxr-xr-x 0\/0 /);
    expect(byName.get('server-copy.js')).toMatch(/^-/);
    const scanner = new TarScanner({ unpackedBytes: 1024 * 1024, files: 100 });
    scanner.write(gunzipSync(await readFile(archive)));
    expect(scanner.finish()).toMatchObject({ files: 5, directories: 2, symlinks: 1 });
  });

  test('a directory with nothing to upload, or none at all, is refused before anything is sent', () => {
    const empty = join(work, 'only-ignored');
    mkdirSync(join(empty, '.git'), { recursive: true });
    writeFileSync(join(empty, '.git', 'HEAD'), 'ref\n');
    expect(() => collectAppFiles(empty)).toThrow(`No app files found in '${empty}'.`);
    expect(() => collectAppFiles(join(work, 'missing'))).toThrow(`The app directory '${join(work, 'missing')}' does not exist.`);
    expect(() => collectAppFiles(join(app, 'server.js'))).toThrow("is not a directory; push uploads a directory's files.");
  });
});
