import type { DesiredLrp } from './types';

export interface AppEnvironmentInput {
  lrp: DesiredLrp;
  appGuid: string;
  index: number;
  instanceGuid: string;
  home: string;
  /** PATH unless the app sets its own. */
  defaultPath: string;
  /** containerDir -> the path the app must use (the same path with namespaces, the host path without). */
  volumePaths: Record<string, string>;
}

/** The environment an instance starts with: defaults, then the app's env, then the platform's own variables. */
export function buildAppEnvironment(input: AppEnvironmentInput): Record<string, string> {
  const { lrp, appGuid, index, instanceGuid } = input;
  const vcapApplication = {
    application_id: appGuid,
    application_name: lrp.name,
    name: lrp.name,
    instance_index: index,
    instance_id: instanceGuid,
  };
  return {
    PATH: input.defaultPath,
    LANG: 'C.UTF-8',
    TMPDIR: '/tmp',
    ...lrp.env,
    HOME: input.home,
    INSTANCE_INDEX: String(index),
    CF_INSTANCE_INDEX: String(index),
    CF_INSTANCE_GUID: instanceGuid,
    VCAP_APPLICATION: JSON.stringify(vcapApplication),
    OSBKIT_VOLUME_PATHS: JSON.stringify(input.volumePaths),
  };
}
