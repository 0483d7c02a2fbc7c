import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../../src/client/index.js';
import { allComposites } from '../../src/reports/index.js';
import { ToolHost } from '../../src/server/hosts/tool-host.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { DAY, KEY, Truth, type AuditEvent } from './truth.js';
import { testHost } from '../host.js';

/*
 * Acceptance: an administrator's questions, asked through the tools as an ideal agent would ask
 * them, on two seeds. Each answer is compared with ground truth computed by plain HTTP (truth.ts),
 * never with the report code. Every question records its tool calls and the o200k tokens of what
 * came back; organization-wide questions must be answered in at most two calls. The ledger is
 * printed at the end.
 */

/** Monday 2026-11-23 12:00 UTC: sandbox and server share this clock. */
const NOW = Date.UTC(2026, 10, 23, 12) / 1000;
const TODAY = Math.floor(NOW / DAY) * DAY;
const LAST_MONTH = { start: Date.UTC(2026, 9, 1) / 1000, end: Date.UTC(2026, 10, 1) / 1000 };

interface Entry {
  seed: number;
  question: string;
  calls: number;
  tokens: number;
  right: boolean;
}
const ledger: Entry[] = [];

afterAll(() => {
  const rows = ledger.map((e) => `| ${e.seed} | ${e.question} | ${e.calls} | ${e.tokens} | ${e.right ? 'right' : 'WRONG'} |`);
  console.log(['| seed | question | calls | tokens | answer |', '|---|---|---|---|---|', ...rows].join('\n'));
});

