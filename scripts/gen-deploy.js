'use strict';
// Writes deploy/kubernetes/<broker>.yaml for every bundled broker: a Secret (credentials and
// what else is secret), a ConfigMap holding the broker's catalog (catalog/<broker>.yaml, so an
// operator can change descriptions, metadata and plan limits without a new image), a Deployment
// running `osbkit broker NAME --catalog` from the image deploy/Dockerfile builds, and a Service.
// The catalogs are copied, so this runs again whenever one changes; a test fails while the
// files are stale (test/unit/deploy/manifests.test.ts). `node scripts/gen-deploy.js --check`
// only reports whether they are.
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { stringify } = require('yaml');

const root = join(__dirname, '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const IMAGE = `osbkit:${version}`;
const STATE = '/var/lib/osbkit';

/** What differs per broker: its secrets, its other settings, how many replicas its store allows. */
const BROKERS = {
  local: {
    replicas: 1,
    secret: {},
    env: [],
    args: ['--volumes-root', `${STATE}/volumes`],
    note: 'One replica: the state is a SQLite file and the volumes a directory, both on this pod\'s volume.',
  },
  mysql: {
    replicas: 2,
    secret: { 'mysql-url': 'mysql://osbkit:CHANGE-ME@mysql.example.internal:3306/osbkit_broker' },
    env: [{ name: 'MYSQL_URL', secret: 'mysql-url' }],
    args: [],
    note: 'Two replicas share their state in MySQL (MysqlStore): any of them answers any request.',
  },
  nfs: {
    replicas: 1,
    secret: {},
    env: [
      { name: 'OSBKIT_NFS_ALLOWED_SHARES', value: '10.0.0.5/exports/*' },
      { name: 'OSBKIT_NFS_MANAGED_SHARE', value: 'nfs://10.0.0.5/exports/managed' },
    ],
    args: [],
    note: 'One replica: the state is a SQLite file on this pod\'s volume. The pod must reach the NFS server (TCP 111 and 2049).',
  },
  efs: {
    replicas: 1,
    secret: { 'aws-access-key-id': 'CHANGE-ME', 'aws-secret-access-key': 'CHANGE-ME' },
    env: [
      { name: 'OSBKIT_EFS_REGION', value: 'us-east-1' },
      { name: 'OSBKIT_EFS_SUBNET_IDS', value: 'subnet-0a1b2c3d4e5f60708,subnet-0b1c2d3e4f5a60718' },
      { name: 'OSBKIT_EFS_SECURITY_GROUP_IDS', value: 'sg-0c1d2e3f4a5b60728' },
      { name: 'AWS_ACCESS_KEY_ID', secret: 'aws-access-key-id' },
      { name: 'AWS_SECRET_ACCESS_KEY', secret: 'aws-secret-access-key' },
    ],
    args: [],
    note: 'One replica: the state is a SQLite file on this pod\'s volume. With IAM roles for service accounts, drop the AWS keys.',
  },
};

function manifests(name) {
  const broker = BROKERS[name];
  const app = `osbkit-${name}-broker`;
  const labels = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': 'osbkit' };
  const env = [
    { name: 'OSBKIT_BROKER_USERNAME', valueFrom: { secretKeyRef: { name: app, key: 'username' } } },
    { name: 'OSBKIT_BROKER_PASSWORD', valueFrom: { secretKeyRef: { name: app, key: 'password' } } },
    { name: 'OSBKIT_HOME', value: STATE },
    ...broker.env.map((item) => (item.secret ? { name: item.name, valueFrom: { secretKeyRef: { name: app, key: item.secret } } } : { name: item.name, value: item.value })),
  ];
  const probe = { tcpSocket: { port: 'http' }, periodSeconds: 10 };
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: app, labels },
      type: 'Opaque',
      stringData: { username: 'platform', password: 'CHANGE-ME', ...broker.secret },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${app}-catalog`, labels },
      data: { 'catalog.yaml': readFileSync(join(root, 'catalog', `${name}.yaml`), 'utf8') },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, labels },
      spec: {
        replicas: broker.replicas,
        ...(broker.replicas === 1 ? { strategy: { type: 'Recreate' } } : {}),
        selector: { matchLabels: { 'app.kubernetes.io/name': app } },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
            containers: [
              {
                name: 'broker',
                image: IMAGE,
                args: ['broker', name, '--port', '8080', '--host', '0.0.0.0', '--catalog', '/etc/osbkit/catalog.yaml', '--state-dir', STATE, ...broker.args],
                ports: [{ name: 'http', containerPort: 8080 }],
                env,
                readinessProbe: probe,
                livenessProbe: { ...probe, initialDelaySeconds: 10 },
                resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [
                  { name: 'catalog', mountPath: '/etc/osbkit', readOnly: true },
                  { name: 'state', mountPath: STATE },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'catalog', configMap: { name: `${app}-catalog` } },
              // An emptyDir lives as long as the pod; use a PersistentVolumeClaim to keep the state longer.
              { name: 'state', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app, labels },
      spec: { selector: { 'app.kubernetes.io/name': app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
  ];
}

function render(name) {
  const header = [
    `# osbkit ${name} broker on Kubernetes: kubectl apply -f deploy/kubernetes/${name}.yaml`,
    `# ${BROKERS[name].note}`,
    '# Generated by scripts/gen-deploy.js from catalog/' + `${name}.yaml; edit that script, not this file. See docs/deploying.md.`,
    '# Replace every CHANGE-ME (and the example addresses) before applying.',
  ].join('\n');
  return `${header}\n${manifests(name).map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n')}`;
}

function generate() {
  return Object.fromEntries(Object.keys(BROKERS).map((name) => [`deploy/kubernetes/${name}.yaml`, render(name)]));
}

module.exports = { generate, BROKERS, IMAGE };

if (require.main === module) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, text] of Object.entries(generate())) {
    const path = join(root, file);
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // not written yet
    }
    if (current === text) continue;
    stale += 1;
    if (check) process.stderr.write(`${file} is stale: run node scripts/gen-deploy.js\n`);
    else {
      mkdirSync(join(root, 'deploy', 'kubernetes'), { recursive: true });
      writeFileSync(path, text);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  if (check && stale > 0) process.exit(1);
}
