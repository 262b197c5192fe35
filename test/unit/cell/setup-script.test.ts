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
  rootHostId: 4294967294,
  networkNamespace: '/run/netns/osbkit-abcde-123456',
  command: `echo "it's $HOME"; exit 3`,
  tools: {
    unshare: '/usr/bin/unshare',
    shell: '/bin/sh',
    contain: '/opt/osbkit/dist/native/osbkit-contain',
    network: { ip: '/usr/sbin/ip', nft: '/usr/sbin/nft', nsenter: '/usr/bin/nsenter', sysctl: '/usr/sbin/sysctl' },
  },
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

  it('mounts a parent volume before a nested one through the helper, read-only for mode r', () => {
    const parent = script.indexOf(`'/opt/osbkit/dist/native/osbkit-contain' mount "$root" '/mnt/it'\\''s' '/data/a' r`);
    const child = script.indexOf(`'/opt/osbkit/dist/native/osbkit-contain' mount "$root" '/mnt/nested' '/data/a/b' rw`);
    expect(parent).toBeGreaterThan(-1);
    expect(child).toBeGreaterThan(parent);
  });

  it('never makes a volume mount target with a shell tool that follows symlinks', () => {
    const volumes = script.slice(script.indexOf('# Volumes'));
    expect(volumes).not.toMatch(/mkdir|mount --bind|bind /);
  });

  it('enters the container through the helper, as the app user in the app\'s network namespace, and quotes the command as one word', () => {
    expect(script).toContain(`exec '/opt/osbkit/dist/native/osbkit-contain' run "$root" 2000 2001 4294967294 '/run/netns/osbkit-abcde-123456' /home/vcap/app '/var/lib/cell/containers/app-1-0/app.env' --`);
    // The root shell never takes the app's environment (LD_PRELOAD and the like): only the app does.
    expect(script).not.toContain('app.env\'\n');
    expect(script).not.toMatch(/^\. /m);
    expect(script).toContain(`/bin/sh -c ${shellQuote(plan.command)}`);
    expect(script).not.toMatch(/chroot|tini|setpriv/);
  });
});

describe('renderEnvFile', () => {
  it('writes NAME=value entries ended by NUL bytes, awkward values as they are', () => {
    const environment = { PLAIN: 'x', QUOTES: `it's "quoted" $HOME \`id\``, NEWLINE: 'a\nb', EQUALS: 'k=v' };
    const text = renderEnvFile(environment);
    expect(text.endsWith('\0')).toBe(true);
    const entries = text.slice(0, -1).split('\0').map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]);
    expect(Object.fromEntries(entries)).toEqual(environment);
  });

  it('refuses a value holding a NUL byte', () => {
    expect(() => renderEnvFile({ BAD: 'a\0b' })).toThrow(/NUL/);
  });

  it('refuses names that are not identifiers', () => {
    expect(() => renderEnvFile({ 'A;rm': 'x' })).toThrow();
  });
});
