import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { installOffline, outsideTempDir, packOsbkit, runIn, writeOfflineLock } from '../../support/offline-install';
import { REPO_ROOT } from '../../support/process';

/**
 * examples/postgres-broker as its user runs it: copied out of the repository, installed with
 * osbkit from the packed tarball (and pg, without the registry), and its own tests run with
 * `npm test` against the PostgreSQL on this machine: the testkit's conformance suite and what
 * PostgreSQL holds. Its tests make every name with a prefix of their own and drop them; this
 * test checks that no database or role of theirs is left.
 */

jest.setTimeout(300_000);

const ADMIN_URL = process.env.OSBKIT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let work: string;
let admin: pg.Client;

async function examplesNames(): Promise<string[]> {
  const rows = await admin.query("SELECT datname AS name FROM pg_database WHERE datname LIKE 'osbtest\\_%' UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'osbtest\\_%'");
  return rows.rows.map((row: { name: string }) => row.name).sort();
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (${(error as Error).message}); start it (scripts/ensure-services.sh) — this test never skips.`);
  }
  work = outsideTempDir('osbkit-postgres-example-');
});

afterAll(async () => {
  await admin?.end();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('installs from the tarball, builds with strict, and its own tests pass against PostgreSQL, leaving nothing behind', async () => {
  const before = await examplesNames();
  const tarball = await packOsbkit(work);
  const project = join(work, 'postgres-broker');
  cpSync(join(REPO_ROOT, 'examples', 'postgres-broker'), project, { recursive: true, filter: (source) => !/\/(node_modules|dist)(\/|$)/.test(source) });
  writeOfflineLock(project, tarball.path);
  await installOffline(project);

  const { stdout } = await runIn(project, 'npm', ['test'], { PG_ADMIN_URL: ADMIN_URL }, 240_000);
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(stdout)?.[1] ?? Number.NaN);
  expect(count('fail')).toBe(0);
  expect(count('pass')).toBeGreaterThan(40);
  expect(stdout).toMatch(/^ok \d+ - what PostgreSQL holds$/m);
  expect(await examplesNames()).toEqual(before);
});
