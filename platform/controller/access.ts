import { apiErrors } from './errors';
import type { RoleRecord, ServicePlanRecord, UserRecord } from './records';
import type { IdentityStore } from './store';

/**
 * What one authenticated user may see and do, after Cloud Controller's roles:
 *
 * - an admin (UAA's cloud_controller.admin) sees and changes everything;
 * - a space developer sees and changes the instances, apps and bindings of their spaces,
 *   credentials included, and nothing of other spaces;
 * - an organization user sees the organization and who else belongs to it.
 *
 * Routes answer 404 for what a user cannot see and 403 for what they see but may not change,
 * as Cloud Controller does.
 */
export class Access {
  private constructor(
    readonly user: UserRecord,
    private readonly developerSpaces: ReadonlySet<string>,
    private readonly organizations: ReadonlySet<string>,
  ) {}

  static of(identities: IdentityStore, user: UserRecord): Access {
    const roles = identities.rolesOfUser(user.guid);
    const spaces = new Set(roles.filter((r) => r.type === 'space_developer' && r.spaceGuid !== null).map((r) => r.spaceGuid!));
    const organizations = new Set(roles.filter((r) => r.type === 'organization_user' && r.organizationGuid !== null).map((r) => r.organizationGuid!));
    return new Access(user, spaces, organizations);
  }

  get isAdmin(): boolean {
    return this.user.admin;
  }

  /** 403 CF-NotAuthorized unless the user is an admin. */
  requireAdmin(): void {
    if (!this.user.admin) throw apiErrors.notAuthorized();
  }

  seesOrganization(organizationGuid: string): boolean {
    return this.user.admin || this.organizations.has(organizationGuid);
  }

  seesSpace(spaceGuid: string): boolean {
    return this.user.admin || this.developerSpaces.has(spaceGuid);
  }

  /** May create, change and delete instances, apps and bindings in the space. */
  developsIn(spaceGuid: string): boolean {
    return this.user.admin || this.developerSpaces.has(spaceGuid);
  }

  /** 403 CF-NotAuthorized unless the user may change what is in the space (callers check visibility first). */
  requireDeveloper(spaceGuid: string): void {
    if (!this.developsIn(spaceGuid)) throw apiErrors.notAuthorized();
  }

  /**
   * May read the space's secrets: binding credentials, VCAP_SERVICES, app environment
   * variables. Cloud Controller allows admins and space developers only, never auditors
   * or managers, so this stays its own question even while it has the same answer.
   */
  seesSecretsOf(spaceGuid: string): boolean {
    return this.user.admin || this.developerSpaces.has(spaceGuid);
  }

  /** Plans with access disabled are the admin's to see, as in Cloud Controller. */
  seesPlan(plan: ServicePlanRecord): boolean {
    return this.user.admin || plan.visibility === 'public';
  }

  seesRole(role: RoleRecord): boolean {
    if (this.user.admin || role.userGuid === this.user.guid) return true;
    if (role.organizationGuid !== null) return this.organizations.has(role.organizationGuid);
    return role.spaceGuid !== null && this.developerSpaces.has(role.spaceGuid);
  }

  /** Oneself, and the members of one's organizations. */
  seesUser(user: UserRecord, rolesOfUser: readonly RoleRecord[]): boolean {
    if (this.user.admin || user.guid === this.user.guid) return true;
    return rolesOfUser.some((r) => r.organizationGuid !== null && this.organizations.has(r.organizationGuid));
  }
}
