import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, type ServerConfig } from '../config.js';
import { openRuntime } from '../runtime.js';
import { standaloneHtml, VIEW_TOOLS } from '../views/resource.js';
import { parseArguments } from './call.js';

/**
 * `openai-admin-mcp view TOOL [JSON] --out FILE.html`: runs a report under the server's policy and
 * writes its view as one HTML file with the result embedded, for people without an MCP Apps host.
 * Prints the file's path. Exit 0 ok, 1 on a tool error (nothing is written then).
 */
export async function runView(config: ServerConfig): Promise<number> {
  const [name, json, extra] = config.args;
  const tools = [...VIEW_TOOLS].join(', ');
  if (!name) throw new UsageError(`'view' needs a tool name (${tools}): openai-admin-mcp view spend_report '{"period":"last_month"}' --out spend.html`);
  if (!VIEW_TOOLS.has(name)) throw new UsageError(`${name} has no view; 'view' takes one of ${tools}.`);
  if (extra !== undefined) throw new UsageError(`Unexpected argument '${extra}': pass the arguments as one JSON object.`);
  if (!config.out) throw new UsageError(`'view' needs --out FILE.html: where to write the page.`);
  const args = parseArguments(name, json);
  const runtime = await openRuntime(config);
  try {
    const result = await runtime.host.call(name, args);
    if (result.isError || !result.structuredContent) {
      process.stderr.write(`${result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')}\n`);
      return 1;
    }
    const path = resolve(config.out);
    writeFileSync(path, standaloneHtml(name, args, result.structuredContent));
    process.stdout.write(`${path}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
