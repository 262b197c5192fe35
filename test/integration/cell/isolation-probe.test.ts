import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultContainHelperPath, resolveIsolation } from '../../../platform/cell/isolation';
import { canUseNamespaces } from './helpers/host';

const describeWithNamespaces = canUseNamespaces() ? describe : describe.skip;

describeWithNamespaces('isolation "namespaces" on a kernel that refuses user namespaces', () => {
  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'osbkit-probe-'));
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('says so plainly when the cell starts, instead of running apps without one', async () => {
    // The real helper, run where user namespaces are used up: user.max_user_namespaces is a
    // per-user-namespace limit, so setting it to 0 in a throwaway one changes nothing else.
    const refusing = join(directory, 'refusing-helper');
    writeFileSync(
      refusing,
      `#!/bin/sh\nexec unshare --user --map-root-user sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$@"' ${defaultContainHelperPath()} "$@"\n`,
    );
    chmodSync(refusing, 0o755);
    await expect(resolveIsolation('namespaces', refusing)).rejects.toThrow(
      /runs apps in user namespaces, which this kernel refuses: osbkit-contain: the kernel refuses user namespaces .*user\.max_user_namespaces/,
    );
    await expect(resolveIsolation('auto', refusing)).rejects.toThrow(/which this kernel refuses/);
  });

  it('starts when the kernel allows them', async () => {
    await expect(resolveIsolation('namespaces')).resolves.toMatchObject({ mode: 'namespaces' });
  });
});
