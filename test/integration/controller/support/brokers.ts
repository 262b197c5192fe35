import {
  answerFromStore, errors, inProgress, type BindRequest, type BindResult, type DeprovisionRequest, type ProvisionRequest,
  type ProvisionResult, type ServiceBroker, type StepContext, type UnbindRequest, type UpdateRequest,
} from '../../../../sdk';
import type { InProgress } from '../../../../sdk/broker';

/**
 * In-test brokers. Provision and bind parameters steer failures (`{ fail: '500' }` and so
 * on), so one broker serves every orphan-mitigation row; what the broker was asked is kept
 * for the assertions.
 */

export const DB_SERVICE = 'svc-db-5e1c9a';
export const CACHE_SERVICE = 'svc-cache-7b2d11';
export const PLAN_SMALL = 'plan-small-0c4e';
export const PLAN_LARGE = 'plan-large-9d21';
export const PLAN_FIXED = 'plan-fixed-3a77';
export const PLAN_ASYNC = 'plan-async-61f0';
export const PLAN_NOBIND = 'plan-nobind-2b8e';
export const PLAN_CACHE = 'plan-cache-async-48aa';

export const VOLUME_SERVICE = 'svc-volume-0e9f';
export const PLAN_VOLUME = 'plan-volume-73c2';

/** Appears only inside binding credentials; must never reach a log line. */
export const CREDENTIAL_SECRET = 'cred-secret-Wm4t9QvX';
/** Appears only inside a volume mount's mount_config. */
export const MOUNT_SECRET = 'mount-secret-Hy62Lp';

export function databaseCatalog(): Record<string, unknown> {
  return {
    services: [
      {
        id: DB_SERVICE,
        name: 'testdb',
        description: 'A database for tests',
        bindable: true,
        instances_retrievable: true,
        bindings_retrievable: true,
        plan_updateable: false,
        tags: ['database', 'sql'],
        metadata: { displayName: 'Test DB', documentationUrl: 'https://docs.example/testdb' },
        plans: [
          { id: PLAN_SMALL, name: 'small', description: 'small plan', plan_updateable: true, binding_rotatable: true, maintenance_info: { version: '1.0.0', description: 'first' } },
          { id: PLAN_LARGE, name: 'large', description: 'large plan', plan_updateable: true, maintenance_info: { version: '1.0.0' } },
          { id: PLAN_FIXED, name: 'fixed', description: 'no plan changes' },
          { id: PLAN_ASYNC, name: 'async', description: 'asynchronous everything', plan_updateable: true, maximum_polling_duration: 60 },
          { id: PLAN_NOBIND, name: 'nobind', description: 'not bindable', bindable: false },
        ],
      },
      {
        id: CACHE_SERVICE,
        name: 'testcache',
        description: 'Binds asynchronously without offering to fetch bindings',
        bindable: true,
        bindings_retrievable: false,
        plans: [{ id: PLAN_CACHE, name: 'async', description: 'async binds' }],
      },
    ],
  };
}

type Params = Record<string, unknown>;

function failure(mode: unknown): Error | undefined {
  switch (mode) {
    case '500':
      return new Error('the database host exploded');
    case '400':
      return errors.badRequest('The size parameter is out of range.');
    case 'concurrency':
      return errors.concurrency();
    default:
      return undefined;
  }
}

/** Async steps: the first answers "in progress", the second finishes (or fails). */
function asyncStep(context: StepContext, description: string, failWith?: Error): InProgress | undefined {
  if (context.step === 1) return inProgress({ retryAfterSeconds: 0.05, description });
  if (failWith) throw failWith;
  return undefined;
}

export class DatabaseBroker implements ServiceBroker {
  readonly provisions: ProvisionRequest[] = [];
  readonly updates: UpdateRequest[] = [];
  readonly deprovisions: DeprovisionRequest[] = [];
  readonly binds: BindRequest[] = [];
  readonly unbinds: UnbindRequest[] = [];

