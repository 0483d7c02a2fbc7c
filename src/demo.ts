import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { effectiveHints } from './server/listing/annotations.js';
import { standaloneHtml } from './views/resource.js';

/*
 * `npm run demo`: starts the MCP server on the built-in sandbox and drives it with the MCP SDK's
 * own client through the jobs people hire it for, printing a transcript a person can read.
 */

const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

async function main(): Promise<void> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli, '--sandbox'], stderr: 'ignore' });
  const client = new Client({ name: 'openai-admin-mcp-demo', version: '1.0.0' });
  const started = performance.now();
  await client.connect(transport);
  const { tools } = await client.listTools();
  out(`● Connected to openai-admin-mcp --sandbox over stdio in ${Math.round(performance.now() - started)} ms: ${tools.length} tools listed, the default that fits every host.`);
  const hints = tools.map((t) => effectiveHints(t.annotations));
  out(`  ${hints.filter((h) => h.readOnlyHint).length} read-only, ${hints.filter((h) => !h.readOnlyHint && h.destructiveHint).length} that may destroy (two steps: preview, then confirm), the rest writes;`);
  out('  every other Admin API operation is one call_tool away (search_tools finds it).');

  const call = async (name: string, args: Record<string, unknown>) => {
    // Tokens are long and opaque; the transcript shows their start.
    const short = (a: Record<string, unknown>) => (typeof a.confirm === 'string' ? { ...a, confirm: `${a.confirm.slice(0, 16)}…` } : a);
    const inner = args.arguments as Record<string, unknown> | undefined;
    const shown = inner ? { ...args, arguments: short(inner) } : short(args);
    out(`\n→ ${name} ${JSON.stringify(shown)}`);
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    if (result.isError) throw new Error(`${name} failed: ${result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')}`);
    return result.structuredContent as Record<string, unknown>;
  };

  out('\n━━ 1. "What did project Atlas spend last month, by line item?"');
  const spendArgs = { project: 'atlas', period: 'last_month', group_by: ['line_item'], top: 6, daily: true };
  const spend = await call('spend_report', spendArgs);
  const period = spend.period as { start: string; end: string };
  const project = spend.project as { id: string; name: string };
  out(`  ${project.name} (${project.id}) spent ${usd(spend.total_usd as number)} from ${period.start} to ${period.end} (end exclusive):`);
  for (const row of spend.breakdown as Array<{ line_item: string; usd: number; share: string }>) out(`    ${usd(row.usd).padStart(12)}  ${row.share.padStart(6)}  ${row.line_item}`);
  const other = spend.other as { rows: number; usd: number } | undefined;
  if (other) out(`    ${usd(other.usd).padStart(12)}          ${other.rows} more line items`);
  // The same answer as a chart, for anyone without an MCP Apps host to render the report view.
  const page = join(tmpdir(), 'openai-admin-mcp-spend.html');
  writeFileSync(page, standaloneHtml('spend_report', spendArgs, spend));
  out(`  As a chart: ${page} (open it in a browser; it needs no network)`);

  out('\n━━ 2. "Who can access the Billing project, and which keys are stale?"');
  const review = await call('access_review', { project: 'Billing' });
  out(`  ${String(review.summary)}`);
  for (const u of review.users as Array<{ name: string; email: string; role: string }>) out(`    ${u.role.padEnd(7)} ${u.name} <${u.email}>`);
  for (const g of review.groups as Array<{ name: string; roles: string[] }>) out(`    group   ${g.name} (${g.roles.join(', ')})`);
  for (const a of review.service_accounts as Array<{ name: string; role: string }>) out(`    ${a.role.padEnd(7)} service account ${a.name}`);
  for (const k of review.keys as Array<{ name: string; owner: string; last_used: string; stale?: boolean }>) {
    out(`    key ${k.name.padEnd(14)} owner ${k.owner.padEnd(36)} last used ${k.last_used}${k.stale ? '  ⚠ stale' : ''}`);
  }
  for (const flag of review.flags as string[]) out(`  ⚑ ${flag}`);

  out('\n━━ 3. "Archive the Marketing Copy project" (destructive: preview, then confirm, through call_tool)');
  const found = await call('find', { query: 'Marketing Copy', kinds: ['project'] });
  const marketing = (found.matches as Array<{ id: string; name: string }>)[0];
  if (!marketing) throw new Error('the sandbox has no Marketing Copy project');
  out(`  find resolved "Marketing Copy" to ${marketing.id}.`);
  // projects_archive is not in the default listing: call_tool reaches it under the same policy.
  const preview = await call('call_tool', { name: 'projects_archive', arguments: { project_id: marketing.id } });
  const target = preview.target as { name: string; status: string };
  out(`  Preview: ${String(preview.action)}`);
  out(`  Current state: "${target.name}" is ${target.status}. Nothing has changed yet.`);
  out(`  The server issued a confirmation token valid until ${String(preview.expires_at)}.`);
  const archived = await call('call_tool', { name: 'projects_archive', arguments: { project_id: marketing.id, confirm: preview.confirmation_token } });
  out(`  Confirmed: "${String(archived.name)}" is now ${String(archived.status)}.`);
  const replay = (await client.callTool({ name: 'call_tool', arguments: { name: 'projects_archive', arguments: { project_id: marketing.id, confirm: preview.confirmation_token } } })) as CallToolResult;
  out(`  Replaying the same token is refused: ${replay.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ').split('.')[0]}.`);

  await client.close();
  out('\nDone. Every result above came from the simulated organization (sandbox data).');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
