import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/sandbox/routes/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { registerEndpoint } from '../../src/server/listing/registry.js';
import { endpointTools } from '../../tools/index.js';
import { describeOperation, endpointDrift, toolProblem, toolsWithoutOperation, type ToolEndpoint } from './drift.js';
import { runtimeMethods, sdkClient, sdkOperations, sdkVersion, type SdkOperation } from './sdk.js';

/*
 * The pinned `openai` SDK is the reference for which Admin API operations exist. Every admin method
 * is called through a recording fetch and mapped to METHOD and path; every such endpoint must have
 * exactly one tool (by its `_meta["openai-admin/endpoint"]`) and a sandbox route, and nothing may
 * exist that the SDK lacks. Bumping the SDK to a version with new admin methods fails here, naming
 * each new method.
 */

const operations = await sdkOperations();
const label = (op: SdkOperation) => describeOperation(op);

const tools: ToolEndpoint[] = endpointTools.map((tool) => {
  const endpoint = registerEndpoint(tool)?.meta?.['openai-admin/endpoint'];
  return { name: tool.name, endpoint: typeof endpoint === 'string' ? endpoint : undefined };
});

describe(`the SDK (openai ${sdkVersion}) walked`, () => {
  it('maps every admin method to one request with a distinct endpoint', () => {
    // A walk that found nothing, or two methods on one endpoint, would make the checks below vacuous.
    expect(operations.length).toBeGreaterThan(100);
    const byEndpoint = new Map<string, string[]>();
    for (const op of operations) byEndpoint.set(op.endpoint, [...(byEndpoint.get(op.endpoint) ?? []), op.label]);
    expect([...byEndpoint].filter(([, labels]) => labels.length > 1)).toEqual([]);
    for (const op of operations) expect(op.path, op.label).toMatch(/^\/(organization|projects)\//);
  });
});

describe(`every SDK operation has exactly one tool (openai ${sdkVersion})`, () => {
  it.each(operations.map((op) => [label(op), op] as const))('%s', (_name, op) => {
    const problem = toolProblem(op, tools);
    expect(problem, problem ?? '').toBeNull();
  });

  it('no tool has an endpoint the SDK lacks', () => {
    expect(toolsWithoutOperation(operations, tools, sdkVersion)).toEqual([]);
  });
});

describe('the drift check itself', () => {
  const known = operations.slice(0, 3);
  const matching = known.map((op, i) => ({ name: `tool_${i}`, endpoint: op.endpoint }));

  it('passes when the tools match the SDK', () => {
    expect(endpointDrift(known, matching, 'x')).toEqual([]);
  });

  it('names a method a newer SDK adds', () => {
    const added = { label: 'externalKeys.rotate', endpoint: 'POST /organization/external_keys/{external_key_id}/rotate' };
    expect(endpointDrift([...known, added], matching, '9.9.9')).toEqual([
      'POST /organization/external_keys/{external_key_id}/rotate (externalKeys.rotate) has no tool',
    ]);
  });

  it('names a tool whose endpoint the SDK lacks, a duplicate, and a tool with other path parameter names', () => {
    const [first, second] = known as [SdkOperation, SdkOperation];
    const renamed = { label: 'groups.retrieve', endpoint: 'GET /organization/groups/{group_id}' };
    expect(
      endpointDrift(
        [first, second, renamed],
        [
          { name: 'a', endpoint: first.endpoint },
          { name: 'b', endpoint: first.endpoint },
          { name: 'c', endpoint: second.endpoint },
          { name: 'groups_retrieve', endpoint: 'GET /organization/groups/{id}' },
          { name: 'gone', endpoint: 'GET /organization/gone' },
        ],
        '9.9.9',
      ),
    ).toEqual([
      `${label(first)} has 2 tools: a, b`,
      'GET /organization/groups/{group_id} (groups.retrieve) has no tool; groups_retrieve has the same route as GET /organization/groups/{id}: name its path parameters as the SDK does',
      'groups_retrieve (GET /organization/groups/{id}) has an endpoint the SDK 9.9.9 lacks',
      'gone (GET /organization/gone) has an endpoint the SDK 9.9.9 lacks',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The SDK against the sandbox, over real HTTP

describe(`the sandbox routes every request of the SDK (openai ${sdkVersion})`, () => {
  let sandbox: Sandbox;
  let calls: Map<string, (args: unknown[]) => Promise<unknown>>;
  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 1 });
    calls = new Map(runtimeMethods(sdkClient({ baseURL: sandbox.url })).map((m) => [m.label, m.call]));
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('has no route the SDK lacks', () => {
    const routes = allRoutes.map((r) => ({ name: `sandbox route ${r.method} ${r.path}`, endpoint: `${r.method} ${r.path}` }));
    expect(toolsWithoutOperation(operations, routes, sdkVersion)).toEqual([]);
  });

  // Placeholder IDs answer 404 ("No … found") and placeholder fields 400: both show the request was
  // routed and validated. An unrouted path (404 "Invalid URL"), a wrong method (405), a failure
  // (5xx) or a refused key (401) shows it was not.
  it.each(operations.map((op) => [label(op), op] as const))('%s', async (_name, op) => {
    const call = calls.get(op.label);
    if (!call) throw new Error(`${op.label} is missing from the client pointed at the sandbox`);
    const before = sandbox.requests.length;
    let status = 200;
    let message = '';
    try {
      await call(op.args);
    } catch (error) {
      if (!(error instanceof APIError) || error.status === undefined) throw error;
      status = error.status;
      message = error.message;
    }
    const received = sandbox.requests.slice(before);
    expect(received, `${label(op)}: requests the sandbox received`).toHaveLength(1);
    const request = received[0] as Sandbox['requests'][number];
    expect(`${request.method} ${request.path}`, 'the request the sandbox received').toMatch(templateMatcher(op));
    const outcome = `${label(op)} answered ${status} ${message}`;
    expect(/Invalid URL/.test(message), outcome).toBe(false);
    expect([200, 400, 404, 409], outcome).toContain(status);
  });
});

/** The concrete `METHOD /path` of a request sent for this operation. */
function templateMatcher(op: SdkOperation): RegExp {
  const literal = op.endpoint.split(/\{[^}]*\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('[^/]+')}$`);
}
