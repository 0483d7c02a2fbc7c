import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { TEST_ADMIN_KEY, useSandbox } from '../helpers.js';

/*
 * Large usage and cost pages travel gzipped, as the API's edge sends them when asked: the client
 * asks, the sandbox compresses bodies of 1 KB and more, and the client reads either form the same.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 5 }, (started) => ({ sandbox, client } = started));

const DAY = 86_400;
const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

function costsPath(): string {
  const end = Math.floor(Date.now() / 1000 / DAY) * DAY;
  return `/organization/costs?start_time=${end - 30 * DAY}&end_time=${end}&bucket_width=1d&limit=30&group_by[]=line_item`;
}

describe('gzip between the client and the sandbox', () => {
  it('the client asks for gzip', async () => {
    await client.get('/organization/projects', { limit: 1 });
    expect(sandbox.requests.at(-1)?.headers['accept-encoding']).toBe('gzip');
  });

  it('the sandbox gzips a large body only when asked, and it unpacks to the same JSON', async () => {
    const plain = await request(`${sandbox.url}${costsPath()}`, { headers: auth });
    const plainText = await plain.body.text();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plainText.length).toBeGreaterThan(10_000);

    const packed = await request(`${sandbox.url}${costsPath()}`, { headers: { ...auth, 'accept-encoding': 'gzip, deflate' } });
    expect(packed.headers['content-encoding']).toBe('gzip');
    expect(packed.headers.vary).toBe('accept-encoding');
    const bytes = Buffer.from(await packed.body.arrayBuffer());
    expect(Number(packed.headers['content-length'])).toBe(bytes.length);
    expect(bytes.length).toBeLessThan(plainText.length / 4);
    expect(JSON.parse(gunzipSync(bytes).toString('utf8'))).toEqual(JSON.parse(plainText));

    const refused = await request(`${sandbox.url}${costsPath()}`, { headers: { ...auth, 'accept-encoding': 'gzip;q=0, identity' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    await refused.body.text();
  });

  it('small bodies and errors stay uncompressed', async () => {
    const small = await request(`${sandbox.url}/organization/projects?limit=1`, { headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    await small.body.text();
    const missing = await request(`${sandbox.url}/organization/projects/proj_missing`, { headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(await missing.body.text()).error.code).toBeDefined();
  });

  it('the client reads a gzipped page exactly as the plain one', async () => {
    const viaClient = await client.get<unknown>(costsPath().split('?')[0] as string, Object.fromEntries(new URLSearchParams(costsPath().split('?')[1]).entries()) as Record<string, string>);
    const plain = await request(`${sandbox.url}${costsPath()}`, { headers: auth });
    const expected = JSON.parse(await plain.body.text()) as { data: unknown[] };
    expect((viaClient as { data: unknown[] }).data).toEqual(expected.data);
  });
});

describe('an encoding the client did not ask for', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br', 'x-request-id': 'req_br' });
      res.end('not brotli');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is refused with a message that names it, never parsed as JSON', async () => {
    const odd = new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl: url, maxRetries: 0 });
    try {
      await expect(odd.get('/organization/projects')).rejects.toThrow(/content-encoding 'br'/);
    } finally {
      await odd.close();
    }
  });
});
