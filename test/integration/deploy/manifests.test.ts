import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Catalog } from '../../../sdk';

/**
 * The deployment files in deploy/: the Kubernetes manifests are what scripts/gen-deploy.js
 * makes, every document is valid against the Kubernetes OpenAPI schemas (as the npm package
 * kubernetes-models ships them), and the parts refer to each other correctly; the Cloud
 * Foundry manifests and the Dockerfile start commands that exist.
 */

const ROOT = join(__dirname, '..', '..', '..');
const BROKERS = ['local', 'mysql', 'nfs', 'efs'];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require(join(ROOT, 'scripts', 'gen-deploy.js')) as { generate(): Record<string, string> };

type Doc = { kind: string; apiVersion: string; metadata: { name: string; labels?: Record<string, string> }; [key: string]: unknown };

function documents(broker: string): Doc[] {
  return parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'kubernetes', `${broker}.yaml`), 'utf8')).map((doc) => doc.toJS() as Doc);
}

/** `osbkit broker --help`, for the flags a manifest may use. */
const brokerHelp = execFileSync(process.execPath, [join(ROOT, 'bin', 'osbkit'), 'broker', '--help'], { encoding: 'utf8' });

function flagsOf(args: string[]): string[] {
  return args.filter((arg) => arg.startsWith('--'));
}

/**
 * Validation runs in a child node: kubernetes-models is an ES module, which jest's CommonJS
 * sandbox cannot import. It prints, per document, the validation error or null.
 */
function validateWithKubernetesSchemas(docs: Doc[]): Array<string | null> {
  const script = `
    const docs = JSON.parse(process.argv[1]);
    const load = { Secret: ['kubernetes-models/v1', 'Secret'], ConfigMap: ['kubernetes-models/v1', 'ConfigMap'], Service: ['kubernetes-models/v1', 'Service'], Deployment: ['kubernetes-models/apps/v1', 'Deployment'] };
    const results = [];
    for (const doc of docs) {
      const [module, name] = load[doc.kind] ?? [];
      if (!module) { results.push('no schema for kind ' + doc.kind); continue; }
      const Model = (await import(module))[name];
      try { new Model(doc).validate(); results.push(null); } catch (error) { results.push(String(error.message ?? error)); }
    }
    console.log(JSON.stringify(results));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(docs)], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out) as Array<string | null>;
}

it('deploy/kubernetes is what scripts/gen-deploy.js makes from the catalogs (run it after changing one)', () => {
  for (const [file, text] of Object.entries(generator.generate())) expect([file, readFileSync(join(ROOT, file), 'utf8') === text]).toEqual([file, true]);
  expect(Object.keys(generator.generate()).sort()).toEqual(BROKERS.map((b) => `deploy/kubernetes/${b}.yaml`).sort());
});

it('the schemas catch a wrong document (the validation is not a no-op)', () => {
  const [deployment] = documents('local').filter((doc) => doc.kind === 'Deployment');
  const broken = JSON.parse(JSON.stringify(deployment)) as { spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } } };
  broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'eighty';
  expect(validateWithKubernetesSchemas([broken as unknown as Doc])[0]).toMatch(/containerPort must be integer/);
});

describe.each(BROKERS)('deploy/kubernetes/%s.yaml', (broker) => {
  const docs = documents(broker);
  const byKind = (kind: string): Doc => docs.find((doc) => doc.kind === kind)!;

  it('holds a Secret, a ConfigMap, a Deployment and a Service, each valid against the Kubernetes OpenAPI schemas', () => {
    expect(docs.map((doc) => doc.kind)).toEqual(['Secret', 'ConfigMap', 'Deployment', 'Service']);
    expect(validateWithKubernetesSchemas(docs)).toEqual([null, null, null, null]);
  });

  it('fits together: selectors, the secret keys the pod reads, the catalog it mounts, the flags it passes', () => {
    const deployment = byKind('Deployment') as Doc & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ args: string[]; env: Array<{ name: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>; volumeMounts: Array<{ name: string; mountPath: string }> }>; volumes: Array<{ name: string; configMap?: { name: string } }> } } } };
    const service = byKind('Service') as Doc & { spec: { selector: Record<string, string> } };
    const secret = byKind('Secret') as Doc & { stringData: Record<string, string> };
    const configMap = byKind('ConfigMap') as Doc & { data: Record<string, string> };
    const labels = deployment.spec.template.metadata.labels;
    expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(labels).toMatchObject(service.spec.selector);

    const [container] = deployment.spec.template.spec.containers;
    for (const env of container!.env.filter((e) => e.valueFrom)) {
      expect([env.name, env.valueFrom!.secretKeyRef.name, env.valueFrom!.secretKeyRef.key in secret.stringData]).toEqual([env.name, secret.metadata.name, true]);
    }
    const catalogVolume = deployment.spec.template.spec.volumes.find((v) => v.configMap)!;
    expect(catalogVolume.configMap!.name).toBe(configMap.metadata.name);
    const mount = container!.volumeMounts.find((m) => m.name === catalogVolume.name)!;
    const args = container!.args;
    expect(args.slice(0, 2)).toEqual(['broker', broker]);
    expect(args[args.indexOf('--catalog') + 1]).toBe(`${mount.mountPath}/catalog.yaml`);
    for (const flag of flagsOf(args)) expect([flag, brokerHelp.includes(`${flag} `)]).toEqual([flag, true]);

    // The ConfigMap holds the broker's own catalog, which the SDK accepts.
    const catalog = parse(configMap.data['catalog.yaml']!) as Record<string, unknown>;
    expect(catalog).toEqual(parse(readFileSync(join(ROOT, 'catalog', `${broker}.yaml`), 'utf8')));
    expect(() => Catalog.from(catalog)).not.toThrow();
  });
});

describe('deploy/cloudfoundry', () => {
  const vars = parse(readFileSync(join(ROOT, 'deploy', 'cloudfoundry', 'vars.example.yml'), 'utf8')) as Record<string, string>;

  it.each(BROKERS)('%s.yml runs that broker with flags it has, and every variable is in vars.example.yml', (broker) => {
    const text = readFileSync(join(ROOT, 'deploy', 'cloudfoundry', `${broker}.yml`), 'utf8');
    const manifest = parse(text) as { applications: Array<{ name: string; command: string; env: Record<string, string>; buildpacks: string[] }> };
    const [app] = manifest.applications;
    expect(app!.name).toBe(`osbkit-${broker}-broker`);
    const words = app!.command.split(/\s+/);
    expect(words.slice(0, 4)).toEqual(['node', 'node_modules/osbkit/bin/osbkit', 'broker', broker]);
    for (const flag of flagsOf(words)) expect([flag, brokerHelp.includes(`${flag} `)]).toEqual([flag, true]);
    const used = [...text.matchAll(/\(\(([a-z0-9-]+)\)\)/g)].map((m) => m[1]!);
    expect(used.filter((name) => !(name in vars))).toEqual([]);
    expect(app!.env).toMatchObject({ OSBKIT_BROKER_USERNAME: '((broker-username))', OSBKIT_BROKER_PASSWORD: '((broker-password))' });
  });

  it('installs osbkit from the packed tarball, whose bin the manifests start', () => {
    const app = JSON.parse(readFileSync(join(ROOT, 'deploy', 'cloudfoundry', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const osbkit = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(app.dependencies.osbkit).toBe(`file:./osbkit-${osbkit.version}.tgz`);
    expect(osbkit.bin.osbkit).toBe('bin/osbkit');
  });
});

it('the Dockerfile installs the packed package and starts its osbkit command', () => {
  const text = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  expect(text).toMatch(/^RUN npm run build && npm pack --ignore-scripts --pack-destination \/tmp$/m);
  expect(text).toMatch(/^RUN npm init -y >\/dev\/null && npm install --omit=dev --no-audit --no-fund \/tmp\/osbkit-\*\.tgz$/m);
  expect(text).toMatch(/^ENTRYPOINT \["node", "\/app\/node_modules\/osbkit\/bin\/osbkit"\]$/m);
  expect(text).toMatch(/^USER node$/m);
  expect((generator as unknown as { IMAGE: string }).IMAGE).toBe(`osbkit:${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
});

