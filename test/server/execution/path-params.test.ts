import type { ZodTypeAny } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import { Rng } from '../../../src/sandbox/rng.js';
import type { RecordedRequest, Sandbox } from '../../../src/sandbox/server.js';
import type { AuditEntry } from '../../../src/server/gate/audit.js';
import type { ToolHost } from '../../../src/server/hosts/tool-host.js';
import { allTools, type RegisteredTool } from '../../../src/server/listing/registry.js';
import { endpointTools } from '../../../tools/index.js';
import { text } from '../../connect.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { pathParams, sampleArguments } from '../sample-args.js';

/*
 * Issue 8 item 1: an ID must never move a request to another endpoint. For every endpoint tool with
 * path parameters (taken from the registry, so tools added later are covered), random and hostile
 * strings in each parameter are either refused before any request, or the request line the sandbox
 * receives has exactly the template's fixed segments in place, the value in its own segment.
 */

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 97 }, { maxRetries: 0 }));
});
afterAll(() => close());

const host = (project?: string) =>
  testHost(client, { confirmWith: 'token', project, audit: { record: (entry) => audit.push(entry) } });

const HOSTILE = [
  '', '.', '..', '...', '%2e', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%252e%252e', '../x', '..%2f', '..%5c', '%2f', '/', '?', '#', '\\', '..\\',
  'a/b', 'a?b=1', 'a#b', '%', '%zz', '%00', 'é', '．．', '\u3002', '\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '😀', ' ', ' .. ', '\u0000', '\r\n',
  '\u202e..', 'x'.repeat(257), 'x'.repeat(100_000), 'abc', 'rl-gpt-3.5-turbo', "a'b(c)*!$&+,;=:@~", 'ft:gpt-4o:org::x',
];
const PIECES = ['.', '..', '%', '%2e', '%2E', '%25', '%2f', '%5C', '/', '?', '#', '\\', ' ', '\t', '\n', '\u0000', 'a', 'Z', '9', '_', '-', '~', ':', '@', '=', '&', '+',
  'é', '．', '\u202e', '😀', '\ud800', '\udc00', 'proj_', 'user-'];

/** Seeded random strings: mostly short compositions of the pieces above, now and then very long. */
function randomValues(rng: Rng, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.05)) {
      out.push(rng.pick(PIECES).repeat(rng.int(200, 5000)));
      continue;
    }
    let value = '';
    for (let n = rng.int(0, 6); n > 0; n--) value += rng.pick(PIECES);
    out.push(value);
  }
  return out;
}

/** Splits a request target into its path segments under /v1. */
function segmentsOf(request: RecordedRequest): string[] {
  const path = request.target.split('?', 1)[0] as string;
  expect(path.startsWith('/v1/'), request.target).toBe(true);
  return path.slice(3).split('/');
}

/** Whether a request line has exactly this template's fixed segments, and each value in its own segment. */
function matchesTemplate(request: RecordedRequest, template: string, args: Record<string, unknown>): boolean {
  const got = segmentsOf(request);
  const want = template.split('/');
  if (got.length !== want.length) return false;
  return want.every((segment, i) => {
    const param = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (!param) return got[i] === segment;
    const raw = got[i] as string;
    return !/^(\.|\.\.)$/.test(raw) && decodeURIComponent(raw) === String(args[param]);
  });
}

/** A `.` or `..` segment in a request target, literal or percent-encoded (independent of the client's own check). */
const hasDotSegment = (target: string) =>
  (target.split('?', 1)[0] as string).split('/').some((segment) => /^(\.|\.\.)$/.test(segment.replace(/%2e/gi, '.')));

const withPathParams = allTools(undefined).filter((t) => t.endpoint && pathParams(t.endpoint.path).length > 0);

describe('every path field is checked', () => {
  it('every endpoint tool declares a validated schema for each path parameter of its templates', () => {
    for (const tool of endpointTools) {
      const declared = Object.keys(tool.input.path ?? {});
      for (const template of [tool.path, tool.target].filter((t): t is string => t !== undefined)) {
        for (const param of pathParams(template)) expect(declared, `${tool.name}: {${param}} in ${template}`).toContain(param);
      }
    }
  });

  it('no path field of any tool accepts a value that could leave its segment', () => {
    for (const tool of endpointTools) {
      for (const [field, schema] of Object.entries((tool.input.path ?? {}) as Record<string, ZodTypeAny>)) {
        for (const value of ['', '.', '..', '%2e%2e', '.%2E', 'a/b', 'a?b', 'a#b', '%', '\\', 'a b', '\ud800', '\u0000', '．．', 'x'.repeat(300)]) {
          expect(schema.safeParse(value).success, `${tool.name}.${field} accepted ${JSON.stringify(value)}`).toBe(false);
        }
        for (const value of ['proj_abc123', 'user-AbC', 'rl-gpt-3.5-turbo', 'ft:gpt-4o:org::x']) {
          expect(schema.safeParse(value).success, `${tool.name}.${field} refused ${value}`).toBe(true);
        }
      }
    }
  });
});

