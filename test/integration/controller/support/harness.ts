import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request, { type Response } from 'supertest';
import { createController, type Controller, type ControllerOptions } from '../../../../platform/controller';
import { tarOfFiles } from '../../../support/tar-archive';
import { FakeCell } from './fake-cell';
import { BROKER_CREDENTIALS } from './test-broker';

/**
 * A controller on a temporary data directory with a recording cell, its log lines captured
 * (pino at debug level, no redaction: what the controller writes is what we grep). The
 * harness logs in as ADMIN, the controller's bootstrap admin, and sends that token with
 * every request; `client(token)` makes requests as someone else.
 */

export const ADMIN = { username: 'alice', password: 'alice-Pa55word-for-tests' };

export interface JobBody {
  guid: string;
  state: string;
  operation: string;
  errors: Array<{ code: number; title: string; detail: string }>;
  warnings: Array<{ detail: string }>;
}

type Body = Record<string, unknown>;

/** Requests with one user's token (none when null). */
export interface ApiClient {
  get(path: string): Promise<Response>;
  post(path: string, body?: unknown): Promise<Response>;
  patch(path: string, body: unknown): Promise<Response>;
  delete(path: string): Promise<Response>;
  /** POSTs raw bytes, as a package upload is sent. */
  upload(path: string, bytes: Buffer, contentType?: string): Promise<Response>;
}

/** The files createApp uploads unless told otherwise. */
export const DEFAULT_APP_FILES = { 'server.js': 'console.log("hello");\n' };

export class Harness {
  controller!: Controller;
  readonly logLines: string[] = [];
  readonly cell = new FakeCell();
  /** Sent as Authorization: Bearer; null sends none. */
  token: string | null = null;
  /** The admin's user guid: what brokers receive as the originating identity. */
  userGuid = '';

  private constructor(
    readonly dataDir: string,
    private options: Partial<ControllerOptions>,
  ) {}

  static async start(options: Partial<ControllerOptions> = {}): Promise<Harness> {
    const harness = new Harness(mkdtempSync(join(tmpdir(), 'osbkit-controller-')), options);
    await harness.open();
    harness.token = await harness.login(ADMIN.username, ADMIN.password);
    const me = (await harness.get(`/v3/users?usernames=${ADMIN.username}`)).body as { resources: Body[] };
    harness.userGuid = String(me.resources[0]?.guid);
    return harness;
  }

  private async open(): Promise<void> {
    const logger = pino({ level: 'debug' }, { write: (line: string) => void this.logLines.push(line) });
    this.controller = createController({
      dataDir: this.dataDir,
      logger,
      cell: this.cell,
      brokerTimeoutMs: 3000,
      orphanMitigationRetryMs: 50,
      pollIntervalMs: 50,
      bootstrapAdmin: ADMIN,
      ...this.options,
    });
    await this.controller.start();
  }

  /** A new controller on the same data directory, as after a process restart. */
  async restart(options: Partial<ControllerOptions> = {}): Promise<void> {
    await this.controller.close();
    this.options = { ...this.options, ...options };
    await this.open();
  }

