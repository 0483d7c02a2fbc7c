import { z } from 'zod';
import { pick } from '../reports/names.js';
import { ReportError } from '../reports/report.js';
import { duplicate } from '../warnings/index.js';
import { ref, workflow, type StepDraft } from './plan.js';

/*
 * onboard_project: a project and what a team needs in it, as one plan. Against an existing project
 * (`existing: "use"`), only what is missing is planned, which is also how an interrupted onboarding
 * resumes: members already in, limits already set, an alert or service account already there are
 * left out.
 *
 * A new project's ID, and the IDs of its roles, exist only once the project does: steps that need
 * them take them from earlier steps' results (`ref`), which the preview shows under `bound_later`.
 * A group's role is named, checked against the roles every project has before anything runs, and
 * bound to the new project's role of that name by a read step once the project exists.
 */

const LIMIT_FIELDS = ['max_requests_per_1_minute', 'max_tokens_per_1_minute', 'max_images_per_1_minute', 'max_audio_megabytes_per_1_minute', 'max_requests_per_1_day', 'batch_1_day_max_input_tokens'] as const;
const count = z.number().int().min(0).optional();

interface RoleRow {
  id: string;
  name: string;
  predefined_role?: boolean;
}

interface RateRow {
  id: string;
  model: string;
  [field: string]: unknown;
}

