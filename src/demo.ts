import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/*
 * `npm run demo`: starts the MCP server on the built-in sandbox and drives it with the MCP SDK's
 * own client through the jobs people hire it for, printing a transcript a person can read.
 */

const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const day = (unix: number | null | undefined) => (unix ? new Date(unix * 1000).toISOString().slice(0, 10) : 'never');

async function main(): Promise<void> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli, '--sandbox'], stderr: 'ignore' });
  const client = new Client({ name: 'openai-admin-mcp-demo', version: '1.0.0' });
  const started = performance.now();
  await client.connect(transport);
  const { tools } = await client.listTools();
  out(`● Connected to openai-admin-mcp --sandbox over stdio in ${Math.round(performance.now() - started)} ms: ${tools.length} tools.`);
  out(`  ${tools.filter((t) => t.annotations?.readOnlyHint).length} read, ${tools.filter((t) => t.annotations?.destructiveHint).length} destructive (two-step), the rest writes.`);

  const call = async (name: string, args: Record<string, unknown>) => {
    out(`\n→ ${name} ${JSON.stringify(args)}`);
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    if (result.isError) throw new Error(`${name} failed: ${result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')}`);
    return result.structuredContent as Record<string, unknown>;
  };

  out('\n━━ 1. "What did project Atlas spend last month, by line item?"');
  const projects = (await call('projects_list', { limit: 100 })).data as Array<{ id: string; name: string; status: string }>;
  const atlas = projects.find((p) => p.name === 'Atlas');
  if (!atlas) throw new Error('the sandbox has no Atlas project');
  out(`  Atlas is ${atlas.id}.`);
  const now = new Date();
  const firstOfThisMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) / 1000;
  const firstOfLastMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) / 1000;
  const costs = await call('usage_costs', {
    start_time: firstOfLastMonth,
    end_time: firstOfThisMonth,
    project_ids: [atlas.id],
    group_by: ['line_item'],
    limit: 31,
    max_items: 31,
  });
  const byLine = new Map<string, number>();
  for (const bucket of costs.data as Array<{ results: Array<{ line_item: string | null; amount: { value: number } }> }>) {
    for (const r of bucket.results) byLine.set(r.line_item ?? '(other)', (byLine.get(r.line_item ?? '(other)') ?? 0) + r.amount.value);
  }
  const total = [...byLine.values()].reduce((a, b) => a + b, 0);
  out(`  Atlas spent ${usd(total)} in ${new Date(firstOfLastMonth * 1000).toISOString().slice(0, 7)}:`);
  for (const [line, amount] of [...byLine].sort((a, b) => b[1] - a[1]).slice(0, 6)) out(`    ${usd(amount).padStart(12)}  ${line}`);

  out('\n━━ 2. "Who can access the Billing project, and which keys are stale?"');
  const billing = projects.find((p) => p.name === 'Billing');
  if (!billing) throw new Error('the sandbox has no Billing project');
  const members = (await call('projects_users_list', { project_id: billing.id, max_items: 200 })).data as Array<{ name: string; email: string; role: string }>;
  for (const m of members) out(`    ${m.role.padEnd(7)} ${m.name} <${m.email}>`);
  const accounts = (await call('projects_service_accounts_list', { project_id: billing.id, max_items: 200 })).data as Array<{ name: string; role: string }>;
  for (const a of accounts) out(`    ${a.role.padEnd(7)} service account ${a.name}`);
  const keys = (await call('projects_api_keys_list', { project_id: billing.id, max_items: 200 })).data as Array<{ name: string; last_used_at: number | null }>;
  const staleBefore = Date.now() / 1000 - 90 * 86_400;
  for (const k of keys) out(`    key ${k.name.padEnd(24)} last used ${day(k.last_used_at)}${!k.last_used_at || k.last_used_at < staleBefore ? '  ⚠ unused for 90+ days' : ''}`);

  out('\n━━ 3. "Archive the Marketing Copy project" (destructive: preview, then confirm)');
  const marketing = projects.find((p) => p.name === 'Marketing Copy');
  if (!marketing) throw new Error('the sandbox has no Marketing Copy project');
  const preview = await call('projects_archive', { project_id: marketing.id });
  const target = preview.target as { name: string; status: string };
  out(`  Preview: ${String(preview.action)}`);
  out(`  Current state: "${target.name}" is ${target.status}. Nothing has changed yet.`);
  out(`  The server issued a confirmation token valid until ${String(preview.expires_at)}.`);
  const archived = await call('projects_archive', { project_id: marketing.id, confirm: preview.confirmation_token });
  out(`  Confirmed: "${String(archived.name)}" is now ${String(archived.status)}.`);
  const replay = (await client.callTool({ name: 'projects_archive', arguments: { project_id: marketing.id, confirm: preview.confirmation_token } })) as CallToolResult;
  out(`  Replaying the same token is refused: ${replay.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ').split('.')[0]}.`);

  await client.close();
  out('\nDone. Every result above came from the simulated organization (sandbox data).');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
