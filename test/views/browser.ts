import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { serveHttp } from '../serve-http.js';
import { findPrerequisite } from '../prerequisites.js';

/*
 * What the browser tests need: Debian's chromium (installed by .ci/run when missing), the built
 * server on the sandbox over Streamable HTTP, and a loopback page server for the test host that
 * forwards /mcp to that server so the host page reaches it from its own origin.
 */

/** The chromium executable: CHROMIUM_PATH, or the first on the usual paths or PATH. */
export function findChromium(): string {
  const found = findPrerequisite('chromium');
  if (!found) throw new Error('No chromium found: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH.');
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's own sandbox cannot start.
  // IsolateSandboxedIframes off: the view's sandboxed iframe renders in its host page's process rather
  // than a renderer of its own per show(). Its opaque origin, sandbox flags and CSP are the same either
  // way; the extra process start cost about a fifth of the file's chromium CPU.
  return chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-features=IsolateSandboxedIframes'] });
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/** The built CLI with --sandbox --http on a free loopback port; its URL is read from stderr. */
export async function startMcpServer(): Promise<RunningServer> {
  const { url, stop } = await serveHttp(['--sandbox', '--no-auth', '--log-level', 'warn'], {});
  return { url, stop };
}

const HOST_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>views test host</title>
<style>body{margin:0;background:#fff}body[data-theme=dark]{background:#141414}iframe{display:block;border:0;width:100%;height:300px}</style>
</head><body><div id="stage"></div><script type="module" src="/host.js"></script></body></html>`;

/** Serves the test host page and its bundle, and forwards /mcp to the MCP server. */
export async function startHostServer(mcpUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./host/host.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HOST_PAGE);
      } else if (req.url === '/favicon.ico') {
        // Nothing, rather than a 404 the page would log as a console error.
        res.writeHead(204).end();
      } else if (req.url === '/host.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      } else if (req.url?.startsWith('/mcp')) {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'origin']) {
          const value = req.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const upstream = await fetch(mcpUrl, { method: req.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
        const out: Record<string, string> = {};
        upstream.headers.forEach((value, name) => {
          if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) out[name] = value;
        });
        res.writeHead(upstream.status, out);
        if (upstream.body) Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).pipe(res);
        else res.end();
      } else {
        res.writeHead(404).end();
      }
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
