import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allWorkflows } from './plans/index.js';
import { allComposites } from './reports/index.js';
import { DEFAULT_LISTED } from './server/listing/default-tools.js';
import { TOOLSETS, selectTools, type RegisteredTool } from './server/listing/registry.js';

/**
 * docs/TOOLS.md, generated from the tool registry so it cannot drift from what clients see; a test
 * fails when the committed file is stale. Regenerate with `npm run docs`.
 */
export function renderToolsMarkdown(): string {
  const tools = selectTools({ readOnly: false }, allComposites, allWorkflows);
  const lines = [
    '# Tools',
    '',
    `Generated from the tool registry by \`npm run docs\`; do not edit by hand. ${tools.length} tools: ${tools.filter((t) => t.effect === 'read').length} read, ${tools.filter((t) => t.effect === 'write').length} write, ${tools.filter((t) => t.effect === 'destructive').length} destructive.`,
    '',
    'Destructive tools preview first and need `confirm` (see the README). Every write takes `dry_run`; list tools take `max_items`; list, usage and cost tools take `fields`.',
    '',
    'The default listing shows the tools marked ★ and the meta-tools `search_tools`, `describe_tool` and `call_tool`, which reach every other tool, and `run_script` (scripts whose `api` calls reach the same tools under the same policy); `--toolsets all` lists them all.',
    '',
  ];
  for (const toolset of TOOLSETS) {
    const members = tools.filter((t) => t.toolset === toolset);
    if (members.length === 0) continue;
    lines.push(`## ${toolset}`, '', '| tool | effect | endpoint | arguments | what it does |', '|---|---|---|---|---|');
    for (const tool of members) lines.push(row(tool));
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function row(tool: RegisteredTool): string {
  const required = new Set(tool.inputSchema.required ?? []);
  const args = Object.keys(tool.inputSchema.properties ?? {})
    .filter((name) => !['dry_run', 'confirm', 'max_items', 'fields'].includes(name))
    .map((name) => (required.has(name) ? `**${name}**` : name))
    .join(', ');
  const endpoint = tool.endpoint ? `\`${tool.endpoint.method} ${tool.endpoint.path}\`` : '(composite)';
  const star = tool.composite || DEFAULT_LISTED.has(tool.name) ? ' ★' : '';
  return `| \`${tool.name}\`${star} | ${tool.effect} | ${endpoint} | ${args || '—'} | ${tool.description.replace(/\|/g, '\\|')} |`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL('../../docs/TOOLS.md', import.meta.url));
  writeFileSync(target, renderToolsMarkdown());
  process.stdout.write(`wrote ${target}\n`);
}
