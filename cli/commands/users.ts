import type { Command } from 'commander';
import { ApiError, type ControllerApi, type Resource } from '../api';
import { ok, printJson, printTable, step } from '../output';
import { readPassword } from '../prompt';
import { api, currentSession, type GlobalOptions } from './shared';

/** Spaces, users and space roles, as cf's create-space, create-user and set-space-role. */

/** cf's role names that osbkit knows, and the CC v3 types they stand for. */
const SPACE_ROLES: Record<string, string> = { spacedeveloper: 'space_developer' };

function spaceRoleType(name: string): string {
  const type = SPACE_ROLES[name.toLowerCase()];
  if (!type) throw new ApiError(`Unknown space role '${name}'. osbkit supports: SpaceDeveloper.`);
  return type;
}

/** The organization named, or the targeted one, or the only one the user sees. */
async function organizationNamed(client: ControllerApi, name: string | undefined): Promise<Resource> {
  const organizations = await client.list('/v3/organizations');
  const wanted = name ?? currentSession()?.organization?.name;
  if (wanted !== undefined) {
    const found = organizations.find((o) => o.name === wanted);
    if (!found) throw new ApiError(`Organization '${wanted}' not found.`);
    return found;
  }
  if (organizations.length === 1) return organizations[0]!;
  throw new ApiError("No organization targeted. Use 'osbkit target -o ORG' or give -o ORG.");
}

async function spaceNamed(client: ControllerApi, organization: Resource, name: string): Promise<Resource> {
  const spaces = await client.list(`/v3/spaces?names=${encodeURIComponent(name)}&organization_guids=${organization.guid}`);
  const found = spaces.find((s) => s.name === name);
  if (!found) throw new ApiError(`Space '${name}' not found in organization '${String(organization.name)}'.`);
  return found;
}

async function userNamed(client: ControllerApi, username: string): Promise<Resource> {
  const users = await client.list(`/v3/users?usernames=${encodeURIComponent(username)}`);
  const found = users.find((u) => String(u.username).toLowerCase() === username.toLowerCase());
  if (!found) throw new ApiError(`User '${username}' not found. See "osbkit users".`);
  return found;
}

export function registerUserCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('create-space')
    .description('Create a space (admins only)')
    .argument('<space>')
    .option('-o, --org <name>', 'the organization (default: the targeted one)')
    .action(async (name: string, options: { org?: string }) => {
      const client = api();
      const organization = await organizationNamed(client, options.org);
      step(`Creating space ${name} in org ${String(organization.name)}...`);
      await client.request('POST', '/v3/spaces', { name, relationships: { organization: { data: { guid: organization.guid } } } });
      ok(`OK\n\nTIP: Use 'osbkit target -s ${name}' to target the new space, and 'osbkit set-space-role USER ${String(organization.name)} ${name} SpaceDeveloper' to let a user work in it.`, globals());
    });

  program
    .command('spaces')
    .description('List the spaces you can see')
    .action(async () => {
      const spaces = await api().list('/v3/spaces');
      if (globals().json) return printJson(spaces);
      printTable(['name'], spaces.map((s) => [s.name]));
    });

  program
    .command('create-user')
    .description('Create a user (admins only); the password is asked for when not given')
    .argument('<username>')
    .argument('[password]', 'visible in the process list: prefer the prompt, --password-file or $OSBKIT_PASSWORD')
    .option('--password-file <file>', 'read the password from a file only its owner can read')
    .option('--admin', 'make the user an admin (cloud_controller.admin)')
    .action(async (username: string, password: string | undefined, options: { passwordFile?: string; admin?: boolean }) => {
      const client = api();
      const secret = await readPassword({ ...(password !== undefined ? { password } : {}), ...(options.passwordFile !== undefined ? { passwordFile: options.passwordFile } : {}) }, `Password for ${username}> `);
      step(`Creating user ${username}...`);
      await client.request('POST', '/v3/users', { username, password: secret, ...(options.admin ? { admin: true } : {}) });
      ok(`OK\n\nTIP: Assign roles with 'osbkit set-space-role ${username} ORG SPACE SpaceDeveloper'.`, globals());
    });

  program
    .command('delete-user')
    .description('Delete a user, their roles and their logins (admins only)')
    .argument('<username>')
    .action(async (username: string) => {
      const client = api();
      const user = await userNamed(client, username);
      step(`Deleting user ${username}...`);
      await client.request('DELETE', `/v3/users/${user.guid}`);
      ok('OK', globals());
    });

  program
    .command('users')
    .description('List the users you can see')
    .action(async () => {
      const users = await api().list('/v3/users');
      if (globals().json) return printJson(users);
      printTable(['username', 'admin'], users.map((u) => [String(u.username), u.admin === true ? 'yes' : '']));
    });

  program
    .command('set-space-role')
    .description('Assign a space role to a user, making them a member of the organization first (admins only)')
    .argument('<username>')
    .argument('<org>')
    .argument('<space>')
    .argument('<role>', 'SpaceDeveloper')
    .action(async (username: string, organizationName: string, spaceName: string, role: string) => {
      const type = spaceRoleType(role);
      const client = api();
      const organization = await organizationNamed(client, organizationName);
      const space = await spaceNamed(client, organization, spaceName);
      const user = await userNamed(client, username);
      step(`Assigning role ${role} to user ${username} in org ${organizationName} / space ${spaceName}...`);
      const roles = (filter: string) => client.list(`/v3/roles?user_guids=${user.guid}&${filter}`);
      if ((await roles(`types=organization_user&organization_guids=${organization.guid}`)).length === 0) {
        await client.request('POST', '/v3/roles', { type: 'organization_user', relationships: { user: { data: { guid: user.guid } }, organization: { data: { guid: organization.guid } } } });
      }
      if ((await roles(`types=${type}&space_guids=${space.guid}`)).length > 0) {
        ok(`User '${username}' already has role '${role}' in space '${spaceName}'.\nOK`, globals());
        return;
      }
      await client.request('POST', '/v3/roles', { type, relationships: { user: { data: { guid: user.guid } }, space: { data: { guid: space.guid } } } });
      ok('OK', globals());
    });

  program
    .command('unset-space-role')
    .description('Remove a space role from a user (admins only)')
    .argument('<username>')
    .argument('<org>')
    .argument('<space>')
    .argument('<role>', 'SpaceDeveloper')
    .action(async (username: string, organizationName: string, spaceName: string, role: string) => {
      const type = spaceRoleType(role);
      const client = api();
      const organization = await organizationNamed(client, organizationName);
      const space = await spaceNamed(client, organization, spaceName);
      const user = await userNamed(client, username);
      step(`Removing role ${role} from user ${username} in org ${organizationName} / space ${spaceName}...`);
      for (const found of await client.list(`/v3/roles?user_guids=${user.guid}&types=${type}&space_guids=${space.guid}`)) {
        await client.request('DELETE', `/v3/roles/${found.guid}`);
      }
      ok('OK', globals());
    });
}
