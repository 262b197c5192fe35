import {
  OsbClient, OsbMalformedResponseError, OsbPollingTimeoutError, OsbRequestError, OsbResponseError, OsbTimeoutError, OsbTransportError,
  brokerText, type AsyncAnswer, type Identity, type LastOperationAnswer, type PlanRef,
} from '../../sdk/client';
import { closeOsbAgents, createOsbAgents, type OsbAgents } from '../../sdk/client/agent';
import type { BindRequest, BindResponse, FetchBindingResponse, ProvisionRequest, ProvisionResponse, UpdateRequest, UpdateResponse } from '../../sdk/openapi';
import type { ServicePlan } from '../../sdk/catalog/catalog';
import type { BrokerUrlAllowList } from './broker-url-allow-list';
import { ApiError, apiErrors } from './errors';
import type { BrokerCredentials, OrganizationRecord, SpaceRecord } from './records';
import type { ControllerStore } from './store';

/**
 * Every call the controller makes to a broker goes through here, so each one carries the
 * API version, Basic auth, a fresh request identity, the request timeout and the answer
 * limits, goes only to URLs the allow-list allows, and user actions carry the user as
 * originating identity (orphan mitigation and catalog fetches pass none).
 */

export const PLATFORM = 'cloudfoundry';

export interface OsbCallSettings {
  timeoutMs: number;
  /** Pause between polls when the broker sends no Retry-After. */
  pollIntervalMs: number;
  /** The platform's own polling limit; a plan's maximum_polling_duration can only shorten it. */
  maxPollingSeconds: number;
  /** When false, requests go without accepts_incomplete and are repeated with it on 422 AsyncRequired. */
  acceptsIncomplete: boolean;
  /** The most bytes of a catalog read. */
  catalogLimitBytes: number;
  /** The most bytes of any other answer read. */
  answerLimitBytes: number;
  /** The deepest nesting accepted in an answer. */
  jsonDepthLimit: number;
  /** The URLs brokers may have. */
  allowList: BrokerUrlAllowList;
}

/** A broker URL outside the allow-list: nothing is sent to it. */
export class BrokerUrlNotAllowed extends ApiError {
  constructor() {
    super(422, 'CF-UnprocessableEntity', 10008, "The service broker's URL is not allowed by the controller's broker URL allow-list (brokerUrlAllowList); nothing was sent to it.");
  }
}

export interface PollRequest {
  operation?: string;
  serviceId: string;
  planId: string;
  /** Only its maximum_polling_duration matters here. */
  plan: Pick<ServicePlan, 'maximum_polling_duration'>;
  isDelete?: boolean;
  signal?: AbortSignal;
  onPoll?: (answer: LastOperationAnswer) => void;
}

/** The cloudfoundry profile's context object (OSB profile, section Context Object). */
export type CloudFoundryOsbContext = { platform: string } & Record<string, string>;

export function originatingIdentity(userId: string): Identity {
  return { platform: PLATFORM, value: { user_id: userId } };
}

export function osbInstanceContext(organization: OrganizationRecord, space: SpaceRecord, instanceName: string): CloudFoundryOsbContext {
  return {
    platform: PLATFORM,
    organization_guid: organization.guid,
    organization_name: organization.name,
    space_guid: space.guid,
    space_name: space.name,
    instance_name: instanceName,
  };
}

export function osbBindingContext(organization: OrganizationRecord, space: SpaceRecord): CloudFoundryOsbContext {
  return {
    platform: PLATFORM,
    organization_guid: organization.guid,
    organization_name: organization.name,
    space_guid: space.guid,
    space_name: space.name,
  };
}

export class OsbCalls {
  /** Keep-alive connections every client of this controller shares; closed with the controller. */
  private readonly agents: OsbAgents = createOsbAgents();

  constructor(
    private readonly store: ControllerStore,
    private readonly settings: OsbCallSettings,
  ) {}

  /** Ends the connections to brokers; calls still running fail as transport errors. */
  close(): void {
    closeOsbAgents(this.agents);
  }

