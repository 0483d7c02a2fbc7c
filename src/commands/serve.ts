import { createHmac, randomBytes } from 'node:crypto';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ApprovalPage } from '../server/http/approval-page.js';
import type { Approvals } from '../server/gate/approval.js';
import type { RunningHttp } from '../server/http/http.js';
import { UsageError, type ServerConfig } from '../config.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { createMcpServer } from '../server/hosts/mcp-server.js';

/** The MCP server: on stdio by default (protocol on stdout, logs on stderr), or Streamable HTTP. */
export async function runServe(config: ServerConfig): Promise<number> {
  const runtime = await openRuntime(config, { quick: true });
  try {
    if (config.http) await serveHttp(config, runtime);
    else await serveStdio(config, runtime);
  } finally {
    await runtime.close();
  }
  return 0;
}

async function serveStdio(config: ServerConfig, runtime: Runtime): Promise<void> {
  const server = createMcpServer(runtime.host);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  runtime.logger.info(`serving ${runtime.host.listTools().length} tools on stdio${config.sandbox ? ' against the sandbox' : ''}${config.readOnly ? ' (read-only)' : ''}`);
  await closed;
  await server.close();
}

async function serveHttp(config: ServerConfig, runtime: Runtime): Promise<void> {
  const http = await startServing(config, runtime);
  // Scripts and tests read the endpoint from stderr's first line as well as from this one.
  process.stderr.write(`openai-admin-mcp: listening on ${http.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await http.close();
}

/** The HTTP server for these settings, listening; tests start it in-process to control its clock. */
export async function startServing(config: ServerConfig, runtime: Runtime, options: { now?: () => number } = {}): Promise<RunningHttp> {
  const { HttpConfigError, startHttpServer } = await import('../server/http/http.js');
  // jose is loaded only for a server that validates OAuth tokens.
  const oauth =
    config.oauthIssuer && config.oauthAudience
      ? new (await import('../server/access/oauth.js')).ResourceServer({ issuer: config.oauthIssuer, audience: config.oauthAudience, acceptTypJwt: config.oauthAcceptTypJwt })
      : undefined;
  // Read and checked before the server listens: a policy with a mistake stops the start, naming the field.
  const policy = runtime.approvals?.policy ?? (config.policy ? (await import('../server/access/policy.js')).loadPolicy(config.policy) : undefined);
  if (policy && policy.approvals.length > 0 && !runtime.approvals) {
    throw new UsageError(`--policy ${config.policy} names calls that need approval ("approvals"), which only --confirm-with approval enforces: start with --confirm-with approval and --approval-client-id, or remove "approvals".`);
  }
  const approvalPage = runtime.approvals && config.oauthIssuer && config.approvalClientId ? await approvalPageFor(config, runtime, options.now) : undefined;
  let http;
  try {
    http = await startHttpServer(runtime.host, {
      host: config.host,
      port: config.port,
      token: config.httpToken,
      noAuth: config.noAuth,
      stateless: config.stateless,
      keyFromHeader: config.keyFromHeader,
      clientForKey: runtime.clientForKey,
      logger: runtime.logger,
      metrics: runtime.metrics,
      oauth,
      policy,
      approvalPage,
      sessionIdleMs: config.sessionIdleTimeout * 1000,
    });
  } catch (error) {
    if (error instanceof HttpConfigError) throw new UsageError(error.message);
    throw error;
  }
  runtime.logger.info(`serving ${runtime.host.listTools().length} tools at ${http.url}${config.stateless ? ' (stateless)' : ''}`);
  return http;
}

/** The approval page; its cookies are signed with a key drawn from the confirmation secret, so replicas share it. */
async function approvalPageFor(config: ServerConfig, runtime: Runtime, now?: () => number): Promise<ApprovalPage> {
  const { ApprovalPage } = await import('../server/http/approval-page.js');
  const secret = config.confirmSecret ? createHmac('sha256', config.confirmSecret).update('approval page cookies').digest() : randomBytes(32);
  return new ApprovalPage({
    approvals: runtime.approvals as Approvals,
    issuer: config.oauthIssuer as string,
    clientId: config.approvalClientId as string,
    ...(config.approvalClientSecret ? { clientSecret: config.approvalClientSecret } : {}),
    secret,
    logger: runtime.logger,
    ...(now ? { now } : {}),
  });
}
