import { buildVcapServices, type VcapBindingSource } from '../../../platform/controller/vcap-services';

function source(overrides: Partial<VcapBindingSource> = {}): VcapBindingSource {
  return {
    bindingGuid: 'b-1',
    bindingName: null,
    instanceGuid: 'i-1',
    instanceName: 'my-db',
    instanceTags: [],
    offeringName: 'mysql',
    offeringTags: ['mysql', 'relational'],
    planName: 'small',
    credentials: { uri: 'mysql://u:p@h/db' },
    syslogDrainUrl: null,
    volumeMounts: [],
    ...overrides,
  };
}

describe('buildVcapServices', () => {
  test('no bindings: an empty object', () => {
    expect(buildVcapServices([])).toEqual({});
  });

  test('one binding, exactly as Cloud Foundry shows it', () => {
    expect(buildVcapServices([source({ instanceTags: ['primary'] })])).toEqual({
      mysql: [
        {
          label: 'mysql',
          provider: null,
          plan: 'small',
          name: 'my-db',
          tags: ['mysql', 'relational', 'primary'],
          instance_guid: 'i-1',
          instance_name: 'my-db',
          binding_guid: 'b-1',
          binding_name: null,
          credentials: { uri: 'mysql://u:p@h/db' },
          syslog_drain_url: null,
          volume_mounts: [],
        },
      ],
    });
  });

  test('a named binding is listed under its own name; binding_name carries it', () => {
    const [entry] = buildVcapServices([source({ bindingName: 'orders' })]).mysql!;
    expect(entry).toMatchObject({ name: 'orders', binding_name: 'orders', instance_name: 'my-db' });
  });

  test('bindings are grouped by offering label, keeping their order', () => {
    const services = buildVcapServices([
      source({ bindingGuid: 'b-1', instanceName: 'a' }),
      source({ bindingGuid: 'b-2', offeringName: 'redis', offeringTags: [], instanceName: 'cache' }),
      source({ bindingGuid: 'b-3', instanceName: 'b' }),
    ]);
    expect(Object.keys(services)).toEqual(['mysql', 'redis']);
    expect(services.mysql!.map((e) => e.binding_guid)).toEqual(['b-1', 'b-3']);
    expect(services.redis!.map((e) => e.name)).toEqual(['cache']);
  });

  test('offering and instance tags are merged without repeats', () => {
    const [entry] = buildVcapServices([source({ instanceTags: ['relational', 'eu'] })]).mysql!;
    expect(entry!.tags).toEqual(['mysql', 'relational', 'eu']);
  });

  test('volume mounts lose driver and device (which may hold secrets)', () => {
    const [entry] = buildVcapServices([
      source({
        offeringName: 'nfs',
        credentials: {},
        volumeMounts: [
          { driver: 'nfsv3driver', container_dir: '/data', mode: 'r', device_type: 'shared', device: { volume_id: 'v-1', mount_config: { password: 's3cret' } } },
        ],
      }),
    ]).nfs!;
    expect(entry!.volume_mounts).toEqual([{ container_dir: '/data', mode: 'r', device_type: 'shared' }]);
    expect(JSON.stringify(entry)).not.toContain('s3cret');
    expect(JSON.stringify(entry)).not.toContain('nfsv3driver');
  });

  test('syslog_drain_url is passed through', () => {
    const [entry] = buildVcapServices([source({ syslogDrainUrl: 'syslog://logs.example:514' })]).mysql!;
    expect(entry!.syslog_drain_url).toBe('syslog://logs.example:514');
  });

  test('the input is not modified', () => {
    const input = source({ instanceTags: ['x'] });
    const copy = structuredClone(input);
    buildVcapServices([input]);
    expect(input).toEqual(copy);
  });
});
