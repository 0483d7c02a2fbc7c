import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AdminClient, ApiError, ConnectionError } from '../../src/client/index.js';
import { TEST_ADMIN_KEY, useUpstream } from '../helpers.js';

/*
 * A hostile or broken upstream (OPENAI_BASE_URL pointing at it) can fail a call, never the server:
 * bodies are capped before and after decompression, every attempt has one deadline for headers and
 * the whole body, and a 2xx body that is not JSON is an upstream error with its status and request
 * id. The caps here are small (1 MB) so that the mechanism is exercised without gigabytes.
 */

const CAP = 1_000_000;
/** 4 MB of zeros in about 4 KB: a small gzip bomb. */
const BOMB = gzipSync(Buffer.alloc(4 * CAP));

let baseUrl: string;
/** Bytes the server managed to send per path before the client stopped reading. */
const sent = new Map<string, number>();

/** Set to end the held trickle. */
let release = false;

/** Writes `total` bytes of JSON-looking filler (or forever with Infinity), honouring back-pressure, until the client hangs up. */
function stream(res: ServerResponse, path: string, total: number, chunk = 64 * 1024, pauseMs = 0): void {
  const piece = Buffer.alloc(chunk, 0x20);
  let written = 0;
  const next = () => {
    while (written < total && !res.destroyed && !(path === '/trickle-held' && release)) {
      written += piece.length;
      sent.set(path, written);
      const more = res.write(piece);
      if (pauseMs > 0) return void setTimeout(next, pauseMs);
      if (!more) return void res.once('drain', next);
    }
    if (!res.destroyed) res.end();
  };
  next();
}

useUpstream(
  (req, res) => {
    const path = (req.url ?? '').replace(/^\/v1/, '').split('?')[0] as string;
    const json = { 'content-type': 'application/json', 'x-request-id': `req${path.replace(/\//g, '_')}` };
    switch (path) {
      case '/bomb':
        res.writeHead(200, { ...json, 'content-encoding': 'gzip', 'content-length': BOMB.length });
        return void res.end(BOMB);
      case '/huge':
        res.writeHead(200, json);
        return stream(res, path, 8 * CAP);
      case '/declared-huge':
        // Declares 500 MB, sends a little and then holds the connection.
        res.writeHead(200, { ...json, 'content-length': 500_000_000 });
        return void res.write(Buffer.alloc(1024, 0x20));
      case '/huge-error':
        res.writeHead(502, json);
        return stream(res, path, 8 * CAP);
      case '/trickle':
        res.writeHead(200, json);
        return stream(res, path, Infinity, 16 * 1024, 20);
      case '/trickle-held':
        res.writeHead(200, json);
        return stream(res, path, Infinity, 16 * 1024, 20);
      case '/truncated':
        res.writeHead(200, json);
        return void res.end('{"object":"list","data":[{"id":');
      case '/blank':
        res.writeHead(200, json);
        return void res.end('  \n\t ');
      case '/bad-gzip':
        res.writeHead(200, { ...json, 'content-encoding': 'gzip' });
        return void res.end(Buffer.from('not gzip at all'));
      case '/gzip-ok':
        res.writeHead(200, { ...json, 'content-encoding': 'gzip' });
        return void res.end(gzipSync(JSON.stringify({ object: 'list', data: [{ id: 'x' }] })));
      default:
        res.writeHead(200, json);
        return void res.end('{"object":"ok"}');
    }
  },
  (url) => {
    baseUrl = url;
  },
);

const client = (options: { timeoutMs?: number; maxResponseBytes?: number } = {}) =>
  new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl, maxRetries: 0, maxResponseBytes: CAP, ...options });

async function failure(path: string, options: { timeoutMs?: number; maxResponseBytes?: number } = {}): Promise<unknown> {
  const c = client(options);
  try {
    return await c.get(path).then(
      (data) => ({ unexpectedSuccess: data }),
      (error: unknown) => error,
    );
  } finally {
    await c.close();
  }
}

describe('response size caps', () => {
  it('stops inflating a gzip bomb at the cap and reports the status and request id', async () => {
    const error = await failure('/bomb');
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 200, type: 'invalid_response', code: 'response_too_large', requestId: 'req_bomb' });
    expect((error as ApiError).message).toMatch(/decompressed answer ran over the 1,000,000 byte limit/);
  });

  it('stops reading a plain body at the cap, long before its end', async () => {
    const error = await failure('/huge');
    expect(error).toMatchObject({ status: 200, code: 'response_too_large', requestId: 'req_huge' });
    expect(sent.get('/huge') ?? 0).toBeLessThan(8 * CAP);
  });

  it('refuses a declared length over the cap without reading the body', async () => {
    const error = await failure('/declared-huge');
    expect(error).toMatchObject({ status: 200, code: 'response_too_large', requestId: 'req_declared-huge' });
    expect((error as ApiError).message).toMatch(/500,000,000 bytes/);
  });

  it('caps error bodies too, keeping their status', async () => {
    const error = await failure('/huge-error');
    expect(error).toMatchObject({ status: 502, code: 'response_too_large', requestId: 'req_huge-error' });
  });

  it('still reads gzipped answers under the cap', async () => {
    const c = client();
    try {
      expect(await c.get('/gzip-ok')).toEqual({ object: 'list', data: [{ id: 'x' }] });
    } finally {
      await c.close();
    }
  });
});

describe('one deadline for headers and the whole body', () => {
  it('cuts off a body that keeps trickling in (never idle, never finished)', async () => {
    const error = await failure('/trickle', { timeoutMs: 300, maxResponseBytes: 64 * 1024 * 1024 });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ causeCode: 'ETIMEDOUT', mayHaveReachedServer: true });
    expect((error as ConnectionError).message).toMatch(/timed out: no complete answer within 0\.3 s/);
  });

  it('other calls on the same client are answered while a hostile one is in flight', async () => {
    const c = client({ timeoutMs: 60_000, maxResponseBytes: 64 * 1024 * 1024 });
    try {
      let settled = false;
      const hostile = c.get('/trickle-held').then(
        () => 'succeeded',
        (error: unknown) => error,
      );
      void hostile.finally(() => {
        settled = true;
      });
      while ((sent.get('/trickle-held') ?? 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      for (let i = 0; i < 5; i++) expect(await c.get('/ok')).toEqual({ object: 'ok' });
      expect(settled).toBe(false);
      release = true;
      // Whitespace only: an upstream error, not a success.
      expect(await hostile).toMatchObject({ status: 200, type: 'invalid_response' });
    } finally {
      await c.close();
    }
  });
});

describe('a 2xx body that is not JSON is an upstream error', () => {
  it.each([
    ['/truncated', 'req_truncated', /not valid JSON.*\{"object":"list","data":\[\{"id":/],
    ['/blank', 'req_blank', /empty/],
    ['/bad-gzip', 'req_bad-gzip', /gzip/],
  ])('%s', async (path, requestId, message) => {
    const error = await failure(path);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 200, type: 'invalid_response', requestId });
    expect((error as ApiError).message).toMatch(message);
  });
});
