import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ZodTypeAny } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allWorkflows } from '../../src/plans/index.js';
import { allComposites } from '../../src/reports/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { allTools, type RegisteredTool } from '../../src/server/listing/registry.js';
import { sampleArguments, sampleValue } from '../server/sample-args.js';
import { CLI, connectStdio, text, type Connected } from './connect.js';

/*
 * Issue 8 item 3: hostile argument values, sent through the MCP SDK's own Client over stdio to the
 * built server with --audit-log on, for every tool there is (endpoint tools and reports). Nothing may
 * become an internal error (-32603), the server must stay up, every refused write must leave an audit
 * line, and no request may leave with a dot segment.
 */

const KEY = 'sk-admin-hostile-fuzz-77c1';
let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 89 });
  // Every audit line is fsynced; on tmpfs that costs nothing, so thousands of refusals stay quick.
  dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'oamcp-fuzz-'));
});
afterAll(() => sandbox.close());

const env = () => ({ OPENAI_ADMIN_KEY: KEY, OPENAI_BASE_URL: sandbox.url });

/** Nested `levels` deep, objects and arrays alternating, built without recursion. */
function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

const protoKeys = () => JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as Record<string, unknown>;

/** Hostile values for one field, chosen by what the field would accept. */
function hostileValues(field: ZodTypeAny): unknown[] {
  const sample = sampleValue(field);
  const values: unknown[] = [5, 0.5, true, null, [], {}, '\ud800', 'ok\udfffok', '..', '%2e%2e', '.', '', nested(3_000), protoKeys(), ['\ud800'], { toString: 'x' }];
  if (typeof sample === 'number') values.push('NaN', 'Infinity', 1e308, -1e308, 2 ** 53 + 1, -0);
  if (Array.isArray(sample)) values.push([nested(3_000)], [protoKeys()], Array.from({ length: 2_000 }, () => '..'));
  return values;
}

/** Whole-argument cases: extra or hostile keys, deep and huge values, many keys. */
function hostileArguments(base: Record<string, unknown>, first: string | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [
    Object.assign(JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>, base),
    { ...base, constructor: { prototype: { polluted: true } } },
    { ...base, deep: nested(3_000) },
    { ...base, constructor: 1 },
    Object.fromEntries(Array.from({ length: 3_000 }, (_v, i) => [`k${i}`, i])),
  ];
  if (first !== undefined) {
    out.push({ ...base, [first]: 'x'.repeat(300_000) });
    out.push({ ...base, [first]: 'y'.repeat(100_000) });
  }
  return out;
}

interface Tally {
  calls: number;
  internalErrors: number;
  protocolErrors: Map<number, number>;
  refusedWrites: number;
  auditedRefusals: number;
}

/** Reads what was appended to a file since the last read. */
function tail(file: string): () => string {
  let offset = 0;
  return () => {
    const size = statSync(file).size;
    if (size <= offset) return '';
    const buffer = Buffer.alloc(size - offset);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    return buffer.toString('utf8');
  };
}

describe('hostile arguments over stdio, every tool, --audit-log on', () => {
  let server: Connected;
  let file: string;
  beforeAll(async () => {
    file = join(dir, 'audit.jsonl');
    server = await connectStdio(['--toolsets', 'all', '--audit-log', file], env());
  });
  afterAll(() => server.close());

  it('never answers -32603, audits every refused write, sends no dot segment, and stays up', async () => {
    const everyTool = allTools(undefined, [...allComposites], [...allWorkflows]);
    const listed = (await server.client.listTools()).tools.map((t) => t.name).sort();
    expect(listed).toEqual(everyTool.map((t) => t.name).sort());
    // Endpoint tools and reports. The workflows write their audit lines per step, under the steps'
    // names, so the per-tool audit checks below do not apply to them as written: not fuzzed here yet.
    const tools = everyTool.filter((t) => !t.workflow);

    const readAudit = tail(file);
    const tally: Tally = { calls: 0, internalErrors: 0, protocolErrors: new Map(), refusedWrites: 0, auditedRefusals: 0 };
    const firstRequest = sandbox.requests.length;

    const call = async (tool: RegisteredTool, args: unknown, label: string) => {
      tally.calls += 1;
      const sentBefore = sandbox.requests.length;
      let result: CallToolResult | undefined;
      try {
        result = (await server.client.callTool({ name: tool.name, arguments: args as Record<string, unknown> }, undefined, { timeout: 20_000 })) as CallToolResult;
      } catch (error) {
        if (!(error instanceof McpError)) throw error;
        if (error.code === -32603) tally.internalErrors += 1;
        tally.protocolErrors.set(error.code, (tally.protocolErrors.get(error.code) ?? 0) + 1);
        expect.soft(error.code, `${label}: ${error.message}`).not.toBe(-32603);
        return;
      }
      const lines = readAudit()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { tool: string; outcome: string; phase: string });
      if (tool.effect === 'read') {
        expect(lines, label).toEqual([]);
        return;
      }
      // Every write attempt leaves a line; one refused before anything was sent leaves a final "refused".
      expect(lines.length, label).toBeGreaterThan(0);
      expect(lines.every((l) => l.tool === tool.name), label).toBe(true);
      if (result.isError && sandbox.requests.length === sentBefore) {
        tally.refusedWrites += 1;
        expect(lines.at(-1), `${label}: ${text(result).slice(0, 300)}`).toMatchObject({ phase: 'final', outcome: 'refused' });
        tally.auditedRefusals += 1;
      }
    };

    for (const tool of tools) {
      const base = sampleArguments(tool);
      const shape = tool.input.shape as Record<string, ZodTypeAny>;
      for (const [field, schema] of Object.entries(shape)) {
        for (const [i, value] of hostileValues(schema).entries()) await call(tool, { ...base, [field]: value }, `${tool.name}.${field} #${i}`);
      }
      const first = Object.keys(shape)[0];
      for (const [i, args] of hostileArguments(base, first).entries()) await call(tool, args, `${tool.name} whole #${i}`);
      // Not an object at all: the tool's validation refuses it like any other bad argument.
      for (const [i, args] of [[], 'x', 5, null, [nested(3_000)]].entries()) await call(tool, args, `${tool.name} not an object #${i}`);
    }

    const dotted = sandbox.requests.slice(firstRequest).filter((r) => (r.target.split('?', 1)[0] as string).split('/').some((s) => /^\.{1,2}$/.test(s.replace(/%2e/gi, '.'))));
    const figures = {
      hostile_calls: tally.calls,
      internal_errors_32603: tally.internalErrors,
      protocol_errors: Object.fromEntries(tally.protocolErrors),
      refused_writes: tally.refusedWrites,
      audited_refusals: tally.auditedRefusals,
      requests_sent: sandbox.requests.length - firstRequest,
      requests_with_dot_segment: dotted.length,
    };
    process.stderr.write(`hostile fuzz: ${JSON.stringify(figures)}\n`);
    expect(tally.internalErrors).toBe(0);
    expect(dotted).toEqual([]);
    expect(tally.auditedRefusals).toBe(tally.refusedWrites);
    expect(tally.refusedWrites).toBeGreaterThan(1_000);

    // Still up, and no prototype was polluted on the way.
    const list = (await server.client.callTool({ name: 'projects_list', arguments: {} })) as CallToolResult;
    expect(list.isError, text(list)).toBeFalsy();
    expect(text(list)).not.toMatch(/polluted/);
    expect(server.stderr()).not.toMatch(/Maximum call stack|RangeError|TypeError|URIError/);
  }, 600_000);
});

