import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { findNode22, type Node22 } from './node22.js';
import { serveHttp } from '../serve-http.js';

/*
 * The official MCP conformance suite (@modelcontextprotocol/conformance, pinned) against our HTTP
 * server on the sandbox: with sessions, stateless, and behind a bearer token. The suite needs Node 22
 * or later (see node22.ts for where it comes from on Node 20).
 *
 * One run of the whole suite per mode (starting the suite is the slow part), then each scenario's
 * checks are read from its results. The generic scenarios must pass outright. The others test the
 * suite's own fixture server: tools, resources and prompts with names this server does not have
 * (it serves two resources, the report view and the endpoints list), or optional capabilities it does not declare. They are listed below with the reason, and the
 * list must cover every scenario the suite has, so a new one cannot slip by unclassified.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const exec = promisify(execFile);

/** Scenarios any MCP server over Streamable HTTP must pass. */
const GENERIC = ['server-initialize', 'ping', 'tools-list', 'resources-list', 'dns-rebinding-protection', 'server-sse-multiple-streams'] as const;

/** Generic, but about sessions: a stateless server issues none, and the scenario says so. */
const SESSION_ONLY = new Set<string>(['server-sse-multiple-streams']);

const fixtureTool = (tool: string) => `calls the suite's fixture tool ${tool}, which this server does not have`;
const NOT_APPLICABLE: Record<string, string> = {
  'logging-set-level': 'the server declares no logging capability (optional; its logs go to stderr), so logging/setLevel is rightly answered -32601',
  'completion-complete': "completes an argument of the fixture prompt test_prompt_with_arguments; the server declares no completions capability and has no prompts",
  'tools-call-simple-text': `${fixtureTool('test_simple_text')}; it "passes" here only because the unknown-tool error is text content, which proves nothing`,
  'tools-call-error': `${fixtureTool('test_error_handling')}; it "passes" here only because an unknown tool is an isError result, which proves nothing`,
  'tools-call-image': fixtureTool('test_image_content'),
  'tools-call-audio': fixtureTool('test_audio_content'),
  'tools-call-embedded-resource': fixtureTool('test_embedded_resource'),
  'tools-call-mixed-content': fixtureTool('test_multiple_content_types'),
  'tools-call-with-logging': `${fixtureTool('test_tool_with_logging')}, and needs the logging capability`,
  'tools-call-with-progress': fixtureTool('test_tool_with_progress'),
  'tools-call-sampling': `${fixtureTool('test_sampling')}; this server never asks the client to sample`,
  'tools-call-elicitation': `${fixtureTool('test_elicitation')}; this server elicits only to confirm destructive calls`,
  'elicitation-sep1034-defaults': fixtureTool('test_elicitation_sep1034_defaults'),
  'elicitation-sep1330-enums': fixtureTool('test_elicitation_sep1330_enums'),
  'json-schema-2020-12': `${fixtureTool('json_schema_2020_12_tool')} (a pending scenario in the suite)`,
  'server-sse-polling': `${fixtureTool('test_reconnection')}, which closes its stream mid-call to test resumption (a pending scenario in the suite)`,
  'resources-read-text': "reads the fixture resource test://static-text; this server's resources are the report view (ui://openai-admin-mcp/report.html) and the endpoints list (openai-admin://endpoints)",
  'resources-read-binary': "reads the fixture resource test://static-binary; this server's resources are the report view and the endpoints list",
  'resources-templates-read': 'reads the fixture template test://template/{id}/data; the server declares no resource templates',
  'resources-subscribe': 'subscribes to the fixture resource test://watched-resource; the server does not declare resources.subscribe (its resources never change while it runs)',
  'resources-unsubscribe': 'unsubscribes from the fixture resource test://watched-resource; the server does not declare resources.subscribe',
  'prompts-list': 'the server exposes no prompts (the fixture has test_simple_prompt and others)',
  'prompts-get-simple': 'gets the fixture prompt test_simple_prompt; the server exposes no prompts',
  'prompts-get-with-args': 'gets the fixture prompt test_prompt_with_arguments; the server exposes no prompts',
  'prompts-get-embedded-resource': 'gets the fixture prompt test_prompt_with_embedded_resource; the server exposes no prompts',
  'prompts-get-with-image': 'gets the fixture prompt test_prompt_with_image; the server exposes no prompts',
};

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  errorMessage?: string;
}

