import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import type { Host } from '../../../src/server/hosts/host.js';
import { isLoopback, startHttpServer, type RunningHttp } from '../../../src/server/http/http.js';

const host: Host = {
  instructions: 'test',
  mode: 'selected',
  instructionsFor: () => 'test',
  listTools: () => [],
  call: async () => ({ content: [] }),
  entries: () => [],
};

let running: RunningHttp;
let port: number;

beforeAll(async () => {
  running = await startHttpServer(host, { host: '127.0.0.1', port: 0, noAuth: true, stateless: false, logger: createLogger({ level: 'silent' }) });
  port = Number(new URL(running.url).port);
});
afterAll(() => running.close());

/** node:http, since fetch will not let a test set the Host header a rebinding browser sends. */
function post(headers: Record<string, string>): Promise<number> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('isLoopback', () => {
  it('accepts loopback literals only, not DNS names that start with 127.', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('[::1]')).toBe(true);
    expect(isLoopback('127.attacker.example')).toBe(false);
    expect(isLoopback('127.0.0.1.nip.io')).toBe(false);
  });
});

describe('DNS rebinding on a loopback --no-auth server', () => {
  it('refuses a page whose hostname was rebound to 127.0.0.1 (Origin and Host both the attacker name)', async () => {
    expect(await post({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).toBe(403);
    expect(await post({ host: `evil.example:${port}` })).toBe(403);
    // A name that merely starts like a loopback address is still a name the attacker controls.
    expect(await post({ host: `127.attacker.example:${port}`, origin: `http://127.attacker.example:${port}` })).toBe(403);
    expect(await post({ host: `127.0.0.1:${port}`, origin: `http://127.attacker.example:${port}` })).toBe(403);
  });

  it('still serves loopback Hosts', async () => {
    expect(await post({ host: `127.0.0.1:${port}` })).toBe(200);
    expect(await post({ host: `localhost:${port}`, origin: `http://localhost:${port}` })).toBe(200);
    expect(await post({ host: `127.0.0.2:${port}`, origin: 'http://127.0.0.1:5173' })).toBe(200);
  });
});