  /** Throws BrokerUrlNotAllowed for a URL outside the allow-list. */
  checkUrl(url: string): void {
    if (!this.settings.allowList.allows(url)) throw new BrokerUrlNotAllowed();
  }

  /** A client for a URL and credentials that are not stored yet (registration, broker update). */
  clientFor(url: string, credentials: BrokerCredentials): OsbClient {
    // Checked on every call too: a broker registered before the list was set is not called.
    this.checkUrl(url);
    const { timeoutMs, catalogLimitBytes, answerLimitBytes, jsonDepthLimit } = this.settings;
    return new OsbClient({ url, username: credentials.username, password: credentials.password, timeoutMs, catalogLimitBytes, answerLimitBytes, jsonDepthLimit, agent: this.agents });
  }

  /** Credentials are read on every call: a broker update may have changed them. */
  client(brokerGuid: string): OsbClient {
    const broker = this.store.brokers.get(brokerGuid);
    const credentials = this.store.brokers.credentials(brokerGuid);
    if (!broker || !credentials) throw apiErrors.unprocessable('The service broker of this service offering no longer exists.');
    return this.clientFor(broker.url, credentials);
  }

  async catalog(client: OsbClient): Promise<unknown> {
    return (await client.getCatalog()).body;
  }

  async provision(brokerGuid: string, instanceId: string, body: ProvisionRequest, identity: Identity): Promise<AsyncAnswer<ProvisionResponse>> {
    const client = this.client(brokerGuid);
    return this.withAsyncFallback((acceptsIncomplete) => client.provision(instanceId, body, { identity, acceptsIncomplete }));
  }

  async update(brokerGuid: string, instanceId: string, body: UpdateRequest, identity: Identity): Promise<AsyncAnswer<UpdateResponse>> {
    const client = this.client(brokerGuid);
    return this.withAsyncFallback((acceptsIncomplete) => client.update(instanceId, body, { identity, acceptsIncomplete }));
  }

  async deprovision(brokerGuid: string, instanceId: string, plan: PlanRef, identity: Identity | undefined): Promise<AsyncAnswer<Record<string, unknown>> & { gone: boolean }> {
    const client = this.client(brokerGuid);
    return this.withAsyncFallback((acceptsIncomplete) => client.deprovision(instanceId, plan, { ...(identity ? { identity } : {}), acceptsIncomplete }));
  }

  async bind(brokerGuid: string, instanceId: string, bindingId: string, body: BindRequest, identity: Identity): Promise<AsyncAnswer<BindResponse>> {
    const client = this.client(brokerGuid);
    return this.withAsyncFallback((acceptsIncomplete) => client.bind(instanceId, bindingId, body, { identity, acceptsIncomplete }));
  }

  async unbind(brokerGuid: string, instanceId: string, bindingId: string, plan: PlanRef, identity: Identity | undefined): Promise<AsyncAnswer<Record<string, unknown>> & { gone: boolean }> {
    const client = this.client(brokerGuid);
    return this.withAsyncFallback((acceptsIncomplete) => client.unbind(instanceId, bindingId, plan, { ...(identity ? { identity } : {}), acceptsIncomplete }));
  }

  async fetchInstanceParameters(brokerGuid: string, instanceId: string, plan: PlanRef, identity: Identity): Promise<Record<string, unknown>> {
    const answer = await this.client(brokerGuid).fetchInstance(instanceId, plan, { identity });
    const parameters = answer.body.parameters;
    return typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? (parameters as Record<string, unknown>) : {};
  }

  async fetchBinding(brokerGuid: string, instanceId: string, bindingId: string, plan: PlanRef, identity: Identity | undefined): Promise<FetchBindingResponse> {
    return (await this.client(brokerGuid).fetchBinding(instanceId, bindingId, plan, identity ? { identity } : {})).body;
  }

  async waitForInstance(brokerGuid: string, instanceId: string, poll: PollRequest): Promise<LastOperationAnswer> {
    return this.client(brokerGuid).waitForOperation({ instanceId }, this.waitOptions(poll));
  }

