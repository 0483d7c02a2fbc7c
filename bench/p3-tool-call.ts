import { join } from 'node:path';
import { Pool } from 'undici';
import { parseConfig } from '../src/config.js';
import { openRuntime } from '../src/runtime.js';
import { BENCH_DIR, BENCH_KEY, CLI, connectStdio, externalSandbox, interleave, median, ms, pairedRatio, projectIdByName, ratio, resultText, spread, table, type Section } from './lib.js';

export async function p3(rounds = 40, latencyMs = 20): Promise<Section> {
  const sandbox = await externalSandbox(latencyMs);
  const session = await connectStdio(CLI, [], { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY });
  const bare = await connectStdio(join(BENCH_DIR, 'bare-server.js'), []);
  // For the decomposition: the same ToolHost and AdminClient the server builds, in this process.
  const runtime = await openRuntime(parseConfig([], { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' }));
  const url = new URL(sandbox.url);
  // The same pool settings as AdminClient: keep-alive, 16 connections.
  const pool = new Pool(url.origin, { connections: 16, keepAliveTimeout: 30_000 });
  try {
    const projectId = await projectIdByName(sandbox.url, 'Atlas');
    const path = `${url.pathname}/organization/projects/${projectId}`;
    const headers = { authorization: `Bearer ${BENCH_KEY}`, accept: 'application/json' };
    // A client lists the tools before calling one (the SDK Client would then validate structuredContent against an outputSchema; endpoint tools list none).
    await session.client.listTools();
    await bare.client.listTools();

    const check = (result: unknown, name: string) => {
      if ((result as { isError?: boolean }).isError || !resultText(result).includes(projectId)) throw new Error(`${name} failed: ${resultText(result)}`);
    };
    const mcp = async () => {
      const started = performance.now();
      const result = await session.client.callTool({ name: 'projects_retrieve', arguments: { project_id: projectId } });
      const elapsed = performance.now() - started;
      check(result, 'projects_retrieve over stdio');
      return elapsed;
    };
    const raw = async () => {
      const started = performance.now();
      const res = await pool.request({ method: 'GET', path, headers });
      const body = (await res.body.json()) as { id?: string };
      const elapsed = performance.now() - started;
      if (res.statusCode !== 200 || body.id !== projectId) throw new Error(`raw GET failed: ${res.statusCode}`);
      return elapsed;
    };
    const host = async () => {
      const started = performance.now();
      const result = await runtime.host.call('projects_retrieve', { project_id: projectId });
      const elapsed = performance.now() - started;
      check(result, 'projects_retrieve in-process');
      return elapsed;
    };
    const client = async () => {
      const started = performance.now();
      await runtime.client.get(`/organization/projects/${projectId}`);
      return performance.now() - started;
    };
    const echo = async () => {
      const started = performance.now();
      await bare.client.callTool({ name: 'echo', arguments: { text: projectId } });
      return performance.now() - started;
    };
    // Warm every path: connections open, code JIT-compiled.
    for (let i = 0; i < 5; i++) for (const f of [mcp, raw, host, client, echo]) await f();
    const samples = await interleave(rounds, { mcp, raw, host, client, echo });
    const r = median(samples.mcp) / median(samples.raw);
    return {
      id: 'P3',
      title: 'One GET tool call over stdio vs a raw undici request',
      method:
        `A sandbox runs in its own process (\`openai-admin-mcp sandbox --latency-ms ${latencyMs}\`). \`node dist/cli.js\` is spawned against it (OPENAI_BASE_URL) and driven by the MCP SDK Client over stdio ` +
        '(tools listed first, as a client does); each sample is one `tools/call` of `projects_retrieve`, from the request to the parsed answer. ' +
        'The baseline is undici `request()` on a keep-alive `Pool` (16 connections, as AdminClient uses) to the same URL with the same headers, body parsed as JSON. ' +
        'To show where the difference goes, three more paths run in the same rounds: `ToolHost.call` and `AdminClient.get` in this process (built by `openRuntime`, same sandbox), and the bare server\'s `echo` tool over stdio (no HTTP at all). ' +
        `5 warm-up calls each, then ${rounds} interleaved rounds.`,
      body: [
        table(
          ['path', 'median (p25–p75)', 'minus the raw request'],
          [
            ['`projects_retrieve` through MCP stdio (the product)', spread(samples.mcp), ms(median(samples.mcp) - median(samples.raw))],
            ['raw undici `request()` (the baseline)', spread(samples.raw), '0'],
            ['`ToolHost.call(projects_retrieve)` in-process (no stdio)', spread(samples.host), ms(median(samples.host) - median(samples.raw))],
            ['`AdminClient.get` in-process', spread(samples.client), ms(median(samples.client) - median(samples.raw))],
            ['bare server `echo` over stdio, no HTTP (the MCP + stdio floor)', spread(samples.echo), '—'],
          ],
        ),
        `Ratio of medians ${ratio(r)}; median of per-round ratios ${ratio(pairedRatio(samples.mcp, samples.raw))}; absolute overhead of the MCP path ${ms(median(samples.mcp) - median(samples.raw))}, ` +
          `of which the stdio/JSON-RPC round trip alone (bare echo) is ${ms(median(samples.echo))}. A ${ratio(1.05)} target at ${latencyMs} ms of latency leaves ${ms(median(samples.raw) * 0.05)} for everything between the client and the HTTP request.`,
      ],
      checks: [{ id: 'P3', what: `GET tool call over stdio / raw undici, ${latencyMs} ms latency`, measured: `${ratio(r)} (${ms(median(samples.mcp))} vs ${ms(median(samples.raw))})`, target: '≤ 1.05×', pass: r <= 1.05 }],
    };
  } finally {
    await pool.close();
    await runtime.close();
    await bare.close();
    await session.close();
    await sandbox.close();
  }
}
