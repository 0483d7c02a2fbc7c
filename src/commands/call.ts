import { UsageError, type ServerConfig } from '../config.js';
import { openRuntime } from '../runtime.js';

/** `openai-admin-mcp call TOOL [JSON]`: one tool call under the server's policy. Exit 0 ok, 1 tool error. */
export async function runCall(config: ServerConfig): Promise<number> {
  const [name, json, extra] = config.args;
  if (!name) throw new UsageError("'call' needs a tool name: openai-admin-mcp call TOOL '{\"arg\": 1}'");
  if (extra !== undefined) throw new UsageError(`Unexpected argument '${extra}': pass the arguments as one JSON object.`);
  const args = parseArguments(name, json);
  const runtime = await openRuntime(config);
  try {
    const result = await runtime.host.call(name, args);
    const out = result.structuredContent ?? result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    if (result.isError) {
      process.stderr.write(`${typeof out === 'string' ? out : JSON.stringify(out)}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

/** A tool's arguments from the command line: one JSON object, or none. */
export function parseArguments(name: string, json: string | undefined): Record<string, unknown> {
  if (json === undefined) return {};
  let args: unknown;
  try {
    args = JSON.parse(json);
  } catch (error) {
    throw new UsageError(`The arguments for ${name} are not valid JSON: ${(error as Error).message}`);
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new UsageError(`The arguments for ${name} must be a JSON object.`);
  return args as Record<string, unknown>;
}
