import { ApiError, ControllerApi } from './api';
import { saveSession, type Session, type Target } from './session';

/**
 * Logging the CLI in and targeting, as `cf login` and `cf target` do: a password grant, then
 * the organization and space the app and service verbs will work in.
 */

export interface TargetWish {
  organization?: string;
  space?: string;
}

export interface ResolvedTarget {
  organization?: Target;
  space?: Target;
}

function asTarget(resource: { guid: string; name?: string }): Target {
  return { guid: resource.guid, name: resource.name ?? '' };
}

/**
 * The organization and space named in `wish`, or, when none is named, the only ones the user
 * can see. Names that match nothing are an error; an ambiguous choice stays untargeted.
 */
export async function resolveTarget(client: ControllerApi, wish: TargetWish): Promise<ResolvedTarget> {
  const organizations = await client.list('/v3/organizations');
  let organization: Target | undefined;
  if (wish.organization !== undefined) {
    const found = organizations.find((o) => o.name === wish.organization);
    if (!found) throw new ApiError(`Organization '${wish.organization}' not found.`);
    organization = asTarget(found);
  } else if (organizations.length === 1) {
    organization = asTarget(organizations[0]!);
  }
  const inOrganization = organization ? `&organization_guids=${organization.guid}` : '';
  if (wish.space !== undefined) {
    const spaces = (await client.list(`/v3/spaces?names=${encodeURIComponent(wish.space)}${inOrganization}`)).filter((s) => s.name === wish.space);
    if (spaces.length === 0) throw new ApiError(`Space '${wish.space}' not found${organization ? ` in organization '${organization.name}'` : ''}.`);
    if (spaces.length > 1) throw new ApiError(`Space '${wish.space}' exists in more than one organization; name one with -o ORG.`);
    const space = spaces[0]!;
    const organizationGuid = (space.relationships as { organization?: { data?: { guid?: string } } } | undefined)?.organization?.data?.guid;
    const owner = organization ?? organizations.map(asTarget).find((o) => o.guid === organizationGuid);
    return { ...(owner ? { organization: owner } : {}), space: asTarget(space) };
  }
  if (!organization) return {};
  const spaces = await client.list(`/v3/spaces?organization_guids=${organization.guid}`);
  return { organization, ...(spaces.length === 1 ? { space: asTarget(spaces[0]!) } : {}) };
}

/** Gets a token for `username`, targets, and keeps the login in $OSBKIT_HOME (mode 0600). */
export async function logIn(api: string, username: string, password: string, wish: TargetWish): Promise<Session> {
  const grant = await ControllerApi.passwordGrant(api, username, password);
  const target = await resolveTarget(new ControllerApi(api, grant.accessToken), wish);
  const session: Session = {
    api,
    accessToken: grant.accessToken,
    expiresAt: new Date(Date.now() + grant.expiresInSeconds * 1000).toISOString(),
    username,
    ...target,
  };
  saveSession(session);
  return session;
}

/** The lines `login` and `target` print about what is targeted. */
export function describeTarget(session: Session): string[] {
  return [
    `API endpoint:   ${session.api}`,
    `user:           ${session.username}`,
    `org:            ${session.organization?.name ?? "No org targeted, use 'osbkit target -o ORG'"}`,
    `space:          ${session.space?.name ?? "No space targeted, use 'osbkit target -s SPACE'"}`,
  ];
}