  async waitForBinding(brokerGuid: string, instanceId: string, bindingId: string, poll: PollRequest): Promise<LastOperationAnswer> {
    return this.client(brokerGuid).waitForOperation({ instanceId, bindingId }, this.waitOptions(poll));
  }

  /** The lower of the platform's limit and the plan's maximum_polling_duration. */
  pollingLimitSeconds(plan: Pick<ServicePlan, 'maximum_polling_duration'>): number {
    const planLimit = plan.maximum_polling_duration;
    return typeof planLimit === 'number' && planLimit > 0 ? Math.min(planLimit, this.settings.maxPollingSeconds) : this.settings.maxPollingSeconds;
  }

  private waitOptions(poll: PollRequest): Parameters<OsbClient['waitForOperation']>[1] {
    return {
      ...(poll.operation !== undefined ? { operation: poll.operation } : {}),
      service_id: poll.serviceId,
      plan_id: poll.planId,
      isDelete: poll.isDelete ?? false,
      maxPollingSeconds: this.pollingLimitSeconds(poll.plan),
      defaultIntervalMs: this.settings.pollIntervalMs,
      ...(poll.signal ? { signal: poll.signal } : {}),
      ...(poll.onPoll ? { onPoll: poll.onPoll } : {}),
    };
  }

  private async withAsyncFallback<T>(send: (acceptsIncomplete: boolean) => Promise<T>): Promise<T> {
    if (this.settings.acceptsIncomplete) return send(true);
    try {
      return await send(false);
    } catch (error) {
      if (error instanceof OsbResponseError && error.status === 422 && error.code === 'AsyncRequired') return send(true);
      throw error;
    }
  }
}

/** What the broker said about its error: its description, else its error code, cleaned and short. */
function brokerSaid(error: OsbResponseError): string {
  const said = error.description ?? brokerText(error.code, 64);
  return said ? `: ${said}` : '';
}

/** A broker call that failed, as a CC-style error a job or a last_operation can show. */
export function describeBrokerFailure(error: unknown, action: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof OsbResponseError) {
    if (error.status >= 300 && error.status < 400) {
      return apiErrors.brokerBadResponse(`The service broker answered the ${action} request with a redirect (status ${error.status}), which the platform does not follow.`);
    }
    if (error.status >= 200 && error.status < 300) {
      return apiErrors.brokerBadResponse(`The service broker returned an invalid response for the ${action} request: status ${error.status} is not one the API defines.`);
    }
    if (error.status >= 400 && error.status < 500) {
      return apiErrors.brokerRequestRejected(`The service broker rejected the ${action} request (status ${error.status})${brokerSaid(error)}`);
    }
    return apiErrors.brokerBadResponse(`The service broker returned an error for the ${action} request (status ${error.status})${brokerSaid(error)}`);
  }
  if (error instanceof OsbMalformedResponseError) {
    return apiErrors.brokerBadResponse(`The service broker returned an invalid response for the ${action} request (status ${error.status}): ${error.problem}`);
  }
  if (error instanceof OsbRequestError) {
    return apiErrors.unprocessable(`The ${action} request was not sent to the service broker: ${error.problem}.`);
  }
  if (error instanceof OsbTimeoutError) {
    return apiErrors.brokerTimeout(`The service broker did not answer the ${action} request within ${duration(error.timeoutMs)}.`);
  }
  if (error instanceof OsbTransportError) {
    return apiErrors.brokerUnreachable(`The service broker could not be reached for the ${action} request: ${error.causeMessage}`);
  }
  if (error instanceof OsbPollingTimeoutError) {
    return apiErrors.brokerOperationFailed(`The service broker did not finish the ${action} within ${error.seconds} s of polling.`);
  }
  return apiErrors.unknown();
}

/** "60 seconds", "1 second", "400 ms": how long a timeout was, as people say it. */
function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 100) / 10;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** A last_operation that ended in `failed`. */
export function describeFailedOperation(answer: LastOperationAnswer, action: string): ApiError {
  const said = brokerText(answer.body.description);
  return apiErrors.brokerOperationFailed(`The service broker reported that the ${action} failed${said ? `: ${said}` : '.'}`);
}
