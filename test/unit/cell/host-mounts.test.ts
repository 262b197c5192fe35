import { mountPointsBelow, parseMountInfo } from '../../../platform/cell/host-mounts';

const sample = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '90 27 0:50 / /var/lib/cell/containers/a-0/rootfs rw,relatime shared:5 - tmpfs osbkit-root rw',
  '91 90 0:51 / /var/lib/cell/containers/a-0/rootfs/data\\040dir rw - fuse.bridge nfs://host/export rw',
  '92 27 0:52 / /var/lib/cell rw - tmpfs tmpfs rw',
  '93 27 0:53 / /var/lib/cellar rw - tmpfs tmpfs rw',
  'garbage line',
  '',
].join('\n');

describe('mountinfo parsing', () => {
  it('reads mount points, with optional fields and octal escapes', () => {
    const mounts = parseMountInfo(sample);
    expect(mounts.map((mount) => mount.mountPoint)).toEqual([
      '/',
      '/var/lib/cell/containers/a-0/rootfs',
      '/var/lib/cell/containers/a-0/rootfs/data dir',
      '/var/lib/cell',
      '/var/lib/cellar',
    ]);
    expect(mounts[1]).toEqual({ mountPoint: '/var/lib/cell/containers/a-0/rootfs', fsType: 'tmpfs', source: 'osbkit-root' });
  });

  it('lists mounts strictly below a directory, deepest first, and not its look-alike siblings', () => {
    expect(mountPointsBelow(parseMountInfo(sample), '/var/lib/cell')).toEqual([
      '/var/lib/cell/containers/a-0/rootfs/data dir',
      '/var/lib/cell/containers/a-0/rootfs',
    ]);
  });

  it('can include the directory itself', () => {
    expect(mountPointsBelow(parseMountInfo(sample), '/var/lib/cell/', true)).toContain('/var/lib/cell');
  });
});