  async provision(request: ProvisionRequest, context: StepContext): Promise<ProvisionResult | InProgress> {
    if (context.step === 1) this.provisions.push(request);
    const params = request.parameters as Params;
    const thrown = failure(params.fail);
    if (thrown) throw thrown;
    const isAsync = request.plan.id === PLAN_ASYNC || params.fail === 'async-failed' || params.steps !== undefined;
    if (isAsync && !request.acceptsIncomplete) throw errors.asyncRequired();
    if (isAsync) {
      const steps = typeof params.steps === 'number' ? params.steps : 2;
      if (context.step < steps) return inProgress({ retryAfterSeconds: 0.05, description: `creating the database (step ${context.step})` });
      if (params.fail === 'async-failed') throw errors.unprocessable('The database could not be created.');
    }
    return { dashboardUrl: `https://dash.example/${request.instanceId}` };
  }

  async update(request: UpdateRequest, context: StepContext): Promise<Record<string, never> | InProgress> {
    if (context.step === 1) this.updates.push(request);
    const params = (request.parameters ?? {}) as Params;
    if (params.fail === 'unusable') throw errors.unprocessable('The resize broke the database.', { instanceUsable: false, updateRepeatable: false });
    if (params.fail === 'refused') throw errors.unprocessable('Quota exceeded.');
    if (params.async === true || request.plan.id === PLAN_ASYNC || request.previousPlan.id === PLAN_ASYNC) {
      const step = asyncStep(context, 'resizing');
      if (step) return step;
    }
    return {};
  }

  async deprovision(request: DeprovisionRequest, context: StepContext): Promise<void | InProgress> {
    if (context.step === 1) this.deprovisions.push(request);
    if (request.instance.plan.id === PLAN_ASYNC) {
      const step = asyncStep(context, 'dropping the database');
      if (step) return step;
    }
  }

  async bind(request: BindRequest, context: StepContext): Promise<BindResult | InProgress> {
    if (context.step === 1) this.binds.push(request);
    const params = request.parameters as Params;
    const thrown = failure(params.fail);
    if (thrown) throw thrown;
    const isAsync = request.instance.plan.id === PLAN_ASYNC || request.instance.plan.id === PLAN_CACHE || params.fail === 'async-failed';
    if (isAsync) {
      const step = asyncStep(context, 'creating a user', params.fail === 'async-failed' ? errors.unprocessable('No user for you.') : undefined);
      if (step) return step;
    }
    return {
      credentials: { username: `user-${request.bindingId.slice(0, 8)}`, password: CREDENTIAL_SECRET, uri: `db://host/${request.instance.instanceId}` },
    };
  }

  async unbind(request: UnbindRequest, context: StepContext): Promise<void | InProgress> {
    if (context.step === 1) this.unbinds.push(request);
    if (request.instance.plan.id === PLAN_ASYNC) {
      const step = asyncStep(context, 'dropping the user');
      if (step) return step;
    }
  }

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;
}

export function volumeCatalog(): Record<string, unknown> {
  return {
    services: [
      {
        id: VOLUME_SERVICE,
        name: 'testvolume',
        description: 'Shared volumes for tests',
        bindable: true,
        bindings_retrievable: true,
        requires: ['volume_mount'],
        tags: ['volume'],
        plans: [{ id: PLAN_VOLUME, name: 'shared', description: 'a shared directory' }],
      },
    ],
  };
}

/** Bind parameter `mounts`: 'good' (default), 'bad' (entries the controller must refuse). */
export class VolumeBroker implements ServiceBroker {
  readonly binds: BindRequest[] = [];

  async provision(): Promise<ProvisionResult> {
    return {};
  }

  async deprovision(): Promise<void> {}

  async bind(request: BindRequest): Promise<BindResult> {
    this.binds.push(request);
    const mode = (request.parameters as Params).mounts;
    if (mode === 'bad') {
      return {
        credentials: {},
        volume_mounts: [
          // @ts-expect-error a mount the OSB types forbid (no driver, mode rwx), for the controller's checks to refuse
          { container_dir: 'relative/dir', mode: 'rwx', device_type: 'shared', device: { volume_id: '' } },
        ],
      };
    }
    return {
      credentials: {},
      volume_mounts: [
        {
          driver: 'localdriver',
          container_dir: '/var/vcap/data/shared',
          mode: 'rw',
          device_type: 'shared',
          device: { volume_id: `vol-${request.instance.instanceId}`, mount_config: { uid: '1000', password: MOUNT_SECRET } },
        },
      ],
    };
  }

  async unbind(): Promise<void> {}

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;
}
