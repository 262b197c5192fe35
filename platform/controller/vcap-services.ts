import { redactVolumeMountForApp, type AppVisibleVolumeMount, type VolumeMount } from '../../sdk/volume/mounts';

/**
 * VCAP_SERVICES as Cloud Foundry builds it: one key per offering label, each an array of
 * the app's bindings to instances of that offering. Volume mounts lose `driver` and
 * `device`, which may hold share credentials the app has no business seeing.
 */

/** One established binding of the app, with what it needs from its instance, plan and offering. */
export interface VcapBindingSource {
  bindingGuid: string;
  bindingName: string | null;
  instanceGuid: string;
  instanceName: string;
  instanceTags: string[];
  offeringName: string;
  offeringTags: string[];
  planName: string;
  credentials: Record<string, unknown>;
  syslogDrainUrl: string | null;
  volumeMounts: VolumeMount[];
}

export interface VcapServiceEntry {
  label: string;
  provider: null;
  plan: string;
  name: string;
  tags: string[];
  instance_guid: string;
  instance_name: string;
  binding_guid: string;
  binding_name: string | null;
  credentials: Record<string, unknown>;
  syslog_drain_url: string | null;
  volume_mounts: AppVisibleVolumeMount[];
}

export type VcapServices = Record<string, VcapServiceEntry[]>;

/** Bindings keep the order they are given in, within their label. */
export function buildVcapServices(bindings: readonly VcapBindingSource[]): VcapServices {
  const services: VcapServices = {};
  for (const binding of bindings) {
    const entry: VcapServiceEntry = {
      label: binding.offeringName,
      provider: null,
      plan: binding.planName,
      name: binding.bindingName ?? binding.instanceName,
      tags: [...new Set([...binding.offeringTags, ...binding.instanceTags])],
      instance_guid: binding.instanceGuid,
      instance_name: binding.instanceName,
      binding_guid: binding.bindingGuid,
      binding_name: binding.bindingName,
      credentials: binding.credentials,
      syslog_drain_url: binding.syslogDrainUrl,
      volume_mounts: binding.volumeMounts.map(redactVolumeMountForApp),
    };
    (services[binding.offeringName] ??= []).push(entry);
  }
  return services;
}
