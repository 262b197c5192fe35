import { Router, type Request } from 'express';
import type { Access } from '../access';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import type { UserRecord } from '../records';
import { Problems, matchesFilter, objectBody, readListQuery, rejectUnknownFields } from '../request-validation';
import { createUser, passwordProblem, usernameProblem } from '../user-accounts';

/**
 * /v3/users. Cloud Controller leaves passwords to UAA; osbkit has no UAA, so creating a user
 * here also sets their password (an osbkit extension of the body), and `admin` grants what
 * UAA's cloud_controller.admin scope does. Only admins create and delete users.
 */
export function userRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { identities } = deps.store;

  const sees = (access: Access, user: UserRecord): boolean => access.seesUser(user, identities.rolesOfUser(user.guid));
  const requireUser = (req: Request): UserRecord => {
    const user = identities.user(param(req, 'guid'));
    if (!user || !sees(accessOf(req), user)) throw apiErrors.notFound('User');
    return user;
  };

  router.get('/v3/users', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['usernames', 'guids']);
    const users = identities.listUsers().filter((u) => sees(access, u) && matchesFilter(query, 'usernames', u.username) && matchesFilter(query, 'guids', u.guid));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(users, query, '/v3/users', (u) => presenter.user(u)));
  });

  router.get('/v3/users/:guid', (req, res) => {
    res.json(presenterOf(deps, req).user(requireUser(req)));
  });

  router.post('/v3/users', async (req, res) => {
    const access = accessOf(req);
    access.requireAdmin();
    const body = objectBody(req.body);
    const problems = new Problems();
    rejectUnknownFields(body, ['username', 'password', 'admin'], problems);
    const nameProblem = usernameProblem(body.username);
    const secretProblem = passwordProblem(body.password);
    if (nameProblem) problems.add(nameProblem);
    if (secretProblem) problems.add(secretProblem);
    if (body.admin !== undefined && typeof body.admin !== 'boolean') problems.add("'admin' must be a boolean");
    problems.throwIfAny();
    const user = await createUser(deps.store, { username: body.username as string, password: body.password as string, admin: body.admin === true });
    deps.logger.info({ user: user.guid, admin: user.admin, by: access.user.guid }, 'user created');
    res.status(201).json(presenterOf(deps, req).user(user));
  });

  router.delete('/v3/users/:guid', (req, res) => {
    const access = accessOf(req);
    const user = requireUser(req);
    access.requireAdmin();
    if (user.admin && identities.countAdmins() <= 1) throw apiErrors.unprocessable('Cannot delete the last admin.');
    identities.deleteUser(user.guid);
    deps.logger.info({ user: user.guid, by: access.user.guid }, 'user deleted');
    res.status(204).end();
  });

  return router;
}
