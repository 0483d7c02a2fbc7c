import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { allComposites } from '../../src/reports/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { scriptRunner } from '../../src/scripts/index.js';
import type { ServerDeps } from '../../src/server/hosts/tool-host.js';
import { useSandbox } from '../helpers.js';
import { connectInProcess, testHost } from '../host.js';

/*
 * The escape suite (issue 22 §2): each attempt is made through the MCP SDK's own Client and must end
 * with a clear error, change nothing in the organization, send no request the policy would refuse
 * (the sandbox records every request), and leave the server answering the next call.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 11 }, (started) => ({ sandbox, client } = started));

const host = (deps: Partial<ServerDeps> = {}) => testHost(client, { composites: allComposites, workflows: allWorkflows, scripts: scriptRunner, confirmWith: 'token', ...deps });
const text = (r: CallToolResult) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');

let mcp: Client;
let readOnly: Client;
beforeAll(async () => {
  mcp = await connectInProcess(host());
  readOnly = await connectInProcess(host({ readOnly: true }));
});
afterAll(async () => {
  await mcp.close();
  await readOnly.close();
});

/** The organization's state as a digest of everything the sandbox holds that a write could change. */
function stateNow(): string {
  const s = sandbox.state;
  return JSON.stringify([s.users.size, s.projects.size, s.groups.size, [...s.projectApiKeys.values()].map((m) => m.size), [...s.projects.values()].map((p) => p.status), s.invites.size]);
}

const someUser = () => [...sandbox.state.users.values()][0]?.id as string;
const someKey = () => {
  for (const [projectId, keys] of sandbox.state.projectApiKeys) for (const key of keys.values()) return { projectId, id: key.id };
  throw new Error('no key');
};

/** Runs an escape attempt and checks what every attempt must hold. */
async function attempt(code: string, expected: RegExp, options: { on?: Client; limits?: Record<string, number> } = {}): Promise<string> {
  const before = stateNow();
  const sent = sandbox.requests.length;
  const result = (await (options.on ?? mcp).callTool({ name: 'run_script', arguments: { code, ...options.limits } })) as CallToolResult;
  const message = text(result);
  expect(result.isError, message).toBe(true);
  expect(message).toMatch(expected);
  expect(stateNow()).toBe(before);
  // Reads may go out; nothing else does.
  expect(sandbox.requests.slice(sent).filter((r) => r.method !== 'GET')).toEqual([]);
  // The server keeps serving.
  const after = (await (options.on ?? mcp).callTool({ name: 'projects_list', arguments: { limit: 1 } })) as CallToolResult;
  expect(after.isError, text(after)).toBeFalsy();
  return message;
}

