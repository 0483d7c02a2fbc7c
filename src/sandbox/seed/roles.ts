import type { Rng } from '../rng.js';
import type { GroupRecord, ProjectRecord, RoleAssignmentRecord, RoleRecord, SandboxState } from '../state.js';
import { OWNERLESS_PROJECT } from './core.js';

/*
 * Roles and every role assignment. Predefined organization roles mirror each user's `role`, and
 * predefined project roles mirror each project membership, so the legacy fields and the role
 * assignments agree. Custom roles, group access to projects and a few extra grants sit on top.
 * The ownerless project gets no owner assignment of any kind.
 */

const DAY = 86_400;

const ORG_READ = [
  'api.organization.read',
  'api.organization.projects.read',
  'api.organization.users.read',
  'api.organization.groups.read',
  'api.organization.roles.read',
  'api.organization.invites.read',
  'api.organization.usage.read',
  'api.organization.billing.read',
];

const ORG_ALL = [
  ...ORG_READ,
  'api.organization.write',
  'api.organization.projects.write',
  'api.organization.users.write',
  'api.organization.groups.write',
  'api.organization.roles.write',
  'api.organization.invites.write',
  'api.organization.billing.write',
  'api.organization.admin_api_keys.read',
  'api.organization.admin_api_keys.write',
  'api.organization.audit_logs.read',
  'api.organization.certificates.read',
  'api.organization.certificates.write',
  'api.organization.limits.read',
  'api.organization.limits.write',
];

const PROJECT_READ = [
  'api.project.read',
  'api.project.users.read',
  'api.project.service_accounts.read',
  'api.project.api_keys.read',
  'api.project.rate_limits.read',
  'api.project.usage.read',
];

const PROJECT_MEMBER = [
  ...PROJECT_READ,
  'api.project.models.request',
  'api.project.files.read',
  'api.project.files.write',
  'api.project.batches.write',
  'api.project.fine_tuning.write',
  'api.project.vector_stores.write',
  'api.project.api_keys.write',
];

const PROJECT_ALL = [
  ...PROJECT_MEMBER,
  'api.project.write',
  'api.project.users.write',
  'api.project.groups.write',
  'api.project.roles.write',
  'api.project.service_accounts.write',
  'api.project.rate_limits.write',
  'api.project.model_permissions.write',
];

interface RoleSpec {
  name: string;
  description: string;
  permissions: string[];
}

const PREDEFINED_ORG: RoleSpec[] = [
  { name: 'owner', description: 'Full administrative access to the organization.', permissions: ORG_ALL },
  { name: 'reader', description: 'Read-only access to organization settings and usage.', permissions: ORG_READ },
];

const PREDEFINED_PROJECT: RoleSpec[] = [
  { name: 'owner', description: 'Manages the project, its members, keys and limits.', permissions: PROJECT_ALL },
  { name: 'member', description: 'Uses the project: calls models and manages its own keys.', permissions: PROJECT_MEMBER },
  { name: 'viewer', description: 'Reads project settings and usage.', permissions: PROJECT_READ },
];

const CUSTOM_ORG: RoleSpec[] = [
  {
    name: 'Billing Admin',
    description: 'Manages invoices, payment methods and spend limits.',
    permissions: ['api.organization.billing.read', 'api.organization.billing.write', 'api.organization.usage.read', 'api.organization.limits.write'],
  },
  {
    name: 'Security Auditor',
    description: 'Reviews members, keys and the audit log without changing anything.',
    permissions: [
      'api.organization.audit_logs.read',
      'api.organization.users.read',
      'api.organization.groups.read',
      'api.organization.roles.read',
      'api.organization.admin_api_keys.read',
      'api.organization.projects.read',
    ],
  },
  {
    name: 'Group Manager',
    description: 'Creates groups and manages their members.',
    permissions: ['api.organization.groups.read', 'api.organization.groups.write', 'api.organization.users.read'],
  },
];

/** Custom project roles, by the name of the project they belong to. */
const CUSTOM_PROJECT: Array<RoleSpec & { project: string }> = [
  {
    project: 'Atlas',
    name: 'Deployer',
    description: 'Rotates production keys and service accounts.',
    permissions: ['api.project.read', 'api.project.api_keys.read', 'api.project.api_keys.write', 'api.project.service_accounts.read', 'api.project.service_accounts.write'],
  },
  {
    project: 'Billing',
    name: 'Usage Analyst',
    description: 'Reads usage and rate limits for capacity planning.',
    permissions: ['api.project.read', 'api.project.usage.read', 'api.project.rate_limits.read'],
  },
  {
    project: 'Support Assistant',
    name: 'Fine-tuning Operator',
    description: 'Uploads training files and runs fine-tuning jobs.',
    permissions: ['api.project.read', 'api.project.files.read', 'api.project.files.write', 'api.project.fine_tuning.write', 'api.project.models.request'],
  },
  {
    project: 'Data Platform',
    name: 'Batch Runner',
    description: 'Submits batch jobs and manages their files.',
    permissions: ['api.project.read', 'api.project.batches.write', 'api.project.files.read', 'api.project.files.write', 'api.project.models.request'],
  },
];

