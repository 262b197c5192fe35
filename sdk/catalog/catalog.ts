import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ValidateFunction } from 'ajv';
import type { Catalog as CatalogDocument, ServiceOffering, ServicePlan } from '../openapi';
import { SchemaCompiler, describeSchemaErrors } from './schema-compiler';
import { validateCatalogDocument } from './validate';

export type { CatalogDocument, ServiceOffering, ServicePlan };

/** Where parameters arrive; each maps to one schema slot of a plan. */
export type ParameterSlot = 'instance.create' | 'instance.update' | 'binding.create';

export class CatalogError extends Error {
  constructor(readonly problems: string[]) {
    super(`The catalog is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogError';
  }
}

export interface PlanEntry {
  offering: ServiceOffering;
  plan: ServicePlan;
  bindable: boolean;
  planUpdateable: boolean;
  bindingRotatable: boolean;
  validators: Partial<Record<ParameterSlot, ValidateFunction>>;
}

/**
 * The validated catalog with everything a request needs precomputed: effective flags,
 * compiled schemas and the serialised GET /v2/catalog body.
 */
export class Catalog {
  readonly document: CatalogDocument;
  readonly body: Buffer;
  private readonly offerings = new Map<string, ServiceOffering>();
  private readonly plans = new Map<string, PlanEntry>();

  private constructor(document: CatalogDocument, compiler: SchemaCompiler) {
    this.document = document;
    this.body = Buffer.from(JSON.stringify(document));
    for (const offering of document.services) {
      this.offerings.set(offering.id, offering);
      for (const plan of offering.plans) {
        const validators: Partial<Record<ParameterSlot, ValidateFunction>> = {};
        const slots: Array<[ParameterSlot, unknown]> = [
          ['instance.create', plan.schemas?.service_instance?.create?.parameters],
          ['instance.update', plan.schemas?.service_instance?.update?.parameters],
          ['binding.create', plan.schemas?.service_binding?.create?.parameters],
        ];
        for (const [slot, schema] of slots) {
          if (schema === undefined) continue;
          const compiled = compiler.compile(schema);
          if (compiled.ok) validators[slot] = compiled.validate;
        }
        this.plans.set(plan.id, {
          offering,
          plan,
          bindable: plan.bindable ?? offering.bindable,
          planUpdateable: plan.plan_updateable ?? offering.plan_updateable ?? false,
          bindingRotatable: plan.binding_rotatable ?? false,
          validators,
        });
      }
    }
  }

  /** Validates and indexes a catalog; throws CatalogError listing every problem. */
  static from(input: unknown): Catalog {
    const compiler = new SchemaCompiler();
    const problems = validateCatalogDocument(input, compiler);
    if (problems.length > 0) throw new CatalogError(problems);
    return new Catalog(structuredClone(input) as CatalogDocument, compiler);
  }

  /** Reads a catalog from a .yaml, .yml or .json file. */
  static load(path: string): Catalog {
    return Catalog.from(readCatalogFile(path));
  }

  offering(serviceId: string): ServiceOffering | undefined {
    return this.offerings.get(serviceId);
  }

  plan(planId: string): PlanEntry | undefined {
    return this.plans.get(planId);
  }

  offeringOfPlan(planId: string): ServiceOffering | undefined {
    return this.plans.get(planId)?.offering;
  }

  allPlans(): PlanEntry[] {
    return [...this.plans.values()];
  }

  allOfferings(): ServiceOffering[] {
    return [...this.offerings.values()];
  }

  /** Returns the failing paths, or an empty list when the parameters fit the plan's schema. */
  validateParameters(planId: string, slot: ParameterSlot, parameters: unknown): string[] {
    const validate = this.plans.get(planId)?.validators[slot];
    if (!validate) return [];
    return validate(parameters) ? [] : describeSchemaErrors(validate.errors);
  }
}

export function readCatalogFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  try {
    return ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CatalogError([`${path} cannot be parsed: ${(error as Error).message}`]);
  }
}
