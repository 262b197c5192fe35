import type { ServicePlan } from '../../sdk';

/** The numbers a plan promises, kept in the catalog as plan metadata so operators tune them in one place. */
export interface PlanLimits {
  planName: string;
  maxStorageMb: number;
  maxUserConnections: number;
}

export class PlanConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanConfigurationError';
  }
}

export function planLimits(plan: ServicePlan): PlanLimits {
  const metadata = plan.metadata ?? {};
  return {
    planName: plan.name,
    maxStorageMb: positive(metadata.max_storage_mb, plan.name, 'max_storage_mb'),
    maxUserConnections: positiveInteger(metadata.max_user_connections, plan.name, 'max_user_connections'),
  };
}

function positive(value: unknown, plan: string, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PlanConfigurationError(`plan "${plan}" needs metadata.${field} as a positive number`);
  }
  return value;
}

function positiveInteger(value: unknown, plan: string, field: string): number {
  const number = positive(value, plan, field);
  if (!Number.isInteger(number)) throw new PlanConfigurationError(`plan "${plan}" needs metadata.${field} as a whole number`);
  return number;
}
