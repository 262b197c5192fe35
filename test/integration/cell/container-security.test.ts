import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellNetworkTag } from '../../../platform/cell/app-network';
import { Cell, DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import type { DesiredLrp, LogLine } from '../../../platform/cell/types';
import { CaptureLogger } from './helpers/capture-logger';
import { FakeVolumeDrivers } from './helpers/fake-drivers';
import { canUseNamespaces, eventually, forceCleanup } from './helpers/host';

/**
 * The attacks of the platform security review, run as a hostile tenant would run them against a
 * root cell: a symlink planted through a shared volume (also while it is being swapped, a race),
 * root inside the container, and reaching what the app was not bound to over the network.
 */
jest.setTimeout(180_000);

const describeWithNamespaces = canUseNamespaces() ? describe : describe.skip;

function lines(cell: Cell, appGuid: string, source: LogLine['source']): string[] {
  return (cell.logs(appGuid)?.recent ?? []).filter((line) => line.source === source).map((line) => line.message);
}

function allText(cell: Cell, appGuid: string): string {
  return (cell.logs(appGuid)?.recent ?? []).map((line) => `${line.source} ${line.message}`).join('\n');
}

/** Waits until the app printed `done`, or its first start failed; returns whether it ran. */
async function ranOrFailed(cell: Cell, appGuid: string, done: string): Promise<'ran' | 'failed'> {
  return eventually(`${appGuid} to run or fail`, () => {
    if (lines(cell, appGuid, 'OUT').includes(done)) return 'ran';
    const instance = cell.status(appGuid)?.instances[0];
    if (instance?.state === 'crashed') return 'failed';
    return undefined;
  });
}

function lrp(name: string, command: string, volumeMounts: DesiredLrp['volumeMounts'], egress: DesiredLrp['egress'] = []): DesiredLrp {
  return { name, command, env: {}, instances: 1, volumeMounts, egress };
}

const volume = (volumeId: string, containerDir: string): DesiredLrp['volumeMounts'][number] => ({
  driver: 'fakedriver',
  volumeId,
  mountConfig: {},
  containerDir,
  mode: 'rw',
});

// A file the app plants where a privileged step would run it: run as root it records "0".
const PAYLOAD = '#!/bin/sh\nid -u > "$(dirname "$0")/pwned"\n';

describeWithNamespaces('container security of a root cell', () => {
  const marker = `osbkit-sec-${randomBytes(4).toString('hex')}`;
  let root: string;
  let drivers: FakeVolumeDrivers;
  let cell: Cell;
  const servers: Server[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-cell-sec-'));
    chmodSync(root, 0o755);
    drivers = new FakeVolumeDrivers(join(root, 'drivers'), { owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID }, bindMount: true });
    cell = new Cell({ dataDir: join(root, 'cell'), drivers, logger: new CaptureLogger(), isolation: 'namespaces', convergeIntervalMs: 200, stopGraceMs: 2_000 });
    await cell.start();
  });

  afterAll(async () => {
    await cell?.shutdown();
    for (const server of servers) server.close();
    forceCleanup(root, marker);
  });

  describe('finding 1: a symlink planted through a shared volume', () => {
    it('refuses to mount over it, and nothing the app planted runs as root', async () => {
      const planter = `planter-${marker}`;
      cell.desire(planter, lrp('planter', `: ${marker}; printf '%s' '${PAYLOAD}' > /b/chroot && chmod 755 /b/chroot && ln -s /usr/sbin /a/x && echo planted; exec sleep 600`, [volume('va', '/a'), volume('vb', '/b')]));
      await eventually('the planter to plant', () => (lines(cell, planter, 'OUT').includes('planted') ? true : undefined));

      const victim = `victim-${marker}`;
      cell.desire(victim, lrp('victim', `: ${marker}; echo started; exec sleep 600`, [volume('va', '/a'), volume('vb', '/a/x')]));
      const outcome = await ranOrFailed(cell, victim, 'started');

      expect(existsSync(join(drivers.sharePath('vb'), 'pwned'))).toBe(false);
      expect(outcome).toBe('failed');
      expect(allText(cell, victim)).toContain('refusing to mount on /a/x: "x" is a symbolic link');
      expect(cell.status(victim)?.instances[0]?.reason).toMatch(/container set-up failed/);
      await cell.stop(victim);
      await cell.stop(planter);
    });

    it('never lets a mount follow a symlink that another app swaps in and out while the mount is made (race)', async () => {
      const swapper = `swapper-${marker}`;
      const swap = [
        `: ${marker}`,
        `printf '%s' '${PAYLOAD}' > /b/chroot && chmod 755 /b/chroot && touch /b/vb-marker`,
        'mkdir -p /a/y',
        'echo swapping',
        'while :; do mv -T /a/y /a/held; ln -s /usr/sbin /a/y; mv -T /a/y /a/link; mv -T /a/held /a/y; done 2>/dev/null',
      ].join('\n');
      cell.desire(swapper, lrp('swapper', swap, [volume('va2', '/a'), volume('vb2', '/b')]));
      await eventually('the swapper to start swapping', () => (lines(cell, swapper, 'OUT').includes('swapping') ? true : undefined));

      const outcomes: string[] = [];
      try {
        for (let round = 0; round < 12; round += 1) {
          const victim = `racer-${round}-${marker}`;
          // Where vb2 is mounted, as the kernel reports it now: the directory it sits on may have
          // been renamed by the swapper since (it stays a directory of va2, under /a), or replaced,
          // which detaches the mount. Either is safe; a mount anywhere outside /a is not.
          const probe = `: ${marker}; awk '$4 ~ /\\/vb2$/ {print "vb2-at=" $5}' /proc/self/mountinfo; echo "uid=$(id -u)"; echo started; exec sleep 600`;
          cell.desire(victim, lrp('racer', probe, [volume('va2', '/a'), volume('vb2', '/a/y')]));
          try {
            const outcome = await ranOrFailed(cell, victim, 'started');
            const text = allText(cell, victim);
            if (outcome === 'ran') {
              const places = text.split('\n').filter((line) => line.startsWith('OUT vb2-at='));
              for (const place of places) expect(place).toMatch(/^OUT vb2-at=\/a\/[^/]+$/);
              expect(text).toContain(`uid=${DEFAULT_APP_UID}`);
            } else {
              expect(text).toMatch(/refusing to mount on \/a\/y: "y" is (a symbolic link|not a directory)|cannot (create|open) a directory of the mount target/);
            }
            outcomes.push(outcome);
          } finally {
            await cell.stop(victim);
          }
        }
      } finally {
        await cell.stop(swapper);
      }
      expect(outcomes).toHaveLength(12);
      expect(existsSync(join(drivers.sharePath('vb2'), 'pwned'))).toBe(false);
    });
  });

  describe('user namespace', () => {
    it('runs the app as the app user of a user namespace whose root is an unprivileged host uid, with no capabilities and no way back to the host', async () => {
      const app = `userns-${marker}`;
      const probe = [
        `: ${marker}`,
        'echo "uid_map=$(tr -s " " < /proc/self/uid_map | tr "\\n" ";")"',
        'echo "gid_map=$(tr -s " " < /proc/self/gid_map | tr "\\n" ";")"',
        'grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs):" /proc/self/status | tr -d "\\t" | sed "s/^/self-/"',
        'grep -E "^CapEff:" /proc/1/status | tr -d "\\t" | sed "s/^/init-/"',
        `ls ${root} >/dev/null 2>&1 && echo host-visible || echo host-invisible`,
        'ls /proc/1/root/ >/dev/null 2>&1 && echo init-root-readable || echo init-root-refused',
        'echo done',
        'exec sleep 600',
      ].join('\n');
      cell.desire(app, lrp('userns', probe, []));
      await eventually('the probe', () => (lines(cell, app, 'OUT').includes('done') ? true : undefined));
      const out = lines(cell, app, 'OUT');
      expect(out).toContain('uid_map= 0 4294967294 1; 1 1 65535;');
      expect(out).toContain('gid_map= 0 4294967294 1; 1 1 65535;');
      expect(out).toContain('self-CapEff:0000000000000000');
      expect(out).toContain('self-CapPrm:0000000000000000');
      expect(out).toContain('self-CapBnd:0000000000000000');
      expect(out).toContain('self-NoNewPrivs:1');
      // The init keeps CAP_KILL (bit 5) only, to pass on signals.
      expect(out).toContain('init-CapEff:0000000000000020');
      expect(out).toContain('host-invisible');
      expect(out).toContain('init-root-refused');
      await cell.stop(app);
    });
  });

  describe('second review: what a tenant controls besides files', () => {
    it('an LD_PRELOAD in the app\'s environment never loads into anything privileged; the app still gets its variables', async () => {
      // A library that records the uid of every process that loads it, at a host path the
      // helper could reach before it pivots (as a tenant would learn it from /proc/self/mountinfo).
      const library = join(root, 'preload');
      execFileSync('mkdir', ['-p', library]);
      writeFileSync(join(library, 'evil.c'), `#include <stdio.h>\n#include <unistd.h>\n__attribute__((constructor)) static void record(void) { char path[512]; snprintf(path, sizeof path, "${library}/loaded-by-%d", (int)getuid()); FILE *f = fopen(path, "w"); if (f) fclose(f); }\n`);
      execFileSync(process.env.CC ?? 'cc', ['-shared', '-fPIC', '-o', join(library, 'evil.so'), join(library, 'evil.c')]);
      const app = `preload-${marker}`;
      cell.desire(app, { ...lrp('preload', `: ${marker}; echo "preload=$LD_PRELOAD"; echo "own=$OWN_SETTING"; echo started; exec sleep 600`, []), env: { LD_PRELOAD: join(library, 'evil.so'), OWN_SETTING: 'kept' } });
      await eventually('the app', () => (lines(cell, app, 'OUT').includes('started') ? true : undefined));
      const out = lines(cell, app, 'OUT');
      expect(out).toContain(`preload=${join(library, 'evil.so')}`);
      expect(out).toContain('own=kept');
      expect(existsSync(join(library, 'loaded-by-0'))).toBe(false);
      await cell.stop(app);
    });

    it('gives the app IPC, UTS and cgroup namespaces of its own, and no nested user namespaces', async () => {
      const app = `namespaces-${marker}`;
      const probe = [
        `: ${marker}`,
        'for kind in ipc uts cgroup; do echo "$kind=$(readlink /proc/self/ns/$kind)"; done',
        'unshare -U true 2>/dev/null && echo nested-userns-allowed || echo nested-userns-refused',
        'echo done',
        'exec sleep 600',
      ].join('\n');
      cell.desire(app, lrp('namespaces', probe, []));
      await eventually('the probe', () => (lines(cell, app, 'OUT').includes('done') ? true : undefined));
      const out = lines(cell, app, 'OUT');
      for (const kind of ['ipc', 'uts', 'cgroup']) {
        const host = execFileSync('readlink', [`/proc/self/ns/${kind}`], { encoding: 'utf8' }).trim();
        const inApp = out.find((line) => line.startsWith(`${kind}=`));
        expect(inApp).toMatch(new RegExp(`^${kind}=${kind}:\\[\\d+\\]$`));
        expect(inApp).not.toBe(`${kind}=${host}`);
      }
      expect(out).toContain('nested-userns-refused');
      await cell.stop(app);
    });
  });

  describe('network namespace and egress rules', () => {
    async function listen(greeting: string): Promise<{ port: number; peers: string[] }> {
      const peers: string[] = [];
      const server = createServer((socket) => {
        peers.push(socket.remoteAddress ?? '');
        socket.end(`${greeting}\n`);
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { port: (server.address() as AddressInfo).port, peers };
    }

    it('reaches the host service its egress names, from its own address, and nothing else on the host', async () => {
      const allowed = await listen('hello-allowed');
      const forbidden = await listen('hello-forbidden');
      const hostAddress = execFileSync('hostname', ['-I'], { encoding: 'utf8' }).trim().split(/\s+/)[0] ?? '127.0.0.1';
      const script = join(root, `probe-${marker}.js`);
      writeFileSync(
        script,
        [
          "'use strict';",
          "const net = require('node:net');",
          'function probe(label, host, port) {',
          '  return new Promise((resolve) => {',
          '    const socket = net.connect({ host, port, timeout: 3000 });',
          "    let data = '';",
          "    socket.on('data', (chunk) => { data += chunk; });",
          "    socket.on('end', () => { console.log(`${label}=ok:${data.trim()}`); resolve(); });",
          "    socket.on('timeout', () => { console.log(`${label}=timeout`); socket.destroy(); resolve(); });",
          "    socket.on('error', (error) => { console.log(`${label}=refused:${error.code}`); resolve(); });",
          '  });',
          '}',
          '(async () => {',
          `  await probe('allowed', '127.0.0.1', ${allowed.port});`,
          `  await probe('forbidden', '127.0.0.1', ${forbidden.port});`,
          `  await probe('host-address', '${hostAddress}', ${forbidden.port});`,
          "  const gateway = require('node:fs').readFileSync('/proc/net/route', 'utf8').split('\\n').map((l) => l.split('\\t')).find((f) => f[1] === '00000000');",
          "  const hex = gateway ? gateway[2] : '00000000';",
          "  const gatewayAddress = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');",
          `  await probe('gateway-forbidden', gatewayAddress, ${forbidden.port});`,
          "  console.log('done');",
          '})();',
        ].join('\n'),
      );
      chmodSync(script, 0o644);
      const app = `net-${marker}`;
      // The script is copied in as the app's files; node is the host's, under the read-only /usr.
      const appDir = mkdtempSync(join(root, 'netapp-'));
      chmodSync(appDir, 0o755);
      writeFileSync(join(appDir, 'probe.js'), readFileSync(script));
      cell.desire(app, { ...lrp('net', `: ${marker}; node probe.js; exec sleep 600`, [], [{ destination: '127.0.0.1', port: allowed.port, protocol: 'tcp' }]), appDir });
      await eventually('the network probe', () => (lines(cell, app, 'OUT').includes('done') ? true : undefined), 30_000);
      const out = lines(cell, app, 'OUT');
      expect(out).toContain('allowed=ok:hello-allowed');
      expect(out.find((line) => line.startsWith('forbidden='))).toMatch(/^forbidden=refused/);
      expect(out.find((line) => line.startsWith('host-address='))).toMatch(/^host-address=(refused|timeout)/);
      expect(out.find((line) => line.startsWith('gateway-forbidden='))).toMatch(/^gateway-forbidden=(refused|timeout)/);
      expect(forbidden.peers).toEqual([]);
      // The service sees the app's own address, not the host's loopback.
      expect(allowed.peers).toHaveLength(1);
      expect(allowed.peers[0]).toMatch(/^(::ffff:)?10\.255\.\d+\.\d+$/);
      await cell.stop(app);
      // Stopped means gone: the namespace, the link and the host's rules.
      const tag = cellNetworkTag(realpathSync(join(root, 'cell')));
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`osbkit-${tag}-`);
      expect(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })).not.toContain(`osbkit_${tag}_`);
      expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain(`o${tag}`);
    });
  });
});
