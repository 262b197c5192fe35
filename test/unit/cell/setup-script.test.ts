import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEnvFile, renderSetupScript, type SetupScriptPlan } from '../../../platform/cell/setup-script';
import { shellQuote } from '../../../platform/cell/shell';

const plan: SetupScriptPlan = {
  containerId: 'app-1-0',
  rootfs: '/var/lib/cell/containers/app-1-0/rootfs',
  appFiles: '/var/lib/cell/containers/app-1-0/app',
  envFile: '/var/lib/cell/containers/app-1-0/app.env',
  volumes: [
    { hostPath: '/mnt/nested', containerDir: '/data/a/b', readOnly: false },
    { hostPath: "/mnt/it's", containerDir: '/data/a', readOnly: true },
  ],
  appUid: 2000,
  appGid: 2001,
  command: `echo "it's $HOME"; exit 3`,
  tools: { unshare: '/usr/bin/unshare', shell: '/bin/sh', chroot: '/usr/sbin/chroot', tini: '/usr/bin/tini', setpriv: '/usr/bin/setpriv', env: '/usr/bin/env' },
};

describe('renderSetupScript', () => {
  const script = renderSetupScript(plan);

  it('is valid sh', () => {
    const directory = mkdtempSync(join(tmpdir(), 'cell-script-'));
    try {
      const file = join(directory, 'setup.sh');
      writeFileSync(file, script);
      expect(() => execFileSync('sh', ['-n', file])).not.toThrow();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('binds the system read-only and without setuid', () => {
    expect(script).toContain('bind /usr "$root/usr" ro,nosuid,nodev');
    expect(script).toContain('bind /etc "$root/etc" ro,nosuid,nodev');
  });

  it('mounts a parent volume before a nested one, read-only for mode r', () => {
    const parent = script.indexOf(`bind '/mnt/it'\\''s' "$root"'/data/a' ro,nosuid,nodev`);
    const child = script.indexOf(`bind '/mnt/nested' "$root"'/data/a/b' rw,nosuid,nodev`);
    expect(parent).toBeGreaterThan(-1);
    expect(child).toBeGreaterThan(parent);
  });

  it('drops to the app user under tini and quotes the command as one word', () => {
    expect(script).toContain('--reuid=2000 --regid=2001 --clear-groups --inh-caps=-all --no-new-privs');
    expect(script).toContain(`-c ${shellQuote(plan.command)}`);
    expect(script).toMatch(/exec \/usr\/sbin\/chroot "\$root" \/usr\/bin\/tini -g --/);
  });
});

describe('renderEnvFile', () => {
  it('round-trips awkward values through sh', () => {
    const environment = { PLAIN: 'x', QUOTES: `it's "quoted" $HOME \`id\``, NEWLINE: 'a\nb' };
    const directory = mkdtempSync(join(tmpdir(), 'cell-env-'));
    try {
      const file = join(directory, 'app.env');
      writeFileSync(file, renderEnvFile(environment));
      const output = execFileSync('sh', ['-c', `. "$1"; printf '%s|%s|%s' "$PLAIN" "$QUOTES" "$NEWLINE"`, 'sh', file], { encoding: 'utf8', env: {} });
      expect(output).toBe(`x|${environment.QUOTES}|a\nb`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses names that are not identifiers', () => {
    expect(() => renderEnvFile({ 'A;rm': 'x' })).toThrow();
  });
});
