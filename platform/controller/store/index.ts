import type { SecretBox } from '../secrets';
import { AppStore } from './apps';
import { BindingStore } from './bindings';
import { BrokerStore } from './brokers';
import { CatalogStore } from './catalog';
import { ControllerDatabase } from './database';
import { IdentityStore } from './identities';
import { InstanceStore } from './instances';
import { JobStore } from './jobs';
import { MitigationStore } from './mitigations';
import { OrganizationStore, SpaceStore } from './organizations';
import { PackageStore } from './packages';

export { DATABASE_FILE, timestamp } from './database';
export { DEFAULT_ORGANIZATION, DEFAULT_SPACE } from './organizations';
export type { IdentityStore, StoredToken } from './identities';

/**
 * The controller's state in `<dataDir>/controller.db`, one store per aggregate over one shared
 * database handle. Secrets go through the SecretBox on their way in and out; nothing else in
 * the controller sees a sealed value.
 */
export class ControllerStore {
  private readonly database: ControllerDatabase;
  readonly organizations: OrganizationStore;
  readonly spaces: SpaceStore;
  readonly brokers: BrokerStore;
  /** Service offerings and plans. */
  readonly catalog: CatalogStore;
  readonly instances: InstanceStore;
  readonly apps: AppStore;
  /** App bindings and service keys. */
  readonly bindings: BindingStore;
  readonly jobs: JobStore;
  readonly mitigations: MitigationStore;
  /** Users, roles and access tokens. */
  readonly identities: IdentityStore;
  /** Uploads of app bits. */
  readonly packages: PackageStore;

  constructor(dataDir: string, secrets: SecretBox) {
    this.database = new ControllerDatabase(dataDir);
    this.spaces = new SpaceStore(this.database);
    this.organizations = new OrganizationStore(this.database, this.spaces);
    this.brokers = new BrokerStore(this.database, secrets);
    this.catalog = new CatalogStore(this.database);
    this.instances = new InstanceStore(this.database);
    this.apps = new AppStore(this.database, secrets);
    this.bindings = new BindingStore(this.database, secrets);
    this.jobs = new JobStore(this.database);
    this.mitigations = new MitigationStore(this.database);
    this.identities = new IdentityStore(this.database);
    this.packages = new PackageStore(this.database);
  }

  /** One transaction across any of the stores above. */
  transaction<T>(work: () => T): T {
    return this.database.transaction(work);
  }

  close(): void {
    this.database.close();
  }

  get isOpen(): boolean {
    return this.database.isOpen;
  }
}
