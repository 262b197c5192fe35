import { buildAppEnvironment } from '../../../platform/cell/app-env';

describe('buildAppEnvironment', () => {
  const base = {
    lrp: { name: 'web', command: 'x', env: { GREETING: 'hi', HOME: '/evil', INSTANCE_INDEX: '99', PATH: '/opt/bin' }, instances: 1, volumeMounts: [] },
    appGuid: 'guid-1',
    index: 3,
    instanceGuid: 'instance-guid',
    home: '/home/vcap',
    defaultPath: '/usr/bin:/bin',
    volumePaths: { '/data/v': '/data/v' },
  };

  it('lets the app set its own variables, including PATH, but not the platform ones', () => {
    const environment = buildAppEnvironment(base);
    expect(environment).toMatchObject({ GREETING: 'hi', PATH: '/opt/bin', HOME: '/home/vcap', INSTANCE_INDEX: '3', CF_INSTANCE_INDEX: '3', CF_INSTANCE_GUID: 'instance-guid' });
  });

  it('describes the app and its volumes as JSON', () => {
    const environment = buildAppEnvironment(base);
    expect(JSON.parse(environment.VCAP_APPLICATION ?? '')).toEqual({
      application_id: 'guid-1',
      application_name: 'web',
      name: 'web',
      instance_index: 3,
      instance_id: 'instance-guid',
    });
    expect(JSON.parse(environment.OSBKIT_VOLUME_PATHS ?? '')).toEqual({ '/data/v': '/data/v' });
  });
});
