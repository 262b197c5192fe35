import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

/**
 * sdk/openapi/wire.ts defines the bodies the SDK reads and writes once, and holds each to the
 * type generated from osb.yaml with `Fits`. These compile small programs against it, to show
 * the check catches what it is there to catch.
 */

const WIRE = resolve(__dirname, '..', '..', 'sdk', 'openapi', 'wire.ts');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-wire-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The type errors of a module that imports wire.ts's Fits and the generated schemas. */
function typeErrors(body: string): string[] {
  const file = join(dir, `check-${Math.random().toString(36).slice(2)}.ts`);
  const wire = JSON.stringify(WIRE.replace(/\.ts$/, ''));
  const generated = JSON.stringify(WIRE.replace(/wire\.ts$/, 'osb.gen'));
  writeFileSync(file, `import type { Fits } from ${wire};\nimport type { components } from ${generated};\ntype Schemas = components['schemas'];\n${body}\n`);
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts'] });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const fields = `service_id: string; plan_id: string; organization_guid: string; space_guid: string`;

test('wire.ts itself compiles: every body fits its generated type', () => {
  expect(typeErrors(`export type Checked = import(${JSON.stringify(WIRE.replace(/\.ts$/, ''))}).WireChecks;`)).toEqual([]);
});

test('a body that fits is accepted', () => {
  expect(typeErrors(`type Body = { ${fields}; parameters?: { [key: string]: string } };\nexport type C = Fits<Body, Schemas['ProvisionRequest']>;`)).toEqual([]);
});

test.each([
  ['a misspelt member, which the index signature alone would let through', `{ ${fields}; paramters?: { [key: string]: string } }`],
  ['a member of another type', `{ ${fields}; parameters?: string }`],
  ['a required member left out', `{ service_id: string; plan_id: string; organization_guid: string }`],
])('%s is refused', (_label, type) => {
  const errors = typeErrors(`type Body = ${type};\nexport type C = Fits<Body, Schemas['ProvisionRequest']>;`);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/does not satisfy the constraint/);
});
