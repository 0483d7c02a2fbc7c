import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/*
 * Shared pieces of the benchmark suite: statistics, interleaving, the built CLI, an external sandbox
 * process, and the Markdown the runner prints. Benchmarks print figures; they never fail a build.
 */

/** dist/cli.js, the built server as users run it. */
export const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
/** dist/bench/, where the compiled helper entry points live. */
export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const BENCH_KEY = 'sk-admin-bench-0123456789abcdef';

// ---------------------------------------------------------------------------------------------
// Statistics

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Median of the per-round ratios a[i]/b[i]: each pair ran back to back, so it shares the machine's state. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / (b[i] as number)));
}

/**
 * Runs every variant once per round, `rounds` times, rotating the order each round so no variant
 * always goes first (or always follows the same neighbour). Returns the samples per variant, in
 * round order, so samples with the same index were taken side by side.
 */
export async function interleave<K extends string>(rounds: number, variants: Record<K, () => Promise<number>>): Promise<Record<K, number[]>> {
  const keys = Object.keys(variants) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[(i + round) % keys.length] as K;
      out[key].push(await variants[key]());
    }
  }
  return out;
}

/** Wall time of `fn` in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export const ms = (v: number): string => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`);
export const ratio = (v: number): string => `${v.toFixed(2)}×`;
export const int = (v: number): string => Math.round(v).toLocaleString('en-US');
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** "median (p25–p75)". */
export const spread = (values: readonly number[]): string => `${ms(median(values))} (${ms(quantile(values, 0.25))}–${ms(quantile(values, 0.75))})`;

// ---------------------------------------------------------------------------------------------
// Report model

export interface Check {
  id: string;
  what: string;
  measured: string;
  target: string;
  pass: boolean;
}

export interface Section {
  id: string;
  title: string;
  /** What is measured and how, one paragraph. */
  method: string;
  /** Markdown tables or lines, printed as they are. */
  body: string[];
  checks: Check[];
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machine(): Array<[string, string]> {
  const cpus = os.cpus();
  return [
    ['CPU', `${cpus[0]?.model.trim() ?? 'unknown'}`],
    ['cores', `${cpus.length} (available parallelism ${os.availableParallelism()})`],
    ['memory', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB total, ${(os.freemem() / 1024 ** 3).toFixed(1)} GiB free at start`],
    ['OS', `${os.type()} ${os.release()} ${os.arch()}`],
    ['node', process.version],
  ];
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A sandbox in its own process (`openai-admin-mcp sandbox`), so its work does not share our event loop. */
export interface ExternalSandbox {
  url: string;
  close(): Promise<void>;
}

export async function externalSandbox(latencyMs: number, seed = 1): Promise<ExternalSandbox> {
  const child = spawn(process.execPath, [CLI, 'sandbox', '--latency-ms', String(latencyMs), '--seed', String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
  });
  child.stderr.resume();
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(buffered.slice(0, newline).trim());
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code} before printing its URL`)));
  });
  return { url, close: () => stop(child) };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export interface StdioSession {
  client: Client;
  transport: StdioClientTransport;
  close(): Promise<void>;
}

/** Spawns `node <script> <args>` and connects the MCP SDK Client over stdio (initialize included). */
export async function connectStdio(script: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...nodeArgs, script, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  // Drained, so a chatty server never blocks; the tail is kept for error messages.
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
  });
  const client = new Client({ name: 'openai-admin-mcp-bench', version: '1.0.0' }, { capabilities: {} });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${script} ${args.join(' ')}: ${(error as Error).message}; stderr: ${stderr.trim() || '(empty)'}`);
  }
  // Closing ends stdin and waits for the process to exit, so the next sample starts on a quiet machine.
  return { client, transport, close: () => client.close() };
}

export function resultText(result: unknown): string {
  return ((result as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** The ID of a sandbox project by name, read over plain HTTP. */
export async function projectIdByName(baseUrl: string, name: string): Promise<string> {
  const res = await fetch(`${baseUrl}/organization/projects?limit=100&include_archived=true`, { headers: { authorization: `Bearer ${BENCH_KEY}` } });
  const body = (await res.json()) as { data: Array<{ id: string; name: string }> };
  const project = body.data.find((p) => p.name === name);
  if (!project) throw new Error(`no project named ${name} in the sandbox`);
  return project.id;
}

/**
 * The flags that list every tool: `--toolsets all` once the CLI knows it (the default listing is then
 * a curated subset), nothing before that (the default lists every tool). Asked of the built CLI.
 */
export async function allToolsArgs(): Promise<string[]> {
  const { execFile } = await import('node:child_process');
  const ok = await new Promise<boolean>((resolve) => {
    execFile(process.execPath, [CLI, 'tools', '--toolsets', 'all'], { env: { PATH: process.env.PATH ?? '' } }, (error) => resolve(error === null));
  });
  return ok ? ['--toolsets', 'all'] : [];
}

/** Midnight UTC today, Unix seconds. */
export function todayUtc(): number {
  return Math.floor(Date.now() / 1000 / 86_400) * 86_400;
}

/** A runtime (client and tool host) on a sandbox, as the CLI builds it, with logging off. */
export async function benchRuntime(url: string) {
  const { parseConfig } = await import('../src/config.js');
  const { openRuntime } = await import('../src/runtime.js');
  return openRuntime(parseConfig([], { OPENAI_BASE_URL: url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' }));
}

/**
 * The report benchmarks' setup: a sandbox process at the given latency and one at 0 ms (to show what
 * is computing rather than waiting), each with a runtime built as the CLI builds it.
 */
export async function pairedRuntimes(latencyMs: number) {
  const sandbox = await externalSandbox(latencyMs);
  const runtime = await benchRuntime(sandbox.url);
  const sandbox0 = await externalSandbox(0);
  const runtime0 = await benchRuntime(sandbox0.url);
  return {
    sandbox,
    runtime,
    sandbox0,
    runtime0,
    async close() {
      await runtime0.close();
      await sandbox0.close();
      await runtime.close();
      await sandbox.close();
    },
  };
}