describe('osbkit broker --catalog, as the Deployments use it', () => {
  it('serves the catalog file it is given (a ConfigMap an operator edited), and refuses a file that is not there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osbkit-catalog-option-'));
    try {
      const configMap = documents('local').find((doc) => doc.kind === 'ConfigMap') as Doc & { data: Record<string, string> };
      const edited = configMap.data['catalog.yaml']!.replace('description: A local directory, no quota', 'description: Scratch space on this node');
      writeFileSync(join(dir, 'catalog.yaml'), edited);
      const run = (args: string[]) => spawn(process.execPath, [join(ROOT, 'bin', 'osbkit'), 'broker', 'local', '--port', '0', '--username', 'u', '--password', 'p', '--state-dir', join(dir, 'state'), '--volumes-root', join(dir, 'volumes'), ...args], {
        env: { ...process.env, OSBKIT_HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const child = run(['--catalog', join(dir, 'catalog.yaml')]);
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no broker: ${output}`)), 30_000);
          child.stdout!.on('data', () => {
            const found = /"url":"(http:\/\/[^"]+)".*broker listening/.exec(output)?.[1];
            if (found) {
              clearTimeout(timer);
              resolve(found);
            }
          });
        });
        const answer = await fetch(`${url}/v2/catalog`, { headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}`, 'x-broker-api-version': '2.17' } });
        const body = (await answer.json()) as { services: Array<{ plans: Array<{ name: string; description: string }> }> };
        expect(body.services[0]!.plans.find((plan) => plan.name === 'free')!.description).toBe('Scratch space on this node');
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
      const missing = run(['--catalog', join(dir, 'nope.yaml')]);
      let stderr = '';
      missing.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const status = await new Promise((resolve) => missing.on('exit', resolve));
      expect(status).toBe(1);
      expect(stderr).toContain(`--catalog ${join(dir, 'nope.yaml')}: there is no such file.`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