export function seedRoles(state: SandboxState, rng: Rng): void {
  const orgStart = Math.min(...[...state.users.values()].map((u) => u.added_at), state.anchor - 760 * DAY);
  const projectsByName = new Map([...state.projects.values()].map((p) => [p.name, p] as const));
  const users = [...state.users.values()];
  const groups = [...state.groups.values()];
  const newRoleId = () => `role_${rng.token(24)}`;
  const assignments: RoleAssignmentRecord[] = [];
  const assign = (principal_type: 'user' | 'group', principal_id: string, role: RoleRecord, scope: string, created_at: number) => {
    assignments.push({ id: `roleasgn_${rng.token(20)}`, principal_type, principal_id, role_id: role.id, scope, created_at: Math.min(created_at, state.anchor - 3600) });
  };

  // Roles: predefined first, then custom ones in creation order.
  const make = (spec: RoleSpec, resource_type: RoleRecord['resource_type'], predefined: boolean, project: ProjectRecord | null, created_at: number): RoleRecord => ({
    object: 'role',
    id: newRoleId(),
    name: spec.name,
    description: spec.description,
    permissions: [...spec.permissions],
    resource_type,
    predefined_role: predefined,
    project_id: project ? project.id : null,
    created_at,
    updated_at: created_at,
  });
  const orgPredefined = new Map(PREDEFINED_ORG.map((s) => [s.name, make(s, 'api.organization', true, null, orgStart)] as const));
  const projectPredefined = new Map(PREDEFINED_PROJECT.map((s) => [s.name, make(s, 'api.project', true, null, orgStart)] as const));
  for (const role of [...orgPredefined.values(), ...projectPredefined.values()]) state.roles.set(role.id, role);

  const custom: RoleRecord[] = [];
  const orgCustom = CUSTOM_ORG.map((spec) => {
    const created = state.anchor - rng.int(60, 400) * DAY + rng.int(0, DAY);
    const role = make(spec, 'api.organization', false, null, created);
    if (rng.chance(0.5)) role.updated_at = created + rng.int(1, 40) * DAY;
    custom.push(role);
    return role;
  });
  const projectCustom: RoleRecord[] = [];
  for (const spec of CUSTOM_PROJECT) {
    const project = projectsByName.get(spec.project);
    if (!project) continue;
    const created = Math.max(project.created_at + rng.int(5, 60) * DAY, state.anchor - rng.int(30, 300) * DAY);
    const role = make(spec, 'api.project', false, project, Math.min(created, state.anchor - DAY));
    custom.push(role);
    projectCustom.push(role);
  }
  custom.sort((a, b) => a.created_at - b.created_at);
  for (const role of custom) state.roles.set(role.id, role);

  // Organization level: every user's predefined role, then custom grants to users and groups.
  for (const user of users) assign('user', user.id, orgPredefined.get(user.role) as RoleRecord, 'organization', user.added_at);
  const readers = users.filter((u) => u.role === 'reader');
  const [billingAdmin, securityAuditor, groupManager] = orgCustom as [RoleRecord, RoleRecord, RoleRecord];
  for (const user of rng.sample(readers, 2)) assign('user', user.id, billingAdmin, 'organization', billingAdmin.created_at + rng.int(1, 20) * DAY);
  for (const user of rng.sample(readers, 1)) assign('user', user.id, groupManager, 'organization', groupManager.created_at + rng.int(1, 20) * DAY);
  const orgGroups = rng.sample(groups, Math.min(2, groups.length));
  if (orgGroups[0]) assign('group', orgGroups[0].id, securityAuditor, 'organization', Math.max(securityAuditor.created_at, orgGroups[0].created_at) + rng.int(1, 10) * DAY);
  else for (const user of rng.sample(readers, 1)) assign('user', user.id, securityAuditor, 'organization', securityAuditor.created_at + DAY);
  if (orgGroups[1]) assign('group', orgGroups[1].id, groupManager, 'organization', Math.max(groupManager.created_at, orgGroups[1].created_at) + rng.int(1, 10) * DAY);

  // Project level: each membership's predefined role, the project's custom roles, and group access.
  for (const project of state.projects.values()) {
    const ownerless = project.name === OWNERLESS_PROJECT;
    const members = [...(state.projectUsers.get(project.id)?.values() ?? [])];
    for (const member of members) {
      const role = ownerless ? 'member' : member.role;
      assign('user', member.user_id, projectPredefined.get(role) as RoleRecord, project.id, member.added_at);
    }
    for (const role of projectCustom.filter((r) => r.project_id === project.id)) {
      const holders = rng.sample(members.filter((m) => m.role === 'member'), rng.int(1, 2));
      for (const m of holders) assign('user', m.user_id, role, project.id, Math.max(role.created_at, m.added_at) + rng.int(1, 15) * DAY);
    }

    const count = groups.length === 0 ? 0 : project.name === 'Default project' ? Math.min(2, groups.length) : rng.int(0, Math.min(2, groups.length));
    const granted = rng.sample(groups, count);
    const access = state.scoped(state.projectGroups, project.id);
    granted.forEach((group: GroupRecord, i) => {
      const created = Math.min(Math.max(project.created_at, group.created_at) + rng.int(1, 30) * DAY, state.anchor - DAY);
      access.set(group.id, { group_id: group.id, created_at: created });
      const choices = ['member', 'viewer', ...(ownerless || i > 0 ? [] : ['owner'])];
      assign('group', group.id, projectPredefined.get(rng.pick(choices)) as RoleRecord, project.id, created);
      const own = projectCustom.find((r) => r.project_id === project.id);
      if (own && rng.chance(0.5)) assign('group', group.id, own, project.id, Math.max(created, own.created_at) + DAY);
    });
    if (access.size === 0) state.projectGroups.delete(project.id);
  }

  assignments.sort((a, b) => a.created_at - b.created_at);
  state.roleAssignments.push(...assignments);
}
