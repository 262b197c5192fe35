import { randomUUID } from 'node:crypto';

/**
 * The files of a new broker project, as `osbkit new broker NAME` writes them: a catalog with
 * ids made for it, a broker that works from the first `npm test` (each binding gets its own
 * generated token), its program, tests that run the osbkit testkit, and a README. The project
 * depends on the osbkit that wrote it, at that exact version.
 */

export interface ScaffoldInput {
  /** The npm package name, also the service offering's name. */
  name: string;
  osbkitVersion: string;
}

/** Versions the project's tooling is pinned to: the ones osbkit itself is built and tested with. */
const TYPESCRIPT = '5.9.3';
const TYPES_NODE = '20.19.43';

export function scaffoldFiles(input: ScaffoldInput): Record<string, string> {
  const serviceId = randomUUID();
  const planId = randomUUID();
  const { name } = input;
  return {
    'package.json': `${JSON.stringify({
      name,
      version: '0.1.0',
      private: true,
      description: `An Open Service Broker built on osbkit`,
      scripts: {
        build: 'tsc -p .',
        start: 'node dist/src/main.js',
        test: 'tsc -p . && node --test dist/test/',
      },
      dependencies: { osbkit: input.osbkitVersion },
      devDependencies: { '@types/node': TYPES_NODE, typescript: TYPESCRIPT },
    }, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, types: ['node'], outDir: 'dist', rootDir: '.' },
      include: ['src', 'test'],
    }, null, 2)}\n`,
    '.gitignore': 'node_modules/\ndist/\nstate/\n',
    'src/catalog.ts': `/**
 * What the broker offers. The ids were made for this project when it was created: platforms
 * store them, so never change them. Add plans with ids of their own (uuidgen).
 */
export const catalog = {
  services: [
    {
      id: '${serviceId}',
      name: '${name}',
      description: 'A token per binding',
      bindable: true,
      instances_retrievable: true,
      bindings_retrievable: true,
      plans: [
        {
          id: '${planId}',
          name: 'standard',
          description: 'The standard plan',
          schemas: {
            service_binding: {
              create: {
                parameters: {
                  $schema: 'http://json-schema.org/draft-07/schema#',
                  type: 'object',
                  additionalProperties: false,
                  properties: { read_only: { type: 'boolean', description: 'Give the binding read-only access' } },
                },
              },
            },
          },
        },
      ],
    },
  ],
};
`,
    'src/broker.ts': `import { randomBytes } from 'node:crypto';
import {
  answerFromStore, type BindRequest, type BindResult, type DeprovisionRequest, type ProvisionRequest, type ProvisionResult,
  type ServiceBroker, type UnbindRequest,
} from 'osbkit';

/**
 * The broker: what provisioning, binding and deleting do. osbkit answers everything else
 * (the catalog, fetches, last_operation, repeats, conflicts, parameter validation) from its
 * store. Make each method safe to run twice: after a crash osbkit runs it again.
 *
 * As created, an instance is only the SDK's record, and a binding is a token kept in the
 * SDK's store: replace the bodies with calls to the service you offer, and return
 * inProgress(...) from a method whose work takes long (see osbkit's docs/writing-a-broker.md).
 */
export class Broker implements ServiceBroker {
  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    return { data: { createdAt: new Date().toISOString(), plan: request.plan.name } };
  }

  async deprovision(_request: DeprovisionRequest): Promise<void> {}

  async bind(request: BindRequest): Promise<BindResult> {
    const token = randomBytes(24).toString('base64url');
    const readOnly = request.parameters.read_only === true;
    return { credentials: { instance: request.instance.instanceId, token, read_only: readOnly } };
  }

  async unbind(_request: UnbindRequest): Promise<void> {}

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;
}
`,
    'src/main.ts': `import { createBroker, createLogger, SqliteStore } from 'osbkit';
import { Broker } from './broker';
import { catalog } from './catalog';

const username = process.env.OSBKIT_BROKER_USERNAME;
const password = process.env.OSBKIT_BROKER_PASSWORD;
if (!username || !password) {
  console.error('Set OSBKIT_BROKER_USERNAME and OSBKIT_BROKER_PASSWORD: the credentials the platform must send.');
  process.exit(1);
}

const logger = createLogger({ name: '${name}' });
const app = createBroker({
  catalog,
  broker: new Broker(),
  store: new SqliteStore({ path: process.env.STATE_FILE ?? 'state/broker.db' }),
  auth: { username, password },
  logger,
});

app.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1').then(({ url }) => {
  logger.info({ url }, 'broker listening');
  // Stops the server once the answers under way have gone, then the broker and the store.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void app.close());
});
`,
    'test/broker.test.ts': `import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBroker, createLogger, MemoryStore } from 'osbkit';
import { OsbClient } from 'osbkit/client';
import { describeConformance } from 'osbkit/testkit';
import { Broker } from '../src/broker';
import { catalog } from '../src/catalog';

const credentials = { username: 'platform', password: 'test-secret' };
const app = () => createBroker({ catalog, broker: new Broker(), store: new MemoryStore(), auth: credentials, logger: createLogger({ level: 'silent' }) });

// The Open Service Broker spec, checked the way a platform sees the broker. Tell the suite
// what a plan needs (parameters, bind parameters) and whether it answers asynchronously.
describeConformance(app(), {
  ...credentials,
  strict: true,
  plans: { standard: { async: false, bindParameters: { read_only: true } } },
  runner: { describe, it, before, after },
});

// Tests of your own, through the OSB client, as a platform would call the broker.
describe('${name}', () => {
  let client: OsbClient;
  let close: () => Promise<void>;
  const service = catalog.services[0]!;
  const ids = { service_id: service.id, plan_id: service.plans[0]!.id };

  before(async () => {
    const broker = app();
    const { url } = await broker.listen(0);
    client = new OsbClient({ url, ...credentials });
    close = () => broker.close();
  });

  after(() => close());

  it('gives each binding a token of its own', async () => {
    await client.provision('instance-1', { ...ids, organization_guid: 'org', space_guid: 'space' });
    const first = await client.bind('instance-1', 'binding-1', ids);
    const second = await client.bind('instance-1', 'binding-2', { ...ids, parameters: { read_only: true } });
    assert.equal(first.status, 201);
    assert.notEqual(first.body.credentials?.token, second.body.credentials?.token);
    assert.equal(second.body.credentials?.read_only, true);
  });
});
`,
    'README.md': `# ${name}

An Open Service Broker built on [osbkit](https://www.npmjs.com/package/osbkit), created with
\`osbkit new broker ${name}\`.

| file | what it holds |
|---|---|
| \`src/catalog.ts\` | the catalog: the offering and its plans, with ids made for this project (never change them) |
| \`src/broker.ts\` | what provisioning, binding and deleting do; osbkit answers the rest |
| \`src/main.ts\` | the program: the broker, its state in SQLite, Basic credentials from the environment |
| \`test/broker.test.ts\` | the osbkit testkit's conformance suite and tests of your own, under node's test runner |

\`\`\`sh
npm install
npm test                      # builds, then runs test/ with node --test
npm run build
OSBKIT_BROKER_USERNAME=platform OSBKIT_BROKER_PASSWORD=s3cret npm start    # on 127.0.0.1:8080 (PORT, HOST)
\`\`\`

Check the running broker against the spec, the way a platform will see it:

\`\`\`sh
npx osbkit check http://127.0.0.1:8080 --username platform --password s3cret
\`\`\`

Register it with osbkit's own platform (\`npx osbkit up\` in another terminal starts it):

\`\`\`sh
npx osbkit create-service-broker ${name} platform s3cret http://127.0.0.1:8080
npx osbkit enable-service-access ${name}
npx osbkit create-service ${name} standard my-instance
\`\`\`

State (instances, bindings, operations) is kept in \`state/broker.db\` (\`STATE_FILE\`). What the
SDK does for you, and what each method must take care of, is in osbkit's docs:
writing-a-broker.md, state-and-async.md and sdk.md.
`,
  };
}
