import { describe, expect, it, vi } from 'vitest';
import { AdminClient, CancelledError, ConnectionError } from '../../src/client/index.js';
import { TEST_ADMIN_KEY, useUpstream } from '../helpers.js';

/*
 * The per-attempt deadline and the caller's cancellation, against a loopback server that misbehaves
 * on purpose: one path never answers, one sends its headers and then stalls in the body, one answers
 * at once. The client passes the caller's signal to undici as it is and leaves the deadline to
 * undici's per-request timers, without a signal of its own per request.
 */

let baseUrl: string;
/** Resolved when the server has received a request for /v1/hang. */
let received: Promise<void>;
let markReceived: () => void = () => undefined;

useUpstream(
  (req, res) => {
    if (req.url === '/v1/hang') {
      markReceived();
      return; // never answers
    }
    if (req.url === '/v1/stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":'); // and nothing more
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"object":"ok"}');
  },
  (url) => {
    baseUrl = url;
  },
);

const client = (timeoutMs: number) => new AdminClient({ apiKey: TEST_ADMIN_KEY, baseUrl, timeoutMs, maxRetries: 0 });

describe('per-attempt deadline', () => {
  it('gives up on a server that never answers, saying it timed out and that the request was sent', async () => {
    const c = client(250);
    const error = await c.get('/hang').catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).causeCode).toBe('ETIMEDOUT');
    expect((error as ConnectionError).message).toMatch(/GET \/hang timed out/);
    expect((error as ConnectionError).mayHaveReachedServer).toBe(true);
  });

  it('gives up on a body that stops arriving', async () => {
    const c = client(250);
    const error = await c.get('/stall').catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).causeCode).toBe('ETIMEDOUT');
  });
});

describe("the caller's signal", () => {
  it('cancels a request in flight, which may then have reached the API', async () => {
    const c = client(60_000);
    received = new Promise((resolve) => {
      markReceived = resolve;
    });
    const controller = new AbortController();
    const pending = c.post('/hang', { name: 'x' }, { signal: controller.signal }).catch((e: unknown) => e);
    await received;
    controller.abort();
    const error = await pending;
    await c.close();
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).mayHaveReachedServer).toBe(true);
  });

  it('is shared by many parallel requests of one call without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const c = client(60_000);
    const controller = new AbortController();
    try {
      const answers = await Promise.all(Array.from({ length: 16 }, () => c.get<{ object: string }>('/ok', undefined, controller.signal)));
      expect(answers.every((a) => a.object === 'ok')).toBe(true);
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      await c.close();
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

describe('per-request garbage', () => {
  it('makes no AbortSignal of its own per request (they were promoted to the old generation under load)', async () => {
    const timeout = vi.spyOn(AbortSignal, 'timeout');
    const any = vi.spyOn(AbortSignal, 'any');
    const c = client(60_000);
    const controller = new AbortController();
    let made: number;
    try {
      for (let i = 0; i < 5; i++) await c.get('/ok', undefined, i % 2 === 0 ? controller.signal : undefined);
      made = timeout.mock.calls.length + any.mock.calls.length;
    } finally {
      await c.close();
      timeout.mockRestore();
      any.mockRestore();
    }
    expect(made).toBe(0);
  });
});
