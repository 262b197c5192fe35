import { SchemaCompiler } from '../../../sdk/catalog/schema-compiler';
import { Catalog } from '../../../sdk';
import { testCatalog } from '../../support/fixtures';

describe('SchemaCompiler', () => {
  const schema = { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { a: { type: 'string' } } };

  test('compiles each distinct schema once, whatever its key order', () => {
    const compiler = new SchemaCompiler();
    const first = compiler.compile(schema);
    const reordered = compiler.compile({ properties: { a: { type: 'string' } }, type: 'object', $schema: schema.$schema });
    expect(first.ok && reordered.ok && first.validate === reordered.validate).toBe(true);
    const other = compiler.compile({ ...schema, required: ['a'] });
    expect(other.ok && first.ok && other.validate !== first.validate).toBe(true);
  });

  test('a catalog validates parameters with the functions compiled while it was checked', () => {
    const spy = jest.spyOn(SchemaCompiler.prototype as unknown as { compileOnce: (s: unknown) => unknown }, 'compileOnce');
    Catalog.from(testCatalog());
    // Three distinct parameter schemas (instance create, instance update, binding create):
    // validation compiles them and the catalog reuses them, instead of compiling six times.
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockRestore();
  });
});
