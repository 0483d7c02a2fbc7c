import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { startSandbox } from '../src/sandbox/server.js';

/*
 * Issue 19's twelve look-ups, asked as a new user's agent would, in the two configurations the
 * README recommends (--read-only, --dynamic), counting tool calls and the o200k tokens of what came
 * back. The agent follows the answers it gets: an ID given in a refusal is used, a refusal with no
 * way forward costs the calls it takes to find one. Any build can be measured, so a change is
 * compared with the same script and the same sandbox:
 *
 *   node dist/bench/lookups.js [--cli path/to/dist/cli.js] [--seed N]
 */

const KEY = 'sk-admin-lookups-0123456789abcdef';

interface Tally {
  calls: number;
  tokens: number;
}

type Ask = (tool: string, args: Record<string, unknown>) => Promise<CallToolResult>;

const textOf = (r: CallToolResult) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const data = (r: CallToolResult) => (r.structuredContent ?? {}) as Record<string, any>;
const idIn = (text: string, prefix: string) => new RegExp(`"(${prefix}[A-Za-z0-9]+)"`).exec(text)?.[1] ?? new RegExp(`\\b(${prefix}[A-Za-z0-9]+)\\b`).exec(text)?.[1];

interface Facts {
  spaced: { id: string; name: string };
  plain: { id: string; name: string };
  unlimited: { id: string; name: string };
  keyTail: string;
  staleKey: { id: string; project: string };
  model: string;
}

/** An argument that names a project: tries the name, follows an ID given back, else looks the project up. */
async function withProject(ask: Ask, project: { name: string }, call: (projectId: string) => Promise<CallToolResult>): Promise<CallToolResult> {
  const first = await call(project.name);
  if (!first.isError) return first;
  const given = idIn(textOf(first), 'proj_');
  if (given) return call(given);
  const list = await ask('projects_list', { limit: 100 });
  const found = (data(list).data as Array<{ id: string; name: string }>).find((p) => p.name === project.name);
  return call(found?.id ?? project.name);
}

const LOOKUPS: Array<[string, (ask: Ask, f: Facts, meta: Ask) => Promise<void>]> = [
  ["last month's spend and the top 3 projects", async (ask) => void (await ask('spend_report', { period: 'last_month', group_by: ['project'], top: 3 }))],
  [
    'the project that grew most this month',
    async (ask) => {
      await ask('spend_report', { period: 'this_month', group_by: ['project'], top: 20 });
      await ask('spend_report', { period: 'last_month', group_by: ['project'], top: 20 });
    },
  ],
  ["a key's 30-day cost from the last 4 characters of its value", async (ask, f) => void (await ask('spend_report', { api_key: f.keyTail, period: 'last_30_days' }))],
  ['service accounts whose keys are all stale', async (ask) => void (await ask('access_review', {}))],
  [
    "the organization's owners, and the projects without one",
    async (ask) => {
      await ask('users_list', { limit: 100 });
      await ask('access_review', {});
    },
  ],
  ['the most active person in the audit log', async (ask) => void (await ask('audit_search', { period: 'last_30_days', limit: 100 }))],
  [
    'deleting a stale key',
    async (ask, f, meta) => {
      const search = await meta('search_tools', { query: 'delete project api key' });
      const listed = (data(search).tools ?? []).some((t: { name: string }) => t.name === 'projects_api_keys_delete');
      if (!listed) {
        if (JSON.stringify(data(search).hidden ?? []).includes('projects_api_keys_delete')) return; // told why: stop
        const described = await meta('describe_tool', { name: 'projects_api_keys_delete' });
        if (described.isError && /exists, but/.test(textOf(described))) return;
      }
      await ask('projects_api_keys_delete', { project_id: f.staleKey.project, api_key_id: f.staleKey.id });
    },
  ],
  ["a model's rate limit in a project", async (ask, f) => void (await withProject(ask, f.spaced, (id) => ask('projects_rate_limits_list', { project_id: id, limit: 100 })))],
  ['whether a model is allowed in a project', async (ask, f) => void (await withProject(ask, f.plain, (id) => ask('projects_model_permissions_retrieve', { project_id: id })))],
  ["the organization's data retention", async (ask) => void (await ask('data_retention_retrieve', {}))],
  [
    'the certificates, and where each is active',
    async (ask) => {
      await ask('certificates_list', { limit: 100 });
      const projects = data(await ask('projects_list', { limit: 100 })).data as Array<{ id: string }>;
      for (const p of projects) await ask('projects_certificates_list', { project_id: p.id, limit: 100 });
    },
  ],
  [
    "a project's spend limit, with one set and with none",
    async (ask, f) => {
      await withProject(ask, f.spaced, (id) => ask('projects_spend_limit_retrieve', { project_id: id }));
      await withProject(ask, f.unlimited, (id) => ask('projects_spend_limit_retrieve', { project_id: id }));
    },
  ],
];

