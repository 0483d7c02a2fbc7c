import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, text, type Connected } from '../connect.js';

/*
 * The built server, spawned with OPENAI_BASE_URL at a hostile upstream and driven by the MCP SDK's
 * own client. A gzip bomb that inflates to 640 MB (over V8's string limit) once killed the process
 * from inside zlib's callback; now it is stopped at the default 64 MB cap and the server keeps
 * answering. A body that trickles in holds only its own call.
 */

/** 16 MiB of zeros gzipped (about 16 KB), sent 40 times: gunzip reads concatenated members as one stream. */
const MEMBER = gzipSync(Buffer.alloc(16 * 1024 * 1024));
const BOMB = Buffer.concat(Array.from({ length: 40 }, () => MEMBER));

let upstream: Server;
let server: Connected;
let trickling = false;
let release = false;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const headers = { 'content-type': 'application/json', 'x-request-id': `req_${path?.split('/').pop()}` };
    if (path === '/v1/organization/projects') {
      res.writeHead(200, { ...headers, 'content-encoding': 'gzip', 'content-length': BOMB.length });
      return void res.end(BOMB);
    }
    if (path === '/v1/organization/invites') {
      res.writeHead(200, headers);
      return void res.end('{"object":"list","data":[{"id":');
    }
    if (path === '/v1/organization/groups') {
      // Spaces every 20 ms until released: never idle, never finished.
      res.writeHead(200, headers);
      trickling = true;
      const tick = () => {
        if (res.destroyed) return;
        if (release) return void res.end();
        res.write(Buffer.alloc(16 * 1024, 0x20));
        setTimeout(tick, 20);
      };
      return tick();
    }
    res.writeHead(200, headers);
    res.end('{"object":"list","data":[{"object":"organization.user","id":"user_ok","name":"Ok","email":"ok@example.test","role":"owner","added_at":1700000000}],"has_more":false}');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  server = await connectStdio(['--toolsets', 'projects,members', '--max-retries', '0'], { OPENAI_ADMIN_KEY: 'sk-admin-hostile-test', OPENAI_BASE_URL: baseUrl });
});

afterAll(async () => {
  await server?.close();
  upstream.closeAllConnections();
  upstream.close();
});

const call = (name: string) => server.client.callTool({ name, arguments: {} });

describe('a hostile upstream fails a call, never the server', () => {
  it('a gzip bomb is stopped at the cap, reported with status and request id, and the server answers the next call', async () => {
    const bombed = await call('projects_list');
    expect(bombed.isError).toBe(true);
    expect(text(bombed)).toMatch(/OpenAI API error 200 invalid_response \(response_too_large\): GET \/organization\/projects: the decompressed answer ran over the 67,108,864 byte limit/);
    expect(text(bombed)).toMatch(/request_id: req_projects/);
    const next = await call('users_list');
    expect(next.isError).toBeFalsy();
    expect(text(next)).toMatch(/user_ok/);
  });

  it('truncated JSON is an upstream error, not a success carrying raw text', async () => {
    const truncated = await call('invites_list');
    expect(truncated.isError).toBe(true);
    expect(text(truncated)).toMatch(/OpenAI API error 200 invalid_response \(undecodable_body\).*not valid JSON/);
    expect(text(truncated)).toMatch(/request_id: req_invites/);
  });

  it('a body that keeps trickling holds only its own call', async () => {
    let settled = false;
    const held = call('groups_list').finally(() => {
      settled = true;
    });
    while (!trickling) await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 3; i++) expect(text(await call('users_list'))).toMatch(/user_ok/);
    expect(settled).toBe(false);
    release = true;
    // Only spaces came: an upstream error once the body ends.
    expect(text(await held)).toMatch(/OpenAI API error 200 invalid_response \(undecodable_body\).*empty body/);
    expect(server.stderr()).not.toMatch(/ERR_STRING_TOO_LONG|uncaught/i);
  });
});
