import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import type { RoleRecord, RoleType, UserRecord } from '../records';
import {
  MAX_NAME_LENGTH, Problems, isJsonObject, matchesFilter, objectBody, readListQuery, readObject, readRelationship,
  rejectUnknownFields, type JsonObject,
} from '../request-validation';
import { timestamp } from '../store';

/**
 * /v3/roles: who may work where. osbkit knows two of Cloud Controller's role types:
 * `organization_user` (membership of an organization) and `space_developer`, which needs
 * the organization role first. Only admins assign and remove roles.
 */

const ROLE_TYPES: readonly RoleType[] = ['organization_user', 'space_developer'];
const INVALID_USER = 'Invalid user. Ensure that the user exists and you have access to it.';
const INVALID_SPACE = 'Invalid space. Ensure that the space exists and you have access to it.';
const INVALID_ORGANIZATION = 'Invalid organization. Ensure that the organization exists and you have access to it.';

/** `relationships.user.data` names the user by guid or, as Cloud Controller also allows, by username. */
function readUserReference(relationships: JsonObject | undefined, problems: Problems): { guid: string } | { username: string } | undefined {
  const data = isJsonObject(relationships?.user) ? relationships.user.data : undefined;
  if (!isJsonObject(data)) {
    problems.add("'relationships.user.data' is required and must hold 'guid' or 'username'");
    return undefined;
  }
  rejectUnknownFields(data, ['guid', 'username', 'origin'], problems, 'relationships.user.data.');
  const { guid, username, origin } = data;
  if (origin !== undefined && origin !== 'uaa') problems.add("'relationships.user.data.origin' must be 'uaa'");
  if ((guid === undefined) === (username === undefined)) problems.add("'relationships.user.data' must hold either 'guid' or 'username'");
  else if (guid !== undefined) {
    if (typeof guid === 'string' && guid !== '' && guid.length <= MAX_NAME_LENGTH) return { guid };
    problems.add("'relationships.user.data.guid' must be a non-empty string");
  } else if (typeof username === 'string' && username !== '' && username.length <= MAX_NAME_LENGTH) return { username };
  else problems.add("'relationships.user.data.username' must be a non-empty string");
  return undefined;
}

export function roleRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;
  const { identities } = store;

  const requireRole = (req: Request): RoleRecord => {
    const role = identities.role(param(req, 'guid'));
    if (!role || !accessOf(req).seesRole(role)) throw apiErrors.notFound('Role');
    return role;
  };

  router.get('/v3/roles', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['types', 'user_guids', 'space_guids', 'organization_guids', 'guids']);
    const roles = identities.listRoles().filter((r) =>
      access.seesRole(r)
      && matchesFilter(query, 'types', r.type)
      && matchesFilter(query, 'user_guids', r.userGuid)
      && matchesFilter(query, 'space_guids', r.spaceGuid ?? undefined)
      && matchesFilter(query, 'organization_guids', r.organizationGuid ?? undefined)
      && matchesFilter(query, 'guids', r.guid));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(roles, query, '/v3/roles', (r) => presenter.role(r)));
  });

  router.get('/v3/roles/:guid', (req, res) => {
    res.json(presenterOf(deps, req).role(requireRole(req)));
  });

  router.post('/v3/roles', (req, res) => {
    const access = accessOf(req);
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['type', 'relationships'], problems);
    const type = body.type;
    if (typeof type !== 'string' || !(ROLE_TYPES as readonly string[]).includes(type)) {
      problems.add(`'type' must be one of ${ROLE_TYPES.map((t) => `'${t}'`).join(', ')} (the role types osbkit supports)`);
    }
    const relationships = readObject(body, 'relationships', problems);
    if (body.relationships === undefined) problems.add("'relationships' is required");
    const target = type === 'space_developer' ? 'space' : 'organization';
    if (relationships) rejectUnknownFields(relationships, ['user', target], problems, 'relationships.');
    const userReference = relationships ? readUserReference(relationships, problems) : undefined;
    const targetGuid = readRelationship(relationships, target, problems, true);
    problems.throwIfAny();

    // As in Cloud Controller: what the caller cannot see is unprocessable, what they see but may not change is forbidden.
    let organizationGuid: string;
    let targetName: string;
    if (target === 'space') {
      const space = store.spaces.get(targetGuid!);
      if (!space || !access.seesSpace(space.guid)) throw apiErrors.unprocessable(INVALID_SPACE);
      organizationGuid = space.organizationGuid;
      targetName = space.name;
    } else {
      const organization = store.organizations.get(targetGuid!);
      if (!organization || !access.seesOrganization(organization.guid)) throw apiErrors.unprocessable(INVALID_ORGANIZATION);
      organizationGuid = organization.guid;
      targetName = organization.name;
    }
    access.requireAdmin();
    const user: UserRecord | undefined = 'guid' in userReference! ? identities.user(userReference.guid) : identities.userByName(userReference!.username);
    if (!user) throw apiErrors.unprocessable(INVALID_USER);

    const roles = identities.rolesOfUser(user.guid);
    if (target === 'space' && !roles.some((r) => r.type === 'organization_user' && r.organizationGuid === organizationGuid)) {
      throw apiErrors.unprocessable("Users cannot be assigned roles in a space if they do not have a role in that space's organization.");
    }
    const sameTarget = (r: RoleRecord): boolean => (target === 'space' ? r.spaceGuid === targetGuid : r.organizationGuid === targetGuid);
    if (roles.some((r) => r.type === type && sameTarget(r))) {
      throw apiErrors.unprocessable(`User '${user.username}' already has '${type as string}' role in ${target} '${targetName}'.`);
    }
    const now = timestamp();
    const role: RoleRecord = {
      guid: randomUUID(),
      type: type as RoleType,
      userGuid: user.guid,
      organizationGuid: target === 'organization' ? targetGuid! : null,
      spaceGuid: target === 'space' ? targetGuid! : null,
      createdAt: now,
      updatedAt: now,
    };
    identities.insertRole(role);
    deps.logger.info({ role: role.guid, type: role.type, user: user.guid, by: access.user.guid }, 'role assigned');
    res.status(201).json(presenterOf(deps, req).role(role));
  });

  router.delete('/v3/roles/:guid', (req, res) => {
    const access = accessOf(req);
    const role = requireRole(req);
    access.requireAdmin();
    if (role.type === 'organization_user') {
      const spacesOfOrganization = new Set(store.spaces.list().filter((s) => s.organizationGuid === role.organizationGuid).map((s) => s.guid));
      if (identities.rolesOfUser(role.userGuid).some((r) => r.spaceGuid !== null && spacesOfOrganization.has(r.spaceGuid))) {
        throw apiErrors.unprocessable('Cannot remove the organization_user role while the user has roles in spaces of the organization; remove those first.');
      }
    }
    identities.deleteRole(role.guid);
    deps.logger.info({ role: role.guid, type: role.type, user: role.userGuid, by: access.user.guid }, 'role removed');
    res.status(204).end();
  });

  return router;
}
