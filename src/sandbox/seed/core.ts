import type { Rng } from '../rng.js';
import type { ProjectRecord, ProjectRole, SandboxState, UserRecord } from '../state.js';

const FIRST = ['Ada', 'Grace', 'Alan', 'Katherine', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger', 'Radia',
  'Donald', 'Shafi', 'Tim', 'Hedy', 'John', 'Sophie', 'Guido', 'Anita', 'Bjarne', 'Leslie', 'Niklaus', 'Adele', 'Yukihiro', 'Mary'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Johnson', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Allen', 'Dijkstra',
  'Perlman', 'Knuth', 'Goldwasser', 'Berners-Lee', 'Lamarr', 'McCarthy', 'Wilson', 'van Rossum', 'Borg', 'Stroustrup', 'Lamport',
  'Wirth', 'Goldberg', 'Matsumoto', 'Keller'];

export const SANDBOX_DOMAIN = 'northwind-labs.test';

/** Project names, in creation order; the last one is archived. */
const PROJECTS = ['Default project', 'Atlas', 'Billing', 'Support Assistant', 'Data Platform', 'Research', 'Marketing Copy', 'Legacy Search'];

/** Projects seeded without any owner, so access reviews have something to flag. */
export const OWNERLESS_PROJECT = 'Research';

const DAY = 86_400;

export function seedCore(state: SandboxState, rng: Rng): void {
  const orgStart = state.anchor - 760 * DAY;

  const people = rng.sample(FIRST.map((first, i) => [first, LAST[i] as string] as const), 25);
  people.forEach(([first, last], i) => {
    const user: UserRecord = {
      object: 'organization.user',
      id: `user-${rng.token(24)}`,
      name: `${first} ${last}`,
      email: `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '') + `@${SANDBOX_DOMAIN}`,
      role: i < 3 ? 'owner' : 'reader',
      added_at: orgStart + i * 17 * DAY + rng.int(0, DAY),
    };
    state.users.set(user.id, user);
  });

  const users = [...state.users.values()];
  PROJECTS.forEach((name, i) => {
    const created = orgStart + i * 45 * DAY + rng.int(0, DAY);
    const archived = i === PROJECTS.length - 1;
    const project: ProjectRecord = {
      id: `proj_${rng.token(24)}`,
      object: 'organization.project',
      name,
      created_at: created,
      archived_at: archived ? state.anchor - 30 * DAY + rng.int(0, DAY) : null,
      status: archived ? 'archived' : 'active',
      external_key_id: null,
      residency: i === 4 ? 'EU_STORAGE_PROCESSING' : null,
    };
    state.projects.set(project.id, project);

    const members = state.scoped(state.projectUsers, project.id);
    const count = i === 0 ? users.length : rng.int(3, 8);
    const chosen = i === 0 ? users : rng.sample(users, count);
    chosen.forEach((user, j) => {
      const role: ProjectRole = name !== OWNERLESS_PROJECT && (j === 0 || user.role === 'owner') ? 'owner' : 'member';
      members.set(user.id, { user_id: user.id, role, added_at: Math.max(created, user.added_at) + rng.int(0, 5 * DAY) });
    });
  });
}
