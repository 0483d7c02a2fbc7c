import type { Rng } from '../rng.js';
import type { GroupRecord, InviteRecord, ProjectRole, SandboxState } from '../state.js';
import { SANDBOX_DOMAIN } from './core.js';

/*
 * Groups, group memberships and invites. Role assignments (to users and groups) are seeded by the
 * roles family, which runs after this one and may refer to the groups made here.
 */

const DAY = 86_400;

/** Group names in creation order, with how they are managed and how many members they get. */
const GROUPS: ReadonlyArray<{ name: string; scim: boolean; members: [number, number] }> = [
  { name: 'Platform Engineering', scim: false, members: [5, 7] },
  { name: 'Data Science', scim: false, members: [3, 5] },
  { name: 'Finance', scim: false, members: [2, 3] },
  { name: 'Security & Compliance', scim: true, members: [3, 4] },
  { name: 'Support Leads', scim: false, members: [2, 4] },
  { name: 'Contractors', scim: true, members: [0, 0] },
];

/** People invited who have not joined (yet). */
const INVITEES = ['priya.natarajan', 'omar.haddad', 'lena.fischer', 'diego.alvarez', 'mei.chen', 'kwame.asante'];

/** Days between an invite being sent and it expiring. */
export const INVITE_TTL_DAYS = 7;

export function seedMembers(state: SandboxState, rng: Rng): void {
  seedGroups(state, rng);
  seedInvites(state, rng);
}

function seedGroups(state: SandboxState, rng: Rng): void {
  const users = [...state.users.values()];
  const firstUserAdded = Math.min(...users.map((u) => u.added_at));
  GROUPS.forEach((spec, i) => {
    const group: GroupRecord = {
      id: `group_${rng.token(24)}`,
      name: spec.name,
      created_at: firstUserAdded + (i + 1) * 40 * DAY + rng.int(0, DAY),
      is_scim_managed: spec.scim,
      group_type: 'group',
    };
    state.groups.set(group.id, group);
    const members = rng
      .sample(users, rng.int(spec.members[0], spec.members[1]))
      .map((user) => ({ user, added_at: Math.max(group.created_at, user.added_at) + rng.int(0, 10 * DAY) }))
      // Insertion order is the order members were added.
      .sort((a, b) => a.added_at - b.added_at);
    const inner = state.scoped(state.groupUsers, group.id);
    for (const { user, added_at } of members) inner.set(user.id, Math.min(added_at, state.anchor - DAY));
  });
}

function seedInvites(state: SandboxState, rng: Rng): void {
  const active = [...state.projects.values()].filter((p) => p.status === 'active');
  const defaultProject = active[0];
  const grants = (count: number): Array<{ id: string; role: ProjectRole }> =>
    rng.sample(active, count).map((p) => ({ id: p.id, role: rng.chance(0.2) ? 'owner' : 'member' }));
  const invites: InviteRecord[] = [];
  const make = (email: string, created_at: number, rest: Partial<InviteRecord>): InviteRecord => ({
    object: 'organization.invite',
    id: `invite-${rng.token(24)}`,
    email,
    role: 'reader',
    status: 'pending',
    created_at,
    expires_at: created_at + INVITE_TTL_DAYS * DAY,
    accepted_at: null,
    projects: [],
    ...rest,
  });

  // Accepted: the invites through which the three most recent members joined.
  const recent = [...state.users.values()].sort((a, b) => b.added_at - a.added_at).slice(0, 3);
  for (const user of recent) {
    const created = user.added_at - rng.int(1, 4) * DAY - rng.int(0, DAY);
    invites.push(
      make(user.email, created, {
        role: user.role,
        status: 'accepted',
        accepted_at: user.added_at,
        projects: defaultProject ? [{ id: defaultProject.id, role: 'member' }] : [],
      }),
    );
  }

  const [expiredA, expiredB, ...pending] = INVITEES;
  // Expired: sent weeks ago and never accepted.
  invites.push(make(`${expiredA}@${SANDBOX_DOMAIN}`, state.anchor - rng.int(30, 60) * DAY, { status: 'expired', projects: grants(1) }));
  invites.push(make(`${expiredB}@partner-agency.test`, state.anchor - rng.int(12, 25) * DAY, { status: 'expired', projects: [] }));

  // Pending: sent in the last few days, some with project grants.
  pending.forEach((name, i) => {
    const created = state.anchor - rng.int(0, INVITE_TTL_DAYS - 2) * DAY - rng.int(1, DAY - 1);
    invites.push(
      make(`${name}@${SANDBOX_DOMAIN}`, created, {
        role: i === 0 ? 'owner' : 'reader',
        projects: i === pending.length - 1 ? [] : grants(rng.int(1, 2)),
      }),
    );
  });

  invites.sort((a, b) => a.created_at - b.created_at).forEach((invite) => state.invites.set(invite.id, invite));
}