describe('run_script escapes', () => {
  it('host objects are not there: process, require, fetch, timers, WebAssembly', async () => {
    await attempt('process.exit(1)', /ReferenceError: 'process' is not defined/);
    await attempt('require("fs")', /ReferenceError: 'require' is not defined/);
    await attempt('await fetch("http://127.0.0.1/")', /ReferenceError: 'fetch' is not defined/);
    await attempt('setTimeout(() => 1, 1)', /ReferenceError: 'setTimeout' is not defined/);
    await attempt('if (typeof WebAssembly === "undefined" && typeof globalThis.__call === "undefined" && typeof call === "undefined") throw new Error("nothing of the host"); return 1', /Error: nothing of the host/);
  });

  it('constructor.constructor reaches only the isolate', async () => {
    await attempt('const F = (async () => {}).constructor.constructor; return F("return process")()', /'process' is not defined/);
    await attempt('return api.projects_list.constructor("return this")().process.env', /cannot read property 'env' of undefined|undefined/i);
  });

  it("returned data has the isolate's prototypes, not the host's", async () => {
    await attempt('const p = await api.projects_list({ limit: 1 }); return p.constructor.constructor("return process")()', /'process' is not defined/);
    await attempt('const p = await api.projects_list({ limit: 1 }); if (Object.getPrototypeOf(p) === Object.prototype) throw new Error("isolate object"); return 1', /Error: isolate object/);
  });

  it('globalThis tampering cannot change api or what it sends', async () => {
    await attempt('"use strict"; api.projects_list = () => ({ data: [] }); return 1', /TypeError/);
    await attempt('"use strict"; globalThis.api = {}; return 1', /TypeError/);
    // A forged JSON.parse or Object.prototype does not make a write run: it stays a planned step, and the plan is refused under read-only.
    await attempt(`JSON.parse = () => ({ ok: true, data: {} }); Object.prototype.ok = true; await api.users_delete({ user_id: ${JSON.stringify(someUser())} }); return 1`, /users_delete refused: the server is read-only \(--read-only\), so a script cannot add write steps/, { on: readOnly });
  });

  it('an infinite loop ends at the time limit', async () => {
    await attempt('for (;;) {}', /time limit of 1 s \(timeout_s/, { limits: { timeout_s: 1 } });
  });

  it('deep recursion ends with a stack error', async () => {
    await attempt('const f = () => f(); f();', /recursion went too deep/);
    await attempt('return JSON.parse("[".repeat(200000))', /recursion went too deep|SyntaxError/);
  });

  it('memory bombs end at the memory or time limit', async () => {
    await attempt('let s = "x"; for (;;) s += s;', /string too long|out of memory|memory_mb/, { limits: { timeout_s: 2 } });
    await attempt('const a = []; for (;;) a.push(new ArrayBuffer(1 << 20));', /out of memory|time limit/, { limits: { timeout_s: 2, memory_mb: 16 } });
  });

  it('huge results and console floods hit their limits', async () => {
    await attempt('return "x".repeat(3000000)', /result is over 2,000,000 characters/);
    await attempt('for (;;) console.log("x".repeat(1000))', /console output reached its limit/);
  });

  it('a forged confirmation token executes nothing', async () => {
    const user = someUser();
    const before = stateNow();
    const sent = sandbox.requests.length;
    for (const confirm of ['forged', 'eyJ0IjoicnVuX3NjcmlwdCJ9.AAAA']) {
      const result = (await mcp.callTool({ name: 'run_script', arguments: { steps: [{ tool: 'users_delete', args: { user_id: user } }], confirm } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/refused: the token (is malformed|was not issued by this server)/);
    }
    // confirm inside the script is refused too.
    await attempt(`const k = ${JSON.stringify(someKey())}; await api.projects_api_keys_delete({ project_id: k.projectId, key_id: k.id, confirm: "forged" })`, /confirm and dry_run have no place in a script/);
    expect(stateNow()).toBe(before);
    expect(sandbox.requests.slice(sent).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('a script cannot call run_script or the meta-tools', async () => {
    await attempt('await api.run_script({ code: "return 1" })', /run_script cannot be called from a script/);
    await attempt('await api.call_tool({ name: "users_delete", arguments: {} })', /call_tool cannot be called from a script/);
  });

  it('a destructive tool reached by name through any path is planned or refused, never sent', async () => {
    const user = someUser();
    await attempt(`await api["users_delete"]({ user_id: ${JSON.stringify(user)} })`, /users_delete refused: the server is read-only/, { on: readOnly });
    await attempt(`const name = ["users", "delete"].join("_"); await api[name]({ user_id: ${JSON.stringify(user)} })`, /refused: the server is read-only/, { on: readOnly });
    await attempt(`await api.offboard_user({ user: ${JSON.stringify(user)} })`, /offboard_user is a workflow/);
    // Where writes are allowed, the delete becomes a step and nothing is sent until confirmed.
    const before = stateNow();
    const sent = sandbox.requests.length;
    const planned = (await mcp.callTool({ name: 'run_script', arguments: { code: `return await api["users_delete"]({ user_id: ${JSON.stringify(user)} })` } })) as CallToolResult;
    expect(planned.isError, text(planned)).toBeFalsy();
    expect((planned.structuredContent as { plan: { status: string } }).plan.status).toBe('confirmation_required');
    expect(stateNow()).toBe(before);
    expect(sandbox.requests.slice(sent).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('thousands of concurrent promises: bounded in flight, stopped at the call limit', async () => {
    const sent = sandbox.requests.length;
    const [message, other] = await Promise.all([
      attempt('await Promise.all(Array.from({ length: 3000 }, () => api.projects_retrieve({ project_id: "proj_nope" }).catch(() => 0))); await api.projects_list({ limit: 1 });', /limit of 40 API calls \(max_calls/, { limits: { max_calls: 40, timeout_s: 60 } }),
      mcp.callTool({ name: 'users_list', arguments: { limit: 1 } }) as Promise<CallToolResult>,
    ]);
    expect(message).toMatch(/failed after 40 API calls/);
    expect(other.isError, text(other)).toBeFalsy();
    // 40 retrieves (each answered 404; a name check may add a list or two), never 3,000.
    expect(sandbox.requests.length - sent).toBeLessThan(200);
  });
});
