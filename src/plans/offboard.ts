import { z } from 'zod';
import { mapLimited } from '../client/index.js';
import { FAN_OUT } from '../reports/names.js';
import { lastOwnerWarnings } from '../warnings/owners.js';
import { activeUseWarning, deleteKeyStep } from './keys.js';
import { workflow, type StepDraft } from './plan.js';

/*
 * offboard_user: a person everywhere. Their project memberships, group memberships, pending
 * invites to their email, the project keys and admin keys they own (keys whose owner already lost
 * project access included), then their organization membership, which the API follows with its own
 * cascade. All steps but the last run side by side; the organization membership goes last, so a
 * plan stopped half way leaves the person still listed and findable.
 */

export const offboardUser = workflow({
  name: 'offboard_user',
  title: 'Offboard a user',
  description: 'Remove a person everywhere: project and group memberships, pending invites, the keys they own, then the organization.',
  input: {
    user: z.string().min(1).describe('Email, name or ID'),
    keep_keys: z.boolean().optional().describe('Leave their keys; default false'),
    keep_in_org: z.boolean().optional().describe('Keep them in the organization; default false'),
  },
  async draft(args, ctx) {
    const user = await ctx.names.user(args.user, ctx.signal);
    const [projects, groups, invites, keys, adminKeys] = await Promise.all([
      ctx.names.projects(ctx.signal),
      ctx.names.groups(ctx.signal),
      ctx.client.collect<{ id: string; email: string; status: string }>({ path: '/organization/invites', query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => r.items),
      args.keep_keys ? Promise.resolve([]) : ctx.names.keys(ctx.signal),
      args.keep_keys ? Promise.resolve([]) : ctx.names.adminKeys(ctx.signal),
    ]);
    const active = projects.filter((p) => p.status === 'active');
    // Archived projects refuse every change and list no users: their memberships go with the
    // organization membership. Which projects and groups hold the user comes from the directory's
    // member lists (read once, kept and dropped like its other lists), so a warm preview reads the
    // targets of their memberships only, not one per project and group of the organization.
    const [members, groupMembers] = await Promise.all([ctx.names.members(ctx.signal, { projects: active }), ctx.names.groupMembers(ctx.signal, groups)]);
    const [memberships, groupMemberships] = await Promise.all([
      mapLimited(
        active.filter((p) => members.get(p.id)?.some((m) => m.id === user.id)),
        FAN_OUT,
        async (p) => ({ project: p, target: await ctx.target('projects_users_delete', { project_id: p.id, user_id: user.id }) }),
      ),
      mapLimited(
        groups.filter((g) => groupMembers.get(g.id)?.includes(user.id)),
        FAN_OUT,
        async (g) => ({ group: g, target: await ctx.target('groups_users_delete', { group_id: g.id, user_id: user.id }) }),
      ),
    ]);
    const warnings: string[] = [];
    // Keys first: a key's record shows whether its owner still has project access, so removing a
    // membership first would change the keys' state under the plan. Memberships follow the keys.
    const keySteps: StepDraft[] = [];
    for (const key of keys) {
      if (key.owner_type !== 'user' || key.owner_id !== user.id) continue;
      if (key.project.status === 'archived') {
        warnings.push(`Key ${key.name} (${key.id}) is in archived project ${key.project.name}, which refuses changes; ${args.keep_in_org ? 'it stays' : 'the API deletes it when the user leaves the organization'}.`);
        continue;
      }
      keySteps.push(deleteKeyStep({ kind: 'api_key', key }));
      const warning = activeUseWarning(key, ctx.now());
      if (warning) warnings.push(warning);
    }
    for (const key of adminKeys) {
      if (key.owner_id !== user.id) continue;
      keySteps.push(deleteKeyStep({ kind: 'admin_key', key }));
      const warning = activeUseWarning(key, ctx.now());
      if (warning) warnings.push(warning);
    }
    const afterKeys = keySteps.length > 0 ? { after: keySteps.map((_, i) => i + 1) } : {};
    const steps: StepDraft[] = [...keySteps];
    for (const invite of invites) {
      if (invite.status !== 'pending' || invite.email.toLowerCase() !== user.email.toLowerCase()) continue;
      steps.push({ tool: 'invites_delete', args: { invite_id: invite.id }, effect: `Revokes the pending invite to ${invite.email}, so it cannot be accepted later.` });
    }

    const member = memberships.filter((m) => m.target?.found);
    // The single tools' warning, in the same words: only what the person owns can be left without
    // an owner (owner groups count): projects they own, and the organization when an owner leaves it.
    const owned = member.filter((m) => (m.target?.state as { role?: string } | undefined)?.role === 'owner').map((m) => m.project);
    const organization = !args.keep_in_org && user.role === 'owner';
    if (owned.length > 0 || organization) warnings.push(...(await lastOwnerWarnings(ctx.client, { user: user.id, projects: owned, organization }, ctx.signal)));
    for (const m of member) {
      steps.push({ tool: 'projects_users_delete', args: { project_id: m.project.id, user_id: user.id }, ...afterKeys, effect: `Removes ${user.email} from project ${m.project.name}; access given through a group stays until the group step.`, target: m.target });
    }
    for (const { group, target } of groupMemberships) {
      if (!target?.found) continue;
      if (group.is_scim_managed) {
        warnings.push(`Group ${group.name} (${group.id}) is managed through SCIM: remove ${user.email} in the identity provider${args.keep_in_org ? '' : '; removing them from the organization takes them out of it here'}.`);
        continue;
      }
      steps.push({ tool: 'groups_users_delete', args: { group_id: group.id, user_id: user.id }, ...afterKeys, effect: `Removes ${user.email} from group ${group.name}, and the project access and roles the group gave them.`, target });
    }
    if (!args.keep_in_org) {
      steps.push({
        tool: 'users_delete',
        args: { user_id: user.id },
        after: steps.map((_, i) => i + 1),
        effect: `Removes ${user.name} (${user.email}) from the organization, after every step above. The API also removes any membership left in projects (archived ones too) and groups, and deletes the project keys they own; admin keys they created stay.`,
      });
    }
    return {
      summary: `Offboard ${user.name} (${user.email}, ${user.id})${args.keep_in_org ? ', keeping them in the organization' : ''}${args.keep_keys ? ', keeping their keys' : ''}.`,
      steps,
      warnings,
      nothing: `${user.name} has no memberships, invites${args.keep_keys ? '' : ' or keys'} left to remove.`,
    };
  },
});