const texts = (r: CallToolResult) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe.each([1, 2])('seed %i', (seed) => {
  let sandbox: Sandbox;
  let client: AdminClient;
  let host: ToolHost;
  let truth: Truth;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed, now: () => NOW });
    client = new AdminClient({ apiKey: KEY, baseUrl: sandbox.url, maxRetries: 0 });
    host = testHost(client, { composites: allComposites, now: () => NOW * 1000 });
    truth = new Truth(sandbox.url);
  });
  afterAll(async () => {
    await client.close();
    await sandbox.close();
  });

  /** One question: its calls go through `ask`, which counts them and their tokens. */
  function question(name: string, options: { orgWide?: boolean }, body: (ask: (tool: string, args: Record<string, unknown>) => Promise<CallToolResult>) => Promise<void>): void {
    it(name, async () => {
      const entry: Entry = { seed, question: name, calls: 0, tokens: 0, right: false };
      ledger.push(entry);
      const ask = async (tool: string, args: Record<string, unknown>) => {
        const result = await host.call(tool, args);
        entry.calls += 1;
        entry.tokens += encode(texts(result)).length;
        return result;
      };
      await body(ask);
      if (options.orgWide) expect(entry.calls, 'organization-wide questions take at most 2 calls').toBeLessThanOrEqual(2);
      entry.right = true;
    });
  }

  const okData = <T = Record<string, any>>(r: CallToolResult): T => {
    expect(r.isError, texts(r)).toBeFalsy();
    return r.structuredContent as T;
  };
  const refusedText = (r: CallToolResult): string => {
    expect(r.isError, texts(r)).toBe(true);
    return texts(r);
  };
  const idIn = (label: unknown) => /\(((?:key|proj|user|svc_acct)[^)]*)\)/.exec(String(label))?.[1];
  const cents = (usd: number, micros: number) => expect(Math.abs(usd * 100 - micros / 1e4)).toBeLessThanOrEqual(0.5 + 1e-6);

  // ---- the five wrong answers ----

  question('How much is stored in vector stores (last 7 days)?', {}, async (ask) => {
    const report = okData(await ask('usage_report', { family: 'vector_stores', period: 'last_7_days' }));
    const buckets = await truth.buckets('/organization/usage/vector_stores', TODAY - 7 * DAY, NOW);
    // Today's bucket is still filling: a level's latest value and its average are of complete days.
    const daily = buckets.filter((b) => b.start_time < TODAY).map((b) => b.results.reduce((s, r) => s + ((r.usage_bytes as number) ?? 0), 0));
    expect(report.period.data_through).toBe(`${new Date(TODAY * 1000).toISOString().slice(0, 10)}T00:00Z`);
    expect(report.totals.usage_bytes_latest, 'no false zero from the day still filling').toBeGreaterThan(0);
    expect(report.totals.usage_bytes, 'a level is never summed').toBeUndefined();
    expect(report.totals.usage_bytes_latest).toBe(daily[daily.length - 1]);
    expect(report.totals.usage_bytes_peak).toBe(Math.max(...daily));
    expect(report.totals.usage_bytes_average).toBe(Math.round(daily.reduce((s, v) => s + v, 0) / daily.length));
  });

  question('How did token use per model move over the last 30 days?', { orgWide: true }, async (ask) => {
    const report = okData(await ask('usage_report', {}));
    const first = TODAY - 30 * DAY;
    const weekOf = (day: number) => Math.floor((day - first) / (7 * DAY));
    const byModel = new Map<string, number[]>();
    for (const b of await truth.buckets('/organization/usage/completions', first, NOW, { group_by: ['model'] })) {
      for (const r of b.results) {
        const weeks = byModel.get(r.model as string) ?? [0, 0, 0, 0, 0];
        weeks[weekOf(b.start_time)]! += ((r.input_tokens as number) ?? 0) + ((r.output_tokens as number) ?? 0);
        byModel.set(r.model as string, weeks);
      }
    }
    const total = (weeks: number[]) => weeks.reduce((s, v) => s + v, 0);
    const top = [...byModel.entries()].sort(([, a], [, b]) => total(b) - total(a))[0]!;
    // Weekly steps from the period's first day: five points, not 31 days.
    expect(report.series.step).toBe('week');
    expect(report.series.dates).toHaveLength(5);
    expect(report.series.rows[0].group).toBe(top[0]);
    expect(report.series.rows[0].tokens).toEqual(top[1]);
  });

  question("Every family's default grouping works", {}, async (ask) => {
    for (const family of ['completions', 'embeddings', 'moderations', 'images', 'audio_speeches', 'audio_transcriptions', 'vector_stores', 'code_interpreter_sessions', 'file_search_calls', 'web_search_calls', 'decisions']) {
      okData(await ask('usage_report', { family, period: 'last_7_days' }));
    }
  });

  question('Who has access to the archived project?', {}, async (ask) => {
    const archived = (await truth.projects()).find((p) => p.status === 'archived');
    if (!archived) throw new Error('no archived project');
    const review = okData(await ask('access_review', { project: archived.name }));
    const members = await truth.members(archived.id);
    expect(members.length).toBeGreaterThan(0);
    expect(new Set((review.users as Array<{ email: string }>).map((u) => u.email))).toEqual(new Set(members.map((m) => m.email)));
    expect(review.summary).toContain(`${members.length} user`);
    // Service accounts cannot be listed there: never a bare count.
    expect(review.summary).toMatch(/at least \d+ service account|service accounts unknown/);
    expect((review.unavailable as string[]).join(' ')).toMatch(/service_accounts: .*refused/);
  });

  question('What did API key <name> cost last month?', { orgWide: true }, async (ask) => {
    const keys = await truth.keys();
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(k.name.toLowerCase(), (counts.get(k.name.toLowerCase()) ?? 0) + 1);
    const byKey = new Map<string, number>();
    for (const b of await truth.buckets('/organization/costs', LAST_MONTH.start, LAST_MONTH.end, { group_by: ['api_key_id'] })) {
      for (const r of b.results) if (r.api_key_id) byKey.set(r.api_key_id as string, (byKey.get(r.api_key_id as string) ?? 0) + Math.round(((r.amount as { value: number }).value ?? 0) * 1e6));
    }
    const key = keys.filter((k) => counts.get(k.name.toLowerCase()) === 1 && (byKey.get(k.id) ?? 0) > 0).sort((a, b) => (byKey.get(b.id) ?? 0) - (byKey.get(a.id) ?? 0))[0];
    if (!key) throw new Error('no uniquely named key with costs');
    const report = okData(await ask('spend_report', { api_key: key.name, period: 'last_month' }));
    expect(report.api_key.id).toBe(key.id);
    cents(report.total_usd, await truth.costMicros(LAST_MONTH.start, LAST_MONTH.end, { api_key_ids: [key.id] }));
  });

  question('Spend of an unknown key, a nonexistent key ID and an ambiguous key name', {}, async (ask) => {
    expect(refusedText(await ask('spend_report', { api_key: 'no-such-key-anywhere' }))).toContain("No API key matches 'no-such-key-anywhere'");
    expect(refusedText(await ask('spend_report', { api_key: 'key_doesNotExist0000' }))).toContain('No API key matches');
    const keys = await truth.keys();
    const shared = keys.find((k) => keys.filter((o) => o.name.toLowerCase() === k.name.toLowerCase()).length > 1);
    if (!shared) throw new Error('no shared key name');
    expect(refusedText(await ask('spend_report', { api_key: shared.name }))).toMatch(/matches \d+ API keys: .*project/);
  });

  question('What did <display name> do in the last 90 days?', {}, async (ask) => {
    const users = await truth.users();
    const events = await truth.audit({}, TODAY - 90 * DAY, NOW + 1);
    const actorId = (e: AuditEvent) => e.actor?.session?.user?.id ?? e.actor?.api_key?.user?.id;
    const busiest = users.map((u) => ({ u, n: events.filter((e) => actorId(e) === u.id).length })).sort((a, b) => b.n - a.n)[0];
    if (!busiest || busiest.n === 0) throw new Error('no actor');
    const result = okData(await ask('audit_search', { actor: busiest.u.name, period: 'last_90_days', limit: 100 }));
    expect(result.events.length).toBe(Math.min(100, busiest.n));
  });

  question('Audit search for an unknown actor and an ambiguous name', {}, async (ask) => {
    expect(refusedText(await ask('audit_search', { actor: 'Nobody Atall' }))).toContain("No user or API key matches 'Nobody Atall'");
    const users = await truth.users();
    const prefix = users.map((u) => u.name.slice(0, 1)).find((p, _, all) => all.filter((q) => q === p).length > 1) as string;
    expect(refusedText(await ask('audit_search', { actor: prefix }))).toMatch(/matches \d+ users/);
  });

  question('Periods: rolling ends now, calendar stays calendar, the window is stated', {}, async (ask) => {
    const rolling = okData(await ask('spend_report', { period: 'last_7_days' }));
    // Today's bucket is still filling: the data runs through 00:00 today.
    expect(rolling.period).toEqual({ start: '2026-11-16T00:00Z', end: '2026-11-23T12:00Z', name: 'last_7_days', data_through: '2026-11-23T00:00Z' });
    const calendar = okData(await ask('spend_report', { period: 'last_month' }));
    expect(calendar.period).toEqual({ start: '2026-10-01T00:00Z', end: '2026-11-01T00:00Z', name: 'last_month', data_through: '2026-11-01T00:00Z' });
    cents(calendar.total_usd, await truth.costMicros(LAST_MONTH.start, LAST_MONTH.end));
  });

  // ---- organization-wide in one or two calls ----

  question('Which API keys across all projects have not been used in 90 days?', { orgWide: true }, async (ask) => {
    const first = okData(await ask('access_review', {}));
    const staleCount = Number(/project keys? \((\d+) stale\)/.exec(first.summary)?.[1]);
    const rows: string[] = [...first.keys];
    if (rows.filter((r) => /\| stale( \||$)/.test(r)).length < staleCount && first.next_cursor) {
      rows.push(...okData(await ask('access_review', { cursor: first.next_cursor, max_items: staleCount })).keys);
    }
    const cutoff = NOW - 90 * DAY;
    const expected = (await truth.keys()).filter((k) => (k.last_used_at ?? k.created_at) < cutoff || (k.last_used_at === null && k.created_at < cutoff)).map((k) => k.id);
    expect(new Set(rows.filter((r) => /\| stale( \||$)/.test(r)).map(idIn))).toEqual(new Set(expected));
    expect(staleCount).toBe(expected.length);
  });

  question('Which projects have no owner, and who owns the organization?', { orgWide: true }, async (ask) => {
    const review = okData(await ask('access_review', {}));
    expect(encode(texts(await host.call('access_review', {}))).length, 'organization review ≤ 1,000 tokens').toBeLessThanOrEqual(1_000);
    const ownerless: string[] = [];
    for (const p of await truth.projects()) {
      const direct = (await truth.members(p.id)).filter((m) => m.role === 'owner');
      const groups = await truth.list<{ group_id: string }>(`/organization/projects/${p.id}/groups`);
      let viaGroup = false;
      for (const g of groups) if ((await truth.list<{ name: string }>(`/projects/${p.id}/groups/${g.group_id}/roles`)).some((r) => /owner/i.test(r.name))) viaGroup = true;
      if (direct.length === 0 && !viaGroup) ownerless.push(p.id);
    }
    expect(new Set((review.projects_without_owner as string[]).map(idIn))).toEqual(new Set(ownerless));
    const owners = (await truth.users()).filter((u) => u.role === 'owner').map((u) => `${u.name} <${u.email}>`);
    expect(new Set(review.organization_owners)).toEqual(new Set(owners));
  });

  question('Which projects is user <email> a member of?', { orgWide: true }, async (ask) => {
    const users = await truth.users();
    const groups = await truth.groups();
    // A user in some group, so memberships through groups are exercised.
    const inGroup = new Map<string, string[]>();
    for (const g of groups) for (const u of await truth.list<{ id: string }>(`/organization/groups/${g.id}/users`)) inGroup.set(u.id, [...(inGroup.get(u.id) ?? []), g.id]);
    const user = users.find((u) => inGroup.has(u.id) && u.role !== 'owner') ?? users[3];
    if (!user) throw new Error('no user');
    const expected = new Set<string>();
    for (const p of await truth.projects()) {
      const direct = (await truth.get(`/organization/projects/${p.id}/users/${user.id}`)).status === 200;
      const viaGroups = (await truth.list<{ group_id: string }>(`/organization/projects/${p.id}/groups`)).some((g) => inGroup.get(user.id)?.includes(g.group_id));
      if (direct || viaGroups) expected.add(p.id);
    }
    const review = okData(await ask('access_review', { user: user.email }));
    expect(new Set((review.memberships as Array<{ project: string }>).map((m) => idIn(m.project)))).toEqual(expected);
  });

  question('Which key cost most last month, and whose is it?', { orgWide: true }, async (ask) => {
    const byKey = new Map<string, number>();
    for (const b of await truth.buckets('/organization/costs', LAST_MONTH.start, LAST_MONTH.end, { group_by: ['api_key_id'] })) {
      for (const r of b.results) if (r.api_key_id) byKey.set(r.api_key_id as string, (byKey.get(r.api_key_id as string) ?? 0) + Math.round(((r.amount as { value: number }).value ?? 0) * 1e6));
    }
    const [topId] = [...byKey.entries()].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const key = (await truth.keys()).find((k) => k.id === topId);
    const owner = key?.owner.type === 'user' ? key.owner.user.email : `service account ${key?.owner.service_account.name}`;
    const report = okData(await ask('spend_report', { group_by: ['api_key'], period: 'last_month', top: 1 }));
    const row = report.breakdown[0];
    expect(idIn(row.api_key)).toBe(topId);
    expect(row.api_key).toContain(key?.name);
    expect(row.owner).toBe(owner);
    expect(row.key_project).toBe(key?.project.name);
  });

  question('Who owns project X, including through groups?', {}, async (ask) => {
    const projects = (await truth.projects()).filter((p) => p.status === 'active');
    let chosen: { id: string; name: string } | undefined;
    let owners = new Set<string>();
    for (const p of projects) {
      const set = new Set((await truth.members(p.id)).filter((m) => m.role === 'owner').map((m) => m.email));
      let viaGroup = false;
      for (const g of await truth.list<{ group_id: string }>(`/organization/projects/${p.id}/groups`)) {
        if ((await truth.list<{ name: string }>(`/projects/${p.id}/groups/${g.group_id}/roles`)).some((r) => /owner/i.test(r.name))) {
          viaGroup = true;
          for (const u of await truth.list<{ email: string }>(`/organization/groups/${g.group_id}/users`)) set.add(u.email);
        }
      }
      if (!chosen || viaGroup) [chosen, owners] = [p, set];
      if (viaGroup) break;
    }
    const review = okData(await ask('access_review', { project: chosen?.id, expand_groups: true }));
    const got = new Set<string>([
      ...(review.users as Array<{ email: string; role: string }>).filter((u) => u.role === 'owner').map((u) => u.email),
      ...(review.groups as Array<{ roles: string[]; members: string[] }>).filter((g) => g.roles.some((r) => /owner/i.test(r))).flatMap((g) => g.members),
    ]);
    expect(got).toEqual(owners);
  });

  question('Usage by project names the projects', {}, async (ask) => {
    const report = okData(await ask('usage_report', { group_by: ['project'], period: 'last_month' }));
    const names = new Map((await truth.projects()).map((p) => [p.id, p.name]));
    expect(report.groups.length).toBeGreaterThan(0);
    for (const row of report.groups) expect(row.project).toBe(`${names.get(idIn(row.project) as string)} (${idIn(row.project)})`);
  });

  // ---- find ----

  question('find: a key by name, by redacted tail; an admin key, a service account, an invite, a role', {}, async (ask) => {
    const keys = await truth.keys();
    const unique = keys.find((k) => keys.filter((o) => o.name === k.name).length === 1);
    const tail = (k: { redacted_value: string }) => k.redacted_value.split(/\.{2,}|\*+/).pop() as string;
    const tailed = keys.find((k) => keys.filter((o) => tail(o) === tail(k)).length === 1);
    const admin = (await truth.list<{ id: string; name: string }>('/organization/admin_api_keys'))[0];
    const active = (await truth.projects()).find((p) => p.status === 'active' && p.name !== 'Default project') as { id: string };
    const account = (await truth.list<{ id: string; name: string }>(`/organization/projects/${active.id}/service_accounts`))[0];
    const invite = (await truth.list<{ id: string; email: string }>('/organization/invites'))[0];
    const role = (await truth.list<{ id: string; name: string }>('/organization/roles'))[0];
    const cases: Array<[string, string, string | undefined]> = [
      [unique?.name as string, 'api_key', unique?.id],
      [tail(tailed as { redacted_value: string }), 'api_key', tailed?.id],
      [admin?.name as string, 'admin_key', admin?.id],
      [account?.name as string, 'service_account', account?.id],
      [invite?.email as string, 'invite', invite?.id],
      [role?.name as string, 'role', role?.id],
    ];
    for (const [query, kind, id] of cases) {
      const found = okData(await ask('find', { query, limit: 20 }));
      expect(found.matches.filter((m: { kind: string }) => m.kind === kind).map((m: { id: string }) => m.id), `${kind} '${query}'`).toContain(id);
    }
  });

  // ---- previews, errors, details ----

  question('Remove a member of the archived project (preview)', {}, async (ask) => {
    const archived = (await truth.projects()).find((p) => p.status === 'archived') as { id: string };
    const [member] = await truth.members(archived.id);
    const message = refusedText(await ask('projects_users_delete', { project_id: archived.id, user_id: member?.id }));
    expect(message).toContain('archived');
    expect(message).not.toContain('confirmation_token');
  });

  question('Remove a member with keys: the preview names the keys', {}, async (ask) => {
    const keys = (await truth.keys()).filter((k) => k.owner.type === 'user' && k.project.name !== 'Default project');
    const active = new Set((await truth.projects()).filter((p) => p.status === 'active').map((p) => p.id));
    const key = keys.find((k) => active.has(k.project.id)) as (typeof keys)[number];
    const preview = okData(await ask('projects_users_delete', { project_id: key.project.id, user_id: key.owner.user.id }));
    expect(preview.confirmation_token).toBeTruthy();
    const expected = keys.filter((k) => k.project.id === key.project.id && k.owner.user.id === key.owner.user.id).map((k) => k.id);
    expect(new Set((preview.effects as { keys: { items: Array<{ id: string }> } }).keys.items.map((k) => k.id))).toEqual(new Set(expected));
  });

  question('A refusal for the target\'s state does not ask to fix an argument', {}, async (ask) => {
    const archived = (await truth.projects()).find((p) => p.status === 'archived') as { id: string };
    const message = refusedText(await ask('projects_service_accounts_create', { project_id: archived.id, name: 'ci' }));
    expect(message).toContain('project_archived');
    expect(message).not.toContain("Fix 'project_id'");
  });

  question('A project name where an ID belongs', {}, async (ask) => {
    const billing = (await truth.projects()).find((p) => p.name === 'Billing') as { id: string };
    // Read tools answer for the ID the name exactly names, and say so (issue 19 §4).
    const answer = okData(await ask('projects_retrieve', { project_id: 'Billing' }));
    expect(answer.id).toBe(billing.id);
    expect(answer.resolved.project_id).toBe(`'Billing' is project ${billing.id}`);
  });

  question('Who was invited, with which role?', {}, async (ask) => {
    const result = okData(await ask('audit_search', { event_types: ['invite.sent'], period: 'last_365_days', limit: 10 }));
    const raw = await truth.audit({ 'event_types[]': 'invite.sent' }, TODAY - 365 * DAY, NOW + 1);
    expect(result.events.length).toBe(Math.min(10, raw.length));
    for (const e of result.events) {
      expect(e).not.toHaveProperty('summary');
      const payload = (r: AuditEvent) => r['invite.sent'] as { id: string; data: { email: string; role: string } } | undefined;
      const match = raw.find((r) => payload(r)?.id === e.target);
      expect(e.details).toContain(`email=${match && payload(match)?.data.email}`);
      expect(e.details).toContain(`role=${match && payload(match)?.data.role}`);
    }
  });

  // Last: it writes, which the questions above must not see.
  question("This morning's change is in the last 7 days", {}, async (ask) => {
    const created = await truth.post('/organization/projects', { name: `Acceptance ${seed}` });
    const result = okData(await ask('audit_search', { period: 'last_7_days', event_types: ['project.created'], limit: 100 }));
    expect(result.events.map((e: { target: string }) => e.target)).toContain(created.id);
  });
});