  async close(): Promise<void> {
    await this.controller.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  logs(): string {
    return this.logLines.join('');
  }

  /** The header value the harness sends, for tests that build requests themselves. */
  authorization(): string {
    return `Bearer ${this.token ?? ''}`;
  }

  client(token: string | null): ApiClient {
    const as = <T extends request.Test>(test: T): T => (token === null ? test : (test.set('Authorization', `Bearer ${token}`) as T));
    const app = () => request(this.controller.app);
    return {
      get: (path) => as(app().get(path)),
      post: (path, body) => {
        const test = as(app().post(path));
        return body === undefined ? test : test.send(body as object);
      },
      patch: (path, body) => as(app().patch(path)).send(body as object),
      delete: (path) => as(app().delete(path)),
      upload: (path, bytes, contentType = 'application/x-tar') => as(app().post(path)).set('Content-Type', contentType).send(bytes),
    };
  }

  get(path: string): Promise<Response> {
    return this.client(this.token).get(path);
  }

  post(path: string, body?: unknown): Promise<Response> {
    return this.client(this.token).post(path, body);
  }

  patch(path: string, body: unknown): Promise<Response> {
    return this.client(this.token).patch(path, body);
  }

  delete(path: string): Promise<Response> {
    return this.client(this.token).delete(path);
  }

  /** A token from the password grant; fails the test when the grant is refused. */
  async login(username: string, password: string): Promise<string> {
    const res = await request(this.controller.app).post('/oauth/token').type('form').send({ grant_type: 'password', username, password });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return String(res.body.access_token);
  }

  // --- users, spaces and roles (as the admin) ---------------------------------------------

  async createUser(username: string, password: string, extra: Body = {}): Promise<string> {
    const res = await this.post('/v3/users', { username, password, ...extra });
    if (res.status !== 201) throw new Error(`create user ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return String(res.body.guid);
  }

  async createSpace(name: string): Promise<string> {
    const organization = ((await this.get('/v3/organizations')).body.resources as Body[])[0]!;
    const res = await this.post('/v3/spaces', { name, relationships: { organization: { data: { guid: organization.guid } } } });
    if (res.status !== 201) throw new Error(`create space ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return String(res.body.guid);
  }

  /** Makes the user a member of the space's organization and a developer of the space. */
  async makeSpaceDeveloper(userGuid: string, spaceGuid: string): Promise<void> {
    const space = (await this.get(`/v3/spaces/${spaceGuid}`)).body as { relationships: { organization: { data: { guid: string } } } };
    const organizationGuid = space.relationships.organization.data.guid;
    const member = await this.get(`/v3/roles?types=organization_user&user_guids=${userGuid}&organization_guids=${organizationGuid}`);
    if ((member.body.resources as Body[]).length === 0) {
      const res = await this.post('/v3/roles', { type: 'organization_user', relationships: { user: { data: { guid: userGuid } }, organization: { data: { guid: organizationGuid } } } });
      if (res.status !== 201) throw new Error(`organization_user: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const res = await this.post('/v3/roles', { type: 'space_developer', relationships: { user: { data: { guid: userGuid } }, space: { data: { guid: spaceGuid } } } });
    if (res.status !== 201) throw new Error(`space_developer: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** A new user who develops in `spaceGuid`, logged in: their client and guid. */
  async spaceDeveloper(username: string, spaceGuid: string): Promise<{ client: ApiClient; guid: string; token: string }> {
    const password = `${username}-Pa55word`;
    const guid = await this.createUser(username, password);
    await this.makeSpaceDeveloper(guid, spaceGuid);
    const token = await this.login(username, password);
    return { client: this.client(token), guid, token };
  }

  async waitForJob(location: string | undefined, timeoutMs = 20_000): Promise<JobBody> {
    if (!location) throw new Error('no Location header');
    const path = new URL(location, 'http://localhost').pathname;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = (await this.get(path)).body as JobBody;
      if (job.state !== 'PROCESSING') return job;
      if (Date.now() > deadline) throw new Error(`job ${path} still PROCESSING after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits for something the controller does in the background (orphan mitigation). */
  async eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  // --- flows ----------------------------------------------------------------------------

  async registerBroker(name: string, url: string, credentials = BROKER_CREDENTIALS): Promise<{ job: JobBody; guid: string }> {
    const res = await this.post('/v3/service_brokers', { name, url, authentication: { type: 'basic', credentials } });
    if (res.status !== 202) throw new Error(`register ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    const job = await this.waitForJob(res.headers.location);
    const href = (res.body as { links: Record<string, { href: string }> }).links.service_brokers?.href ?? '';
    return { job, guid: href.split('/').pop() ?? '' };
  }

  async enableAccess(offeringName: string): Promise<void> {
    const plans = (await this.get(`/v3/service_plans?service_offering_names=${offeringName}`)).body.resources as Body[];
    for (const plan of plans) {
      const res = await this.post(`/v3/service_plans/${String(plan.guid)}/visibility`, { type: 'public' });
      if (res.status !== 200) throw new Error(`enable ${String(plan.name)}: ${res.status}`);
    }
  }

  async planGuid(offeringName: string, planName: string): Promise<string> {
    const plans = (await this.get(`/v3/service_plans?service_offering_names=${offeringName}&names=${planName}`)).body.resources as Body[];
    const plan = plans[0];
    if (!plan) throw new Error(`no plan ${offeringName}/${planName}`);
    return String(plan.guid);
  }

  async spaceGuid(): Promise<string> {
    return String(((await this.get('/v3/spaces')).body.resources as Body[])[0]!.guid);
  }

  async createInstance(name: string, planGuid: string, extra: Body = {}): Promise<{ status: number; job: JobBody; guid: string; response: Response }> {
    const response = await this.post('/v3/service_instances', {
      type: 'managed',
      name,
      relationships: { space: { data: { guid: await this.spaceGuid() } }, service_plan: { data: { guid: planGuid } } },
      ...extra,
    });
    if (response.status !== 202) return { status: response.status, job: undefined as unknown as JobBody, guid: '', response };
    const job = await this.waitForJob(response.headers.location);
    const guid = ((await this.get(`/v3/service_instances?names=${name}`)).body.resources as Body[])[0]?.guid;
    return { status: response.status, job, guid: String(guid ?? ''), response };
  }

  async instance(guid: string): Promise<Body> {
    return (await this.get(`/v3/service_instances/${guid}`)).body as Body;
  }

  /** An app with DEFAULT_APP_FILES uploaded as its package (`bits: null` uploads nothing). */
  async createApp(name: string, extra: Body = {}, bits: Buffer | null = tarOfFiles(DEFAULT_APP_FILES)): Promise<string> {
    const response = await this.post('/v3/apps', { name, command: 'node server.js', ...extra });
    if (response.status !== 201) throw new Error(`create app: ${response.status} ${JSON.stringify(response.body)}`);
    const guid = String(response.body.guid);
    if (bits) await this.uploadBits(guid, bits);
    return guid;
  }

  /** Creates a package for the app and uploads `bits` to it; fails the test unless it is READY. */
  async uploadBits(appGuid: string, bits: Buffer, client: ApiClient = this.client(this.token)): Promise<string> {
    const created = await client.post('/v3/packages', { type: 'bits', relationships: { app: { data: { guid: appGuid } } } });
    if (created.status !== 201) throw new Error(`create package: ${created.status} ${JSON.stringify(created.body)}`);
    const uploaded = await client.upload(`/v3/packages/${String(created.body.guid)}/upload`, bits);
    if (uploaded.status !== 200 || uploaded.body.state !== 'READY') throw new Error(`upload: ${uploaded.status} ${JSON.stringify(uploaded.body)}`);
    return String(created.body.guid);
  }

  async bind(appGuid: string, instanceGuid: string, extra: Body = {}): Promise<{ status: number; job: JobBody; guid: string; response: Response }> {
    const response = await this.post('/v3/service_credential_bindings', {
      type: 'app',
      relationships: { service_instance: { data: { guid: instanceGuid } }, app: { data: { guid: appGuid } } },
      ...extra,
    });
    if (response.status !== 202) return { status: response.status, job: undefined as unknown as JobBody, guid: '', response };
    const job = await this.waitForJob(response.headers.location);
    const href = (response.body as { links: Record<string, { href: string }> }).links.service_credential_bindings?.href ?? '';
    return { status: response.status, job, guid: href.split('/').pop() ?? '', response };
  }
}

export function errorDetail(response: Response): string {
  const errors = (response.body as { errors?: Array<{ detail: string }> }).errors ?? [];
  return errors.map((e) => e.detail).join('\n');
}
