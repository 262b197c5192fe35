import { answerFromStore, errors, inProgress, type ServiceBroker } from '../../sdk';
import { PLAN_ASYNC } from './fixtures';

/**
 * A broker whose work is observable: it keeps what it made in maps, so tests can check the
 * SDK called it exactly as often as it should. The async plan takes `steps` steps.
 */
export class RecordingBroker implements ServiceBroker {
  readonly instances = new Map<string, unknown>();
  readonly bindings = new Map<string, unknown>();
  readonly calls: string[] = [];
  asyncSteps = 3;
  failNext: Error | undefined;

  async provision(request: Parameters<ServiceBroker['provision']>[0], ctx: Parameters<ServiceBroker['provision']>[1]) {
    this.calls.push(`provision:${request.instanceId}:${ctx.step}`);
    this.throwIfArmed();
    if (request.plan.id === PLAN_ASYNC) {
      if (!request.acceptsIncomplete) throw errors.asyncRequired();
      const done = typeof ctx.checkpoint === 'number' ? ctx.checkpoint : 0;
      if (done + 1 < this.asyncSteps) return inProgress({ checkpoint: done + 1, retryAfterSeconds: 0.02 as number, description: `step ${done + 1}` });
    }
    this.instances.set(request.instanceId, request.parameters);
    return { dashboardUrl: `https://dash.example/${request.instanceId}`, data: { made: request.instanceId } };
  }

  async update(request: Parameters<NonNullable<ServiceBroker['update']>>[0]) {
    this.calls.push(`update:${request.instance.instanceId}`);
    this.throwIfArmed();
    return {};
  }

  async deprovision(request: Parameters<ServiceBroker['deprovision']>[0]) {
    this.calls.push(`deprovision:${request.instance.instanceId}`);
    this.throwIfArmed();
    this.instances.delete(request.instance.instanceId);
  }

  async bind(request: Parameters<NonNullable<ServiceBroker['bind']>>[0]) {
    this.calls.push(`bind:${request.bindingId}`);
    this.throwIfArmed();
    this.bindings.set(request.bindingId, request.parameters);
    return { credentials: { username: `u-${request.bindingId}`, password: 'secret-pass' }, data: { user: request.bindingId } };
  }

  async unbind(request: Parameters<NonNullable<ServiceBroker['unbind']>>[0]) {
    this.calls.push(`unbind:${request.binding.bindingId}`);
    this.throwIfArmed();
    this.bindings.delete(request.binding.bindingId);
  }

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;

  private throwIfArmed(): void {
    const error = this.failNext;
    this.failNext = undefined;
    if (error) throw error;
  }
}
