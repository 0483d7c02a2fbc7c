import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import type { AuditEntry } from '../../../src/server/gate/audit.js';
import { ToolHost } from '../../../src/server/hosts/tool-host.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { text } from '../../connect.js';
import { until } from '../../wait.js';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
let host: ToolHost;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 63, latencyMs: 250 }));
  host = testHost(client, { audit: { record: (e) => void audit.push(e) } });
  // Warm the connection pool, so the cancellation below lands while the create is on the wire.
  await client.get('/organization/projects', { limit: 1 });
});
afterAll(() => close());

describe('a write cancelled while in flight', () => {
  it('says the write may have happened, and the audit line agrees', async () => {
    const name = 'cancelled-in-flight-7d1';
    const controller = new AbortController();
    // Cancel once the sandbox has the request (it answers 250 ms later), not after a guessed delay.
    const seen = sandbox.requests.length;
    void until(() => sandbox.requests.slice(seen).some((r) => r.method === 'POST')).then(() => controller.abort());
    const result = await host.call('projects_create', { name }, { signal: controller.signal });
    expect(result.isError).toBe(true);

    // The request had gone out: the sandbox makes the project although the caller stopped waiting.
    await until(() => sandbox.requests.slice(seen).some((r) => r.method === 'POST' && r.processed));
    expect([...sandbox.state.projects.values()].some((p) => p.name === name)).toBe(true);

    expect(text(result)).toMatch(/may have happened/);
    const line = audit.find((e) => e.tool === 'projects_create' && e.phase === 'result');
    expect(line?.may_have_happened).toBe(true);
  });

  it('a write cancelled before it was sent still says nothing changed', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await host.call('projects_create', { name: 'never-sent-9c2' }, { signal: controller.signal });
    expect(result.isError).toBe(true);
    expect(text(result)).not.toMatch(/may have happened/);
  });
});
