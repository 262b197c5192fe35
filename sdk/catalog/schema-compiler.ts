import Ajv, { type ValidateFunction, type ErrorObject } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { canonicalJson, isPlainObject } from '../json';

/**
 * Compiles plan parameter schemas once, at start, choosing the ajv dialect from `$schema`.
 * The hot path only ever calls the compiled function.
 */
type Dialect = 'draft-04' | 'draft-06' | 'draft-07' | '2019-09' | '2020-12';

function dialectOf(uri: string): Dialect | undefined {
  const normalised = uri.replace(/^https?:\/\//, '').replace(/#?$/, '');
  if (/json-schema\.org\/draft-04\/schema$/.test(normalised)) return 'draft-04';
  if (/json-schema\.org\/draft-06\/schema$/.test(normalised)) return 'draft-06';
  if (/json-schema\.org\/draft-07\/schema$/.test(normalised)) return 'draft-07';
  if (/json-schema\.org\/draft\/2019-09\/schema$/.test(normalised)) return '2019-09';
  if (/json-schema\.org\/draft\/2020-12\/schema$/.test(normalised)) return '2020-12';
  if (/json-schema\.org\/schema$/.test(normalised)) return '2020-12';
  return undefined;
}

type AnyAjv = Ajv | Ajv2019 | Ajv2020 | AjvDraft04;

export type CompileResult = { ok: true; validate: ValidateFunction } | { ok: false; problem: string };

export class SchemaCompiler {
  private readonly engines = new Map<Dialect, AnyAjv>();

  private engine(dialect: Dialect): AnyAjv {
    let engine = this.engines.get(dialect);
    if (engine) return engine;
    // strict: false because real catalogs carry UI hints and vendor keywords ajv does not know.
    const options = { allErrors: true, strict: false, validateFormats: true } as const;
    switch (dialect) {
      case 'draft-04':
        engine = new AjvDraft04(options);
        break;
      case '2019-09':
        engine = new Ajv2019(options);
        break;
      case '2020-12':
        engine = new Ajv2020(options);
        break;
      case 'draft-06': {
        const ajv = new Ajv(options);
        ajv.addMetaSchema(draft06MetaSchema());
        engine = ajv;
        break;
      }
      default:
        engine = new Ajv(options);
    }
    addFormats(engine as Ajv);
    this.engines.set(dialect, engine);
    return engine;
  }

  /**
   * Validation at start checks every schema compiles and the catalog then uses the compiled
   * functions: each distinct schema is compiled once (plans often share one).
   */
  private readonly compiled = new Map<string, CompileResult>();

  /** Returns a validator, or the reason the schema cannot be used. */
  compile(schema: unknown): CompileResult {
    const key = canonicalJson(schema);
    let result = this.compiled.get(key);
    if (!result) {
      result = this.compileOnce(schema);
      this.compiled.set(key, result);
    }
    return result;
  }

  private compileOnce(schema: unknown): CompileResult {
    if (!isPlainObject(schema)) return { ok: false, problem: 'must be a JSON schema object' };
    const declared = schema.$schema;
    if (typeof declared !== 'string') return { ok: false, problem: 'must declare "$schema" (the spec requires it)' };
    const dialect = dialectOf(declared);
    if (!dialect) return { ok: false, problem: `declares an unsupported "$schema" ${JSON.stringify(declared)}` };
    if (containsExternalRef(schema)) return { ok: false, problem: 'must not use external "$ref"s' };
    try {
      const { $schema: _ignored, ...rest } = schema;
      return { ok: true, validate: this.engine(dialect).compile(rest) };
    } catch (error) {
      return { ok: false, problem: `does not compile: ${(error as Error).message}` };
    }
  }
}

function containsExternalRef(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsExternalRef);
  if (!isPlainObject(value)) return false;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && !child.startsWith('#')) return true;
    if (containsExternalRef(child)) return true;
  }
  return false;
}

/** Turns ajv's errors into short phrases that name the failing path, e.g. `/size must be <= 10`. */
export function describeSchemaErrors(errs: ErrorObject[] | null | undefined): string[] {
  if (!errs) return [];
  return errs.map((e) => {
    let path = e.instancePath || '';
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      path = `${path}/${e.params.missingProperty}`;
      return `${path} is required`;
    }
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      return `${path}/${e.params.additionalProperty} is not allowed`;
    }
    if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
      return `${path || '/'} must be one of ${e.params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
    }
    return `${path || '/'} ${e.message ?? 'is invalid'}`;
  });
}

function draft06MetaSchema(): Record<string, unknown> {
  // ajv ships draft-06 as a separate meta schema; loading it lets `$schema: draft-06` compile.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ajv/dist/refs/json-schema-draft-06.json') as Record<string, unknown>;
}
