import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Sandbox, SandboxOptions } from './sandbox/server.js';

/** What `--sandbox` needs of the in-process sandbox before any request: where it is, and how to stop it. */
export interface SandboxPort {
  /** Base URL ending in /v1. */
  url: string;
  /** Loads the simulator now if no request has yet (idempotent). */
  load(): Promise<Sandbox>;
  close(): Promise<void>;
}

type LoadSimulator = () => Promise<{ startSandbox: (options: SandboxOptions) => Promise<Sandbox> }>;

/**
 * The in-process sandbox of `--sandbox`: its port is bound at once, so the client has a base URL, and
 * the simulator itself (node:http, routes, seed tables: some 50 modules) loads on the first
 * connection. Loading it at start-up delayed the `initialize` and `tools/list` answers, which never
 * need it. Connections wait, paused, until it is loaded, and are then handed to its HTTP server.
 */
export async function bindSandbox(options: Omit<SandboxOptions, 'server'>, loadSimulator: LoadSimulator = () => import('./sandbox/server.js')): Promise<SandboxPort> {
  const host = options.host ?? '127.0.0.1';
  let sandbox: Promise<{ sandbox: Sandbox; http: import('node:http').Server }> | undefined;
  const waiting = new Set<Socket>();
  const load = () =>
    (sandbox ??= Promise.all([loadSimulator(), import('node:http')]).then(async ([{ startSandbox }, { createServer: createHttpServer }]) => {
      const http = createHttpServer();
      const started = await startSandbox({ ...options, host, port: number, server: http });
      http.on('request', started.handle);
      return { sandbox: started, http };
    }));
  const port = createServer({ pauseOnConnect: true }, (socket) => {
    waiting.add(socket);
    load().then(
      ({ http }) => {
        waiting.delete(socket);
        if (socket.destroyed) return;
        http.emit('connection', socket);
        socket.resume();
      },
      (error: unknown) => {
        // Answered like any API failure, so the tool call says what happened instead of hanging.
        waiting.delete(socket);
        const body = JSON.stringify({ error: { message: `The sandbox failed to load: ${(error as Error).message}`, type: 'server_error', param: null, code: null } });
        // The request itself is never read: the answer is written, then the connection closed.
        socket.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, () => socket.destroy());
      },
    );
  });
  const listening = new Promise<void>((resolve, reject) => {
    port.once('error', reject);
    port.listen(options.port ?? 0, host, () => resolve());
  });
  // A TCP listen binds at once, so the port is known now; 'listening' only follows on a later tick,
  // which start-up need not wait for. A bind that failed has no address yet: then wait for its error.
  if (port.address() === null) await listening;
  else listening.catch(() => undefined);
  const number = (port.address() as AddressInfo).port;
  return {
    url: `http://${host}:${number}/v1`,
    load: async () => (await load()).sandbox,
    close: async () => {
      const closed = new Promise<void>((resolve) => port.close(() => resolve()));
      for (const socket of waiting) socket.destroy();
      const loaded = sandbox ? await sandbox.catch(() => undefined) : undefined;
      if (loaded) await loaded.sandbox.close();
      await closed;
    },
  };
}
