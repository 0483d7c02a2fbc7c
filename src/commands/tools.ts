import type { ServerConfig } from '../config.js';
import { openRuntime } from '../runtime.js';

/** `openai-admin-mcp tools [--json]`: the tools the current flags expose. Needs no key. */
export async function runTools(config: ServerConfig): Promise<number> {
  const runtime = await openRuntime({ ...config, sandbox: false }, { requireKey: false });
  try {
    const host = await runtime.toolHost();
    const tools = host.exposed;
    if (config.json) {
      process.stdout.write(`${JSON.stringify(host.listTools(), null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...tools.map((t) => t.name.length), 4);
    const lines = tools.map((t) => `${t.name.padEnd(width)}  ${t.effect.padEnd(11)}  ${t.endpoint ? `${t.endpoint.method} ${t.endpoint.path}` : `(${t.toolset})`}`);
    process.stdout.write(`${lines.join('\n')}\n${tools.length} tools\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