describe('dynamic mode: call_tool passes the same door', () => {
  it('refuses hostile arguments inside call_tool with a clear message and audits them under the named tool', async () => {
    const file = join(dir, 'dynamic.jsonl');
    const server = await connectStdio(['--dynamic', '--audit-log', file], env());
    try {
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['projects_create', { name: nested(3_000) }, /name: is nested more than 32 levels deep/],
        ['projects_create', { name: 'z'.repeat(300_000) }, /larger than 256 KB/],
        ['projects_users_update', { project_id: '\ud800', user_id: 'user-1', role: 'owner' }, /project_id: holds a lone surrogate/],
        ['projects_users_update', { project_id: '..', user_id: 'user-1', role: 'owner' }, /project_id '\.\.' is not an ID/],
        ['projects_spend_limit_delete', { project_id: '%2e%2e' }, /project_id '%2e%2e' is not an ID/],
      ];
      const before = sandbox.requests.length;
      for (const [name, args, message] of cases) {
        const result = (await server.client.callTool({ name: 'call_tool', arguments: { name, arguments: args } })) as CallToolResult;
        expect(result.isError).toBe(true);
        expect(text(result)).toMatch(message);
      }
      const deep = (await server.client.callTool({ name: 'call_tool', arguments: nested(3_000) as Record<string, unknown> }).catch((e: unknown) => e)) as CallToolResult;
      expect(deep.isError).toBe(true);
      expect(sandbox.requests.length).toBe(before);
      const audit = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(audit.map((l) => [l.tool, l.outcome])).toEqual(cases.map(([name]) => [name, 'refused']));
    } finally {
      await server.close();
    }
  });
});

describe('a raw JSON-RPC message nested far deeper than any client would send', () => {
  it('is refused with a clear message and audited, and the server answers the next call', async () => {
    const file = join(dir, 'raw.jsonl');
    const child = spawn(process.execPath, [CLI, '--audit-log', file], { env: { PATH: process.env.PATH ?? '', ...env() }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const answer = (id: number) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const check = () => {
          for (const line of stdout.split('\n')) {
            if (!line.trim()) continue;
            const message = JSON.parse(line) as { id?: number };
            if (message.id === id) return resolve(message as Record<string, unknown>);
          }
          child.stdout.once('data', check);
        };
        child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
        check();
      });
    try {
      const send = (text: string) => child.stdin.write(`${text}\n`);
      send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
      await answer(1);
      send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      // 200,000 levels: JSON.stringify could not even write this, so it is written by hand.
      const depth = 200_000;
      send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"projects_create","arguments":{"name":${'['.repeat(depth)}${']'.repeat(depth)}}}}`);
      const refused = (await answer(2)) as { result?: CallToolResult; error?: unknown };
      expect(refused.error).toBeUndefined();
      expect(refused.result?.isError).toBe(true);
      expect(text(refused.result)).toMatch(/name: is nested more than 32 levels deep/);
      send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'projects_list', arguments: { limit: 1 } } }));
      const after = (await answer(3)) as { result?: CallToolResult };
      expect(after.result?.isError).toBeFalsy();
      const audit = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(audit).toEqual([expect.objectContaining({ tool: 'projects_create', outcome: 'refused', decision: 'arguments_over_limit' })]);
      expect(JSON.stringify(audit[0]?.arguments)).toMatch(/nested deeper than 32 levels/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
