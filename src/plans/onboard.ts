import { z } from 'zod';
import { ReportError } from '../reports/report.js';
import { duplicate } from '../warnings/index.js';
import { ref, workflow, type StepDraft } from './plan.js';

/*
 * onboard_project: a project and what a team needs in it, as one plan. Against an existing project
 * (`existing: "use"`), only what is missing is planned, which is also how an interrupted onboarding
 * resumes: members already in, limits already set, an alert or service account already there are
 * left out.
 */

const LIMIT_FIELDS = ['max_requests_per_1_minute', 'max_tokens_per_1_minute', 'max_images_per_1_minute', 'max_audio_megabytes_per_1_minute', 'max_requests_per_1_day', 'batch_1_day_max_input_tokens'] as const;
const count = z.number().int().min(0).optional();

interface RateRow {
  id: string;
  model: string;
  [field: string]: unknown;
}

export const onboardProject = workflow({
  name: 'onboard_project',
  title: 'Onboard a team',
  description: 'A project with its members (unknown emails invited if asked), a service account, rate limits by model and a spend alert, in one plan.',
  input: {
    name: z.string().min(1).describe('Project name'),
    existing: z.enum(['refuse', 'use', 'create']).optional().describe('If an active project has this name: refuse (default), use it, or create another'),
    members: z.array(z.string().min(1)).optional().describe('Emails, names or IDs; role member'),
    owners: z.array(z.string().min(1)).optional().describe('Emails, names or IDs; role owner'),
    invite_unknown: z.boolean().optional().describe('Invite emails not in the org; default false'),
    service_account: z.string().min(1).optional().describe('Service account name; its key is shown once'),
    rate_limits: z
      .array(z.object({ model: z.string().min(1), max_requests_per_1_minute: count, max_tokens_per_1_minute: count, max_requests_per_1_day: count }).strict())
      .optional()
      .describe('Per model'),
    spend_alert: z.object({ threshold_usd: z.number().positive(), recipients: z.array(z.string().email()).min(1) }).strict().optional().describe('Monthly, by email'),
  },
  async draft(args, ctx) {
    const [projects, users] = await Promise.all([ctx.names.projects(ctx.signal), ctx.names.users(ctx.signal)]);
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

    // What the project already has, when it exists: only what is missing is planned.
    const [present, limits, alerts, accounts] = target
      ? await Promise.all([
          ctx.client.collect<{ id: string }>({ path: `/organization/projects/${encodeURIComponent(target.id)}/users`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => new Set(r.items.map((u) => u.id))),
          ctx.client.collect<RateRow>({ path: `/organization/projects/${encodeURIComponent(target.id)}/rate_limits`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => r.items),
          ctx.client.collect<{ threshold_amount: number }>({ path: `/organization/projects/${encodeURIComponent(target.id)}/spend_alerts`, query: { limit: 100 }, style: 'cursor_id', maxPages: 10, signal: ctx.signal }).then((r) => r.items),
          ctx.client.collect<{ name: string }>({ path: `/organization/projects/${encodeURIComponent(target.id)}/service_accounts`, query: { limit: 100 }, style: 'cursor_id', maxPages: 50, signal: ctx.signal }).then((r) => r.items),
        ])
      : [new Set<string>(), undefined, [], []];

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
    return {
      summary: target ? `Complete project ${target.name} (${target.id}).` : `Create project ${args.name} and set it up.`,
      steps,
      warnings,
      nothing: `Project ${target?.name} (${target?.id}) already has everything asked for.`,
    };
  },
});