/** Runs every scenario of the suite against the server at `url`; returns each scenario's checks. */
async function runSuite(node: string, url: string): Promise<Map<string, Check[]>> {
  const out = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  try {
    // The suite exits 1 when any scenario fails, and the fixture scenarios do: read the results.
    await exec(node, [SUITE, 'server', '--url', url, '--suite', 'all', '--output-dir', out], { cwd: out, maxBuffer: 16 << 20 }).catch((error: { code?: number }) => {
      if (error.code !== 1) throw error;
    });
    const results = new Map<string, Check[]>();
    for (const dir of await readdir(out)) {
      const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(dir)?.[1];
      if (!scenario) throw new Error(`unexpected result folder ${dir}`);
      results.set(scenario, JSON.parse(await readFile(join(out, dir, 'checks.json'), 'utf8')) as Check[]);
    }
    return results;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/**
 * The suite has no option to send a token, so a loopback forwarder in front of the server adds
 * `Authorization: Bearer …` to every request and passes everything else (Host and Origin included,
 * which the DNS rebinding scenario depends on) through unchanged, streams too.
 */
async function withBearer(target: string, token: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const proxy = createServer((req, res) => {
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, authorization: `Bearer ${token}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    close: () => new Promise<void>((resolve) => {
      proxy.closeAllConnections();
      proxy.close(() => resolve());
    }),
  };
}

const TOKEN = 'conformance-token-5d1c';
let node: Node22;
beforeAll(async () => {
  node = await findNode22();
  if ('missing' in node && process.env.CI) throw new Error(node.missing);
}, 300_000);

describe('the official MCP conformance suite', () => {
  it('has its suite installed, and no node binary on the npm scripts\' PATH', () => {
    expect(existsSync(SUITE), `${SUITE} is missing: run npm ci`).toBe(true);
    // A node in node_modules/.bin would shadow the project's Node in every npm script.
    expect(existsSync(join(ROOT, 'node_modules/.bin/node'))).toBe(false);
  });

  describe.each([
    ['with sessions', [] as string[], false],
    ['stateless', ['--stateless'], false],
    ['with sessions, behind a bearer token', [], true],
  ])('against the HTTP server %s', (mode, flags, bearer) => {
    it('passes every generic scenario; every other scenario is listed as not applicable, with the reason', async (ctx) => {
      if ('missing' in node) {
        console.warn(`conformance ${mode}: skipped, ${node.missing}`);
        ctx.skip(node.missing);
        return;
      }
      const server = await serveHttp(['--sandbox', ...(bearer ? [] : ['--no-auth']), ...flags], bearer ? { OPENAI_ADMIN_MCP_HTTP_TOKEN: TOKEN } : {});
      const front = bearer ? await withBearer(server.url, TOKEN) : undefined;
      let results: Map<string, Check[]>;
      try {
        if (bearer) {
          // The token is really required: without it the server answers 401.
          const bare = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
          expect(bare.status).toBe(401);
        }
        results = await runSuite(node.path, front?.url ?? server.url);
      } finally {
        await front?.close();
        await server.stop();
      }
      expect([...results.keys()].sort()).toEqual([...GENERIC, ...Object.keys(NOT_APPLICABLE)].sort());

      const generic = GENERIC.filter((s) => !flags.includes('--stateless') || !SESSION_ONLY.has(s));
      const outcome = Object.fromEntries(
        generic.map((scenario) => {
          const checks = results.get(scenario) ?? [];
          const bad = checks.filter((c) => c.status !== 'SUCCESS' && c.status !== 'INFO').map((c) => `${c.id}: ${c.status} ${c.errorMessage ?? ''}`);
          return [scenario, checks.some((c) => c.status === 'SUCCESS') && bad.length === 0 ? 'passed' : bad.join('; ') || 'no check succeeded'];
        }),
      );
      expect(outcome, `conformance ${mode}`).toEqual(Object.fromEntries(generic.map((s) => [s, 'passed'])));
    }, 120_000);
  });
});
