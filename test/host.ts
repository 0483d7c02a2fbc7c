import type { AdminClient } from '../src/client/index.js';
import { createLogger } from '../src/log.js';
import { ToolHost, type ServerDeps } from '../src/server/mcp.js';

/**
 * A ToolHost for in-process tests on the sandbox: a silent logger, writes allowed, a static listing,
 * secrets shown as the sandbox's; `options` override any of it.
 */
export function testHost(client: AdminClient, options: Partial<ServerDeps> = {}): ToolHost {
  return new ToolHost({ client, logger: createLogger({ level: 'silent' }), sandbox: true, readOnly: false, dynamic: false, redactSecrets: false, ...options });
}
