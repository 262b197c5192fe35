import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ServicePlan } from '../../../sdk/catalog/catalog';
import type { OfferingDocument, PlanVisibility, ServiceOfferingRecord, ServicePlanRecord } from '../records';
import { timestamp, type ControllerDatabase } from './database';
import { text, type Row } from './rows';

function offeringOf(row: Row): ServiceOfferingRecord {
  return {
    guid: text(row, 'guid'),
    brokerGuid: text(row, 'broker_guid'),
    catalogId: text(row, 'catalog_id'),
    name: text(row, 'name'),
    available: row.available === 1,
    document: JSON.parse(text(row, 'document')) as OfferingDocument,
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

function planOf(row: Row): ServicePlanRecord {
  return {
    guid: text(row, 'guid'),
    offeringGuid: text(row, 'offering_guid'),
    catalogId: text(row, 'catalog_id'),
    name: text(row, 'name'),
    available: row.available === 1,
    visibility: text(row, 'visibility') as PlanVisibility,
    document: JSON.parse(text(row, 'document')) as ServicePlan,
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

/** Service offerings and their plans, as the brokers' catalogs last described them. */
export class CatalogStore {
  private readonly db: Database.Database;

  constructor(private readonly database: ControllerDatabase) {
    this.db = database.handle;
  }

  offering(guid: string): ServiceOfferingRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_offerings WHERE guid = ?').get(guid) as Row | undefined;
    return row && offeringOf(row);
  }

  listOfferings(): ServiceOfferingRecord[] {
    return (this.db.prepare('SELECT * FROM service_offerings ORDER BY created_at, rowid').all() as Row[]).map(offeringOf);
  }

  offeringsOfBroker(brokerGuid: string): ServiceOfferingRecord[] {
    return (this.db.prepare('SELECT * FROM service_offerings WHERE broker_guid = ? ORDER BY created_at, rowid').all(brokerGuid) as Row[]).map(offeringOf);
  }

  plan(guid: string): ServicePlanRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_plans WHERE guid = ?').get(guid) as Row | undefined;
    return row && planOf(row);
  }

  listPlans(): ServicePlanRecord[] {
    return (this.db.prepare('SELECT * FROM service_plans ORDER BY created_at, rowid').all() as Row[]).map(planOf);
  }

  plansOfOffering(offeringGuid: string): ServicePlanRecord[] {
    return (this.db.prepare('SELECT * FROM service_plans WHERE offering_guid = ? ORDER BY created_at, rowid').all(offeringGuid) as Row[]).map(planOf);
  }

  setPlanVisibility(guid: string, visibility: PlanVisibility): void {
    this.db.prepare('UPDATE service_plans SET visibility = ?, updated_at = ? WHERE guid = ?').run(visibility, timestamp(), guid);
  }

  /**
   * Makes the stored offerings and plans of a broker match its catalog: matched by catalog
   * id, renamed and updated in place, new ones added (plans with `newPlanVisibility`).
   * Entries the catalog dropped are deleted when no instance uses them, otherwise kept as
   * unavailable so existing instances can still be updated and deleted.
   */
  synchronize(
    brokerGuid: string,
    offerings: Array<{ document: OfferingDocument; plans: ServicePlan[] }>,
    newPlanVisibility: PlanVisibility,
  ): void {
    this.database.transaction(() => {
      const now = timestamp();
      const existingOfferings = new Map(this.offeringsOfBroker(brokerGuid).map((o) => [o.catalogId, o]));
      const keptOfferings = new Set<string>();
      for (const entry of offerings) {
        const found = existingOfferings.get(entry.document.id);
        const offeringGuid = found?.guid ?? randomUUID();
        keptOfferings.add(offeringGuid);
        if (found) {
          this.db.prepare('UPDATE service_offerings SET name = ?, available = 1, document = ?, updated_at = ? WHERE guid = ?')
            .run(entry.document.name, JSON.stringify(entry.document), now, offeringGuid);
        } else {
          this.db.prepare('INSERT INTO service_offerings VALUES (?, ?, ?, ?, 1, ?, ?, ?)')
            .run(offeringGuid, brokerGuid, entry.document.id, entry.document.name, JSON.stringify(entry.document), now, now);
        }
        const existingPlans = new Map(this.plansOfOffering(offeringGuid).map((p) => [p.catalogId, p]));
        const keptPlans = new Set<string>();
        for (const plan of entry.plans) {
          const foundPlan = existingPlans.get(plan.id);
          if (foundPlan) {
            keptPlans.add(foundPlan.guid);
            this.db.prepare('UPDATE service_plans SET name = ?, available = 1, document = ?, updated_at = ? WHERE guid = ?')
              .run(plan.name, JSON.stringify(plan), now, foundPlan.guid);
          } else {
            const planGuid = randomUUID();
            keptPlans.add(planGuid);
            this.db.prepare('INSERT INTO service_plans VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)')
              .run(planGuid, offeringGuid, plan.id, plan.name, newPlanVisibility, JSON.stringify(plan), now, now);
          }
        }
        for (const plan of existingPlans.values()) if (!keptPlans.has(plan.guid)) this.retirePlan(plan.guid, now);
      }
      for (const offering of existingOfferings.values()) {
        if (keptOfferings.has(offering.guid)) continue;
        for (const plan of this.plansOfOffering(offering.guid)) this.retirePlan(plan.guid, now);
        if (this.plansOfOffering(offering.guid).length === 0) this.db.prepare('DELETE FROM service_offerings WHERE guid = ?').run(offering.guid);
        else this.db.prepare('UPDATE service_offerings SET available = 0, updated_at = ? WHERE guid = ?').run(now, offering.guid);
      }
    });
  }

  /** A plan an instance still uses is kept, unavailable: the instance must stay updatable and deletable. */
  private retirePlan(planGuid: string, now: string): void {
    const used = this.db.prepare('SELECT 1 FROM service_instances WHERE plan_guid = ? LIMIT 1').get(planGuid) !== undefined;
    if (used) this.db.prepare('UPDATE service_plans SET available = 0, updated_at = ? WHERE guid = ?').run(now, planGuid);
    else this.db.prepare('DELETE FROM service_plans WHERE guid = ?').run(planGuid);
  }
}
