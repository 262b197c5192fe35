import type { Logger } from 'pino';
import type { Catalog, InstanceView, JsonValue, ServiceBroker, StepContext } from '../../sdk';

type LifecycleBroker = Required<Pick<ServiceBroker, 'provision' | 'deprovision' | 'bind' | 'unbind'>>;

/**
 * The MySQL broker's methods called directly, without HTTP and without the SDK's state
 * store: every admin statement the broker sends (its checks and registry rows included) and
 * nothing else. Between the raw SQL and the broker over HTTP, it shows which part of the gap
 * is the broker's own SQL and which is the SDK's bookkeeping and HTTP.
 */
export class InProcessCycle {
  private readonly instances = new Map<string, InstanceView>();
  private readonly bindings = new Map<string, JsonValue | undefined>();
  private operations = 0;
  private readonly broker: LifecycleBroker;

  constructor(
    broker: ServiceBroker,
    private readonly catalog: Catalog,
    private readonly planId: string,
    private readonly logger: Logger,
  ) {
    const { bind, unbind } = broker;
    if (!bind || !unbind) throw new Error('the broker must implement bind and unbind');
    this.broker = {
      provision: (request, ctx) => broker.provision(request, ctx),
      deprovision: (request, ctx) => broker.deprovision(request, ctx),
      bind: (request, ctx) => bind.call(broker, request, ctx),
      unbind: (request, ctx) => unbind.call(broker, request, ctx),
    };
  }

  async provision(instanceId: string): Promise<void> {
    const entry = this.catalog.plan(this.planId);
    if (!entry) throw new Error(`plan ${this.planId} is not in the catalog`);
    const result = await this.broker.provision(
      {
        instanceId,
        offering: entry.offering,
        plan: entry.plan,
        parameters: {},
        organizationGuid: 'bench-org',
        spaceGuid: 'bench-space',
        acceptsIncomplete: false,
        caller: { apiVersion: '2.17' },
      },
      this.context(),
    );
    const data = result && 'data' in result ? result.data : undefined;
    this.instances.set(instanceId, { instanceId, offering: entry.offering, plan: entry.plan, parameters: {}, ...(data !== undefined ? { data } : {}) });
  }

  async bind(instanceId: string, bindingId: string): Promise<void> {
    const result = await this.broker.bind(
      { instance: this.instance(instanceId), bindingId, parameters: {}, bindResource: { app_guid: 'bench-app' }, acceptsIncomplete: false, caller: { apiVersion: '2.17' } },
      this.context(),
    );
    this.bindings.set(`${instanceId}/${bindingId}`, result && 'data' in result ? result.data : undefined);
  }

  async unbind(instanceId: string, bindingId: string): Promise<void> {
    const key = `${instanceId}/${bindingId}`;
    const data = this.bindings.get(key);
    await this.broker.unbind(
      {
        instance: this.instance(instanceId),
        binding: { instanceId, bindingId, parameters: {}, ...(data !== undefined ? { data } : {}) },
        acceptsIncomplete: false,
        caller: { apiVersion: '2.17' },
      },
      this.context(),
    );
    this.bindings.delete(key);
  }

  async deprovision(instanceId: string): Promise<void> {
    await this.broker.deprovision({ instance: this.instance(instanceId), acceptsIncomplete: false, caller: { apiVersion: '2.17' } }, this.context());
    this.instances.delete(instanceId);
  }

  private instance(instanceId: string): InstanceView {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`instance ${instanceId} was not provisioned in this process`);
    return instance;
  }

  private context(): StepContext {
    this.operations++;
    return { signal: new AbortController().signal, operationId: `bench-${this.operations}`, step: 1, logger: this.logger };
  }
}
