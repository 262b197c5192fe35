import type { StatementKind } from '../../brokers/mysql';

export type MeteredPart = 'store' | 'broker';

/**
 * What the broker does inside one HTTP request, seen from outside: the admin statements it
 * sends (by kind, through the broker's onStatement hook), the state store calls the SDK makes
 * (by method; each is one statement), and the time spent in store calls and in the broker's
 * own methods. Counting and timing are switched on only around sequential runs, where calls
 * do not overlap and the sums are meaningful.
 */
export class Meter {
  counting = false;
  timing = false;
  readonly admin = new Map<string, number>();
  readonly storeCalls = new Map<string, number>();
  readonly spentMs: Record<MeteredPart, number> = { store: 0, broker: 0 };
  /** The step under way while counting, and what each step sent (admin kinds and store methods together). */
  step = '';
  readonly perStep = new Map<string, Map<string, number>>();

  readonly onStatement = (kind: StatementKind): void => {
    if (!this.counting) return;
    increment(this.admin, kind);
    this.countStep(kind);
  };

  private countStep(key: string): void {
    let counts = this.perStep.get(this.step);
    if (!counts) this.perStep.set(this.step, (counts = new Map()));
    increment(counts, key);
  }

  /** A proxy that meters every method call of `target`; `this` stays the real object. */
  wrap<T extends object>(target: T, part: MeteredPart): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]): unknown => {
          if (this.counting && part === 'store') {
            increment(this.storeCalls, String(property));
            this.countStep(`store ${String(property)}`);
          }
          const began = performance.now();
          const result = (value as (...a: unknown[]) => unknown).apply(object, args);
          if (!this.timing || !(result instanceof Promise)) return result;
          return result.finally(() => {
            this.spentMs[part] += performance.now() - began;
          });
        };
      },
    });
  }
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function total(map: Map<string, number>): number {
  return [...map.values()].reduce((sum, n) => sum + n, 0);
}

export function describeCounts(map: Map<string, number>): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');
}