async function facts(base: string): Promise<Facts> {
  const get = async (path: string) => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}` } })) as Response;
  const projects = ((await (await get('/organization/projects?limit=100')).json()) as { data: Array<{ id: string; name: string }> }).data;
  const withLimit = async (p: { id: string }) => (await get(`/organization/projects/${p.id}/spend_limit`)).status === 200;
  const spaced = [];
  for (const p of projects) if (p.name.includes(' ') && (await withLimit(p))) spaced.push(p);
  const unlimited = [];
  for (const p of projects) if (!(await withLimit(p))) unlimited.push(p);
  const plain = projects.find((p) => !p.name.includes(' ') && p.name !== 'Default project') ?? (projects[0] as { id: string; name: string });
  const keys = ((await (await get(`/organization/projects/${plain.id}/api_keys?limit=100`)).json()) as { data: Array<{ id: string; redacted_value: string; last_used_at: number | null }> }).data;
  const stale = [...keys].sort((a, b) => (a.last_used_at ?? 0) - (b.last_used_at ?? 0))[0] as { id: string; redacted_value: string };
  return {
    spaced: (spaced[0] ?? projects.find((p) => p.name.includes(' '))) as { id: string; name: string },
    plain,
    unlimited: unlimited[0] as { id: string; name: string },
    keyTail: stale.redacted_value.slice(-4),
    staleKey: { id: stale.id, project: plain.id },
    model: 'gpt-4o',
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const cli = flag('--cli') ?? fileURLToPath(new URL('../cli.js', import.meta.url));
  const seed = Number(flag('--seed') ?? '1');
  const sandbox = await startSandbox({ seed });
  const f = await facts(sandbox.url);
  const rows: string[] = [];
  const totals: Record<string, Tally> = {};
  for (const config of ['--read-only', '--dynamic']) {
    const transport = new StdioClientTransport({ command: process.execPath, args: [cli, config], env: { PATH: process.env.PATH ?? '', OPENAI_ADMIN_KEY: KEY, OPENAI_BASE_URL: sandbox.url }, stderr: 'ignore' });
    const client = new Client({ name: 'lookups', version: '1.0.0' });
    await client.connect(transport);
    const listed = new Set((await client.listTools()).tools.map((t) => t.name));
    const total: Tally = (totals[config] = { calls: 0, tokens: 0 });
    for (const [question, run] of LOOKUPS) {
      const tally: Tally = { calls: 0, tokens: 0 };
      const raw = async (name: string, args: Record<string, unknown>) => {
        const result = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
        tally.calls += 1;
        tally.tokens += encode(textOf(result)).length;
        return result;
      };
      // A tool the listing shows is called by name; any other through call_tool, as a model must.
      const ask: Ask = (tool, args) => (listed.has(tool) ? raw(tool, args) : raw('call_tool', { name: tool, arguments: args }));
      await run(ask, f, raw);
      total.calls += tally.calls;
      total.tokens += tally.tokens;
      rows.push(`| ${config} | ${question} | ${tally.calls} | ${tally.tokens} |`);
    }
    await client.close();
  }
  await sandbox.close();
  console.log([`seed ${seed}, ${cli}`, '| config | look-up | calls | tokens |', '|---|---|---|---|', ...rows, ...Object.entries(totals).map(([c, t]) => `| ${c} | total | ${t.calls} | ${t.tokens} |`)].join('\n'));
}

await main();
