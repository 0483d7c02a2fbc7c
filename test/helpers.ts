import { AdminClient, type ClientOptions } from '../src/client/index.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/server.js';

export const TEST_ADMIN_KEY = 'sk-admin-test-0123456789abcdef';

/** A sandbox on 127.0.0.1 and a client for it, with quick retries so fault tests stay short. */
export async function sandboxWithClient(
  sandboxOptions: SandboxOptions = {},
  clientOptions: Partial<ClientOptions> = {},
): Promise<{ sandbox: Sandbox; client: AdminClient; close: () => Promise<void> }> {
  const sandbox = await startSandbox({ retryAfterMs: 20, ...sandboxOptions });
  const client = new AdminClient({
    apiKey: TEST_ADMIN_KEY,
    baseUrl: sandbox.url,
    backoff: { baseMs: 5, maxMs: 40 },
    ...clientOptions,
  });
  return {
    sandbox,
    client,
    close: async () => {
      await client.close();
      await sandbox.close();
    },
  };
}