interface Counts {
  refused: number;
  sent: number;
}

/** Runs every path parameter of these tools through the values and checks the property; returns how calls ended. */
async function property(h: ToolHost, tools: readonly RegisteredTool[], valuesFor: () => string[]): Promise<Counts> {
  const counts: Counts = { refused: 0, sent: 0 };
  for (const tool of tools) {
    const endpoint = tool.endpoint;
    if (!endpoint) continue;
    const base = sampleArguments(tool);
    const templates = [endpoint.path, endpoint.target].filter((t): t is string => t !== undefined);
    // Under a project scope, project_id is the server's own and not an argument.
    for (const param of pathParams(endpoint.path).filter((p) => p in tool.input.shape)) {
      for (const value of valuesFor()) {
        const args = { ...base, [param]: value };
        const before = sandbox.requests.length;
        const auditBefore = audit.length;
        let result = await h.call(tool.name, args);
        // A destructive tool previews first; confirming sends the request itself.
        const token = (result.structuredContent as { confirmation_token?: string } | undefined)?.confirmation_token;
        if (token) result = await h.call(tool.name, { ...args, confirm: token });
        const requests = sandbox.requests.slice(before);
        const label = `${tool.name} ${param}=${JSON.stringify(value.slice(0, 60))}`;
        if (requests.length === 0) {
          counts.refused += 1;
          expect(result.isError, label).toBe(true);
          expect(text(result), label).toMatch(new RegExp(`Invalid arguments for ${tool.name}`));
          if (tool.effect !== 'read') expect(audit.slice(auditBefore).map((e) => e.outcome).at(-1), label).toBe('refused');
          continue;
        }
        counts.sent += 1;
        const fixed = { ...args, ...tool.fixed };
        for (const request of requests) {
          // After a 404 the executor looks names up (is the argument a name, not an ID?) in fixed list endpoints.
          // A preview also reads what the API's rules depend on (the project a member is removed from):
          // any GET endpoint whose path parameters are all among the call's, filled in the same way.
          if (request.method === 'GET' && LOOKUP_PATHS.has(request.target.split('?')[0] as string)) continue;
          const reads = endpointTools.filter((t) => t.method === 'GET' && pathParams(t.path).every((p) => p in fixed)).map((t) => t.path);
          expect([...templates, ...reads].some((t) => matchesTemplate(request, t, fixed)), `${label} sent ${request.method} ${request.target.slice(0, 200)}`).toBe(true);
          expect(hasDotSegment(request.target), label).toBe(false);
        }
      }
    }
  }
  return counts;
}

describe('property: hostile IDs never reach another endpoint', () => {
  it(`holds for ${withPathParams.length} tools, every path parameter, fixed and seeded random values`, async () => {
    expect(withPathParams.length).toBeGreaterThan(60);
    const rng = new Rng('path-params');
    const counts = await property(host(), withPathParams, () => [...HOSTILE, ...randomValues(rng, 16)]);
    // Both branches were exercised: hostile values refused, ordinary ones sent.
    expect(counts.refused).toBeGreaterThan(1000);
    expect(counts.sent).toBeGreaterThan(100);
  }, 300_000);

  it('holds under --project scoping for the parameters that remain', async () => {
    const project = [...sandbox.state.projects.values()].find((p) => p.status === 'active');
    const scoped = host(project?.id);
    const tools = allTools(project?.id).filter((t) => t.endpoint && pathParams(t.endpoint.path).some((p) => p in t.input.shape));
    expect(tools.length).toBeGreaterThan(20);
    const counts = await property(scoped, tools, () => HOSTILE);
    expect(counts.refused).toBeGreaterThan(100);
    expect(counts.sent).toBeGreaterThan(20);
  }, 300_000);
});

describe('the client guard behind validation', () => {
  it('refuses a dot segment the schema never saw (a fixed project scope) and audits it', async () => {
    const tool = 'projects_users_update';
    const before = sandbox.requests.length;
    const result = await host('..').call(tool, { user_id: 'user-abc', role: 'owner' });
    expect(sandbox.requests.length).toBe(before);
    expect(text(result)).toMatch(/projects_users_update refused: Refused path .*dot segment/);
    expect(audit.at(-1)).toMatchObject({ tool, outcome: 'refused', decision: 'unsafe_path' });
  });
});

/** List endpoints with no path parameter, as the sandbox receives them: where name lookups go. */
const LOOKUP_PATHS = new Set(endpointTools.filter((t) => t.method === 'GET' && !t.path.includes('{')).map((t) => `/v1${t.path}`));
