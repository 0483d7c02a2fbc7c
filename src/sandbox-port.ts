import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
 * The in-process sandbox of `--sandbox`, its port bound at once so the client has a base URL, and the
 * simulator itself (routes, seed tables, about 60 modules) loaded on the first request. Loading it at
 * start-up delayed the `initialize` and `tools/list` answers, which never need it.
 */
export async function bindSandbox(options: Omit<SandboxOptions, 'server'>, loadSimulator: LoadSimulator = () => import('./sandbox/server.js')): Promise<SandboxPort> {
  const host = options.host ?? '127.0.0.1';
  let sandbox: Promise<Sandbox> | undefined;
  const load = (): Promise<Sandbox> => (sandbox ??= loadSimulator().then(({ startSandbox }) => startSandbox({ ...options, host, server })));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    load().then(
      (s) => s.handle(req, res),
      (error: unknown) => {
        // Answered like any API failure, so the tool call says what happened instead of hanging.
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `The sandbox failed to load: ${(error as Error).message}`, type: 'server_error', param: null, code: null } }));
      },
    );
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  // A TCP listen binds at once, so the port is known now; 'listening' only follows on a later tick,
  // which start-up need not wait for. A bind that failed has no address yet: then wait for its error.
  if (server.address() === null) await listening;
  else listening.catch(() => undefined);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/v1`,
    load,
    close: async () => {
      if (sandbox) {
        const loaded = await sandbox.catch(() => undefined);
        if (loaded) return loaded.close();
      }
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