export const onboardProject = workflow({
  name: 'onboard_project',
  title: 'Onboard a team',
  description: 'A project with members, groups, a service account, rate limits by model, spend alert and limit, in one plan.',
  input: {
    name: z.string().min(1).describe('Project name'),
    existing: z.enum(['refuse', 'use', 'create']).optional().describe('If an active project has this name: refuse (default), use it, or create another'),
    members: z.array(z.string().min(1)).optional().describe('Emails, names or IDs; role member'),
    owners: z.array(z.string().min(1)).optional().describe('Emails, names or IDs; role owner'),
    invite_unknown: z.boolean().optional().describe('Invite unknown emails; default false'),
    service_account: z.string().min(1).optional().describe('Service account name'),
    rate_limits: z
      .array(z.object({ model: z.string().min(1), max_requests_per_1_minute: count, max_tokens_per_1_minute: count, max_requests_per_1_day: count }).strict())
      .optional(),
    spend_alert: z.object({ threshold_usd: z.number().positive(), recipients: z.array(z.string().email()).min(1) }).strict().optional().describe('Monthly, by email'),
    groups: z.record(z.string().min(1)).optional().describe('Group name or ID → project role name'),
    spend_limit: z.number().min(0.01).optional().describe('Monthly hard limit, USD'),
  },
  async draft(args, ctx) {
    const [projects, users, groups] = await Promise.all([ctx.names.projects(ctx.signal), ctx.names.users(ctx.signal), args.groups ? ctx.names.groups(ctx.signal) : Promise.resolve([])]);
    const same = projects.filter((p) => p.status === 'active' && p.name.trim().toLowerCase() === args.name.trim().toLowerCase());
    const existing = args.existing ?? 'refuse';
    const warnings: string[] = [];
    if (same.length > 0 && existing === 'refuse') {
      throw new ReportError(
        `an active project is already named '${args.name}' (${same.map((p) => p.id).join(', ')}). Pass existing: "use" to add to it (this also completes an onboarding that stopped half way), or existing: "create" to make a second project with the same name.`,
      );
    }
    if (same.length > 1 && existing === 'use') throw new ReportError(`${same.length} active projects are named '${args.name}' (${same.map((p) => p.id).join(', ')}); pick one by renaming the others first.`);
    const target = existing === 'use' ? same[0] : undefined;
    if (existing === 'create') warnings.push(...duplicate('active project', 'name', args.name, same));

    const steps: StepDraft[] = [];
    if (!target) steps.push({ tool: 'projects_create', args: { name: args.name }, effect: `Creates project ${args.name}; the API gives it the default rate limits for every model and makes no one a member.` });
    const projectId = target ? target.id : ref(1);
    const after = target ? {} : { after: [1] };
    const where = target ? `project ${target.name}` : 'the new project';
    const groupsOf = (id: string) =>
      ctx.client.collect<{ group_id: string }>({ path: `/organization/projects/${encodeURIComponent(id)}/groups`, query: { limit: 100 }, style: 'cursor_next', maxPages: 50, signal: ctx.signal }).then((r) => new Set(r.items.map((g) => g.group_id)));
    const rolesOf = (id: string) => ctx.client.collect<RoleRow>({ path: `/projects/${encodeURIComponent(id)}/roles`, query: { limit: 1000 }, style: 'cursor_next', maxPages: 10, signal: ctx.signal }).then((r) => r.items);
    // A project that does not exist yet will have the predefined project roles: read them from any
    // active project, so a role name is checked before anything runs (none to read: checked at run).
    const predefinedRoles = async () => {
      const any = projects.find((p) => p.status === 'active');
      return args.groups && any ? (await rolesOf(any.id)).filter((r) => r.predefined_role === true) : [];
    };

    // What the project already has, when it exists: only what is missing is planned.
    const [present, limits, alerts, accounts, granted, roles, spendLimit] = target
      ? await Promise.all([
          ctx.client.collect<{ id: string }>({ path: `/organization/projects/${encodeURIComponent(target.id)}/users`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => new Set(r.items.map((u) => u.id))),
          ctx.client.collect<RateRow>({ path: `/organization/projects/${encodeURIComponent(target.id)}/rate_limits`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => r.items),
          ctx.client.collect<{ threshold_amount: number }>({ path: `/organization/projects/${encodeURIComponent(target.id)}/spend_alerts`, query: { limit: 100 }, style: 'cursor_id', maxPages: 10, signal: ctx.signal }).then((r) => r.items),
          ctx.client.collect<{ name: string }>({ path: `/organization/projects/${encodeURIComponent(target.id)}/service_accounts`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => r.items),
          args.groups ? groupsOf(target.id) : Promise.resolve(new Set<string>()),
          args.groups ? rolesOf(target.id) : Promise.resolve([]),
          args.spend_limit ? ctx.target('projects_spend_limit_update', { project_id: target.id }) : Promise.resolve(undefined),
        ])
      : [new Set<string>(), undefined, [], [], new Set<string>(), await predefinedRoles(), undefined];

    const people = [...(args.owners ?? []).map((who) => ({ who, role: 'owner' as const })), ...(args.members ?? []).map((who) => ({ who, role: 'member' as const }))];
    const unknown: string[] = [];
    for (const { who, role } of people) {
      const wanted = who.trim().toLowerCase();
      const matches = users.filter((u) => u.id.toLowerCase() === wanted || u.email.toLowerCase() === wanted || u.name.toLowerCase() === wanted);
      if (matches.length > 1) throw new ReportError(`'${who}' matches ${matches.length} users: ${matches.map((u) => `${u.name} <${u.email}> (${u.id})`).join('; ')}. Give an email or ID.`);
      const user = matches[0];
      if (user) {
        if (present.has(user.id)) continue;
        steps.push({ tool: 'projects_users_create', args: { project_id: projectId, user_id: user.id, role }, ...after, effect: `Adds ${user.name} (${user.email}) to ${where} as ${role}.` });
      } else if (args.invite_unknown && wanted.includes('@')) {
        steps.push({
          tool: 'invites_create',
          args: { email: who.trim(), role: 'reader', projects: [{ id: projectId, role }] },
          ...after,
          effect: `Invites ${who.trim()} to the organization (reader); on accepting they join ${where} as ${role}.`,
        });
      } else unknown.push(who);
    }
    if (unknown.length > 0) {
      throw new ReportError(`no member of the organization matches ${unknown.map((u) => `'${u}'`).join(', ')}. Give their email with invite_unknown: true to invite them, or check the names with find.`);
    }

    if (args.service_account && !accounts.some((a) => a.name === args.service_account)) {
      steps.push({ tool: 'projects_service_accounts_create', args: { project_id: projectId, name: args.service_account }, ...after, effect: `Creates service account ${args.service_account} in ${where} with a key; the key's secret is in the result once: store it.` });
    }

    for (const limit of args.rate_limits ?? []) {
      const { model, ...values } = limit;
      const fields = Object.fromEntries(LIMIT_FIELDS.filter((f) => values[f as keyof typeof values] !== undefined).map((f) => [f, values[f as keyof typeof values]]));
      if (Object.keys(fields).length === 0) throw new ReportError(`rate_limits for ${model}: give at least one limit (max_requests_per_1_minute, max_tokens_per_1_minute or max_requests_per_1_day).`);
      const row = limits?.find((r) => r.model === model);
      if (limits && !row) throw new ReportError(`rate_limits: project ${target?.name} has no rate-limit row for '${model}'; its models are ${limits.map((r) => r.model).join(', ')}.`);
      if (row && Object.entries(fields).every(([f, v]) => row[f] === v)) continue;
      steps.push({ tool: 'projects_rate_limits_update', args: { project_id: projectId, rate_limit_id: row?.id ?? `rl-${model}`, ...fields }, ...after, effect: `Sets ${model}'s limits in ${where}: ${Object.entries(fields).map(([f, v]) => `${f} ${v}`).join(', ')}.` });
    }

    if (args.spend_alert) {
      const cents = Math.round(args.spend_alert.threshold_usd * 100);
      if (!alerts.some((a) => a.threshold_amount === cents)) {
        steps.push({
          tool: 'projects_spend_alerts_create',
          args: { project_id: projectId, threshold_amount: cents, currency: 'USD', interval: 'month', notification_channel: { type: 'email', recipients: args.spend_alert.recipients } },
          ...after,
          effect: `Emails ${args.spend_alert.recipients.join(', ')} when ${where} passes $${args.spend_alert.threshold_usd} in a month; it does not stop spend.`,
        });
      }
    }
    // Groups: resolved and their roles checked now; a new project's role IDs are read once it exists.
    const wanted = Object.entries(args.groups ?? {}).map(([group, role]) => ({ group: pick('group', group, groups, (g) => [g.name]), role }));
    const unknownRoles = [...new Set(wanted.map((w) => w.role))].filter((role) => roles.length > 0 && !roles.some((r) => r.name === role));
    if (unknownRoles.length > 0) {
      const kind = target ? `project ${target.name}'s roles` : 'the roles a new project has';
      throw new ReportError(`groups: no role named ${unknownRoles.map((r) => `'${r}'`).join(', ')} among ${kind}: ${roles.map((r) => r.name).join(', ')}.`);
    }
    const adding = wanted.filter((w) => {
      if (!granted.has(w.group.id)) return true;
      warnings.push(`Group ${w.group.name} (${w.group.id}) already has access to project ${target?.name}; its roles there are left as they are.`);
      return false;
    });
    if (adding.length > 0) {
      let role: (name: string) => unknown;
      let groupAfter = after;
      if (target) role = (name) => (roles.find((r) => r.name === name) as RoleRow).id;
      else {
        steps.push({ tool: 'projects_roles_list', args: { project_id: projectId }, after: [1], effect: "Reads the new project's roles, to give each group its role by name (role IDs exist only once the project does). Changes nothing." });
        const read = steps.length;
        role = (name) => ref(read, 'id', { name });
        groupAfter = { after: [1, read] };
      }
      for (const w of adding) {
        steps.push({
          tool: 'projects_groups_create',
          args: { project_id: projectId, group_id: w.group.id, role: role(w.role) },
          ...groupAfter,
          effect: `Gives group ${w.group.name} access to ${where} with role ${w.role}; its members get that access while they are in the group.`,
        });
      }
    }

    if (args.spend_limit) {
      const cents = Math.round(args.spend_limit * 100);
      const current = spendLimit?.found ? (spendLimit.state as { threshold_amount?: number }).threshold_amount : undefined;
      if (current !== cents) {
        steps.push({
          tool: 'projects_spend_limit_update',
          args: { project_id: projectId, threshold_amount: cents, currency: 'USD', interval: 'month' },
          ...after,
          ...(spendLimit ? { target: spendLimit } : {}),
          effect: `${current === undefined ? 'Sets' : `Replaces the current hard limit of $${current / 100} with`} a hard limit of $${cents / 100} a month on ${where}: once reached, its API requests are refused until the month ends.`,
        });
      }
    }

    return {
      summary: target ? `Complete project ${target.name} (${target.id}).` : `Create project ${args.name} and set it up.`,
      steps,
      warnings,
      nothing: `Project ${target?.name} (${target?.id}) already has everything asked for.`,
    };
  },
});
