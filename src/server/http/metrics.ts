import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestObserver } from '../../client/index.js';
import type { ApprovalObserver } from '../gate/approval.js';
import type { ConfirmationObserver } from '../gate/confirm.js';
import { DelegatingHost, type CallSession, type Host } from '../hosts/host.js';
import { json } from './wire.js';
import type { ToolResult } from '../results/results.js';

/*
 * Prometheus metrics for `GET /metrics` (--http only). The counters are fed through small observer
 * interfaces, so the client, the confirmations and the HTTP server know nothing of prom-client,
 * which is imported only when a server with --http starts.
 */

export interface Metrics extends RequestObserver, ConfirmationObserver, ApprovalObserver {
  toolCall(tool: string, outcome: 'ok' | 'error'): void;
  /** Where the open-sessions gauge reads its value when scraped. */
  countSessionsWith(count: () => number): void;
  render(): Promise<{ contentType: string; body: string }>;
}

const PREFIX = 'openai_admin_mcp_';

export async function createMetrics(): Promise<Metrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const calls = new prom.Counter({ name: `${PREFIX}tool_calls_total`, help: 'Tool calls answered, by tool and outcome (ok or error).', labelNames: ['tool', 'outcome'], registers: [registry] });
  const upstream = new prom.Counter({ name: `${PREFIX}upstream_requests_total`, help: 'Admin API request attempts, by method and HTTP status (error: no answer).', labelNames: ['method', 'status'], registers: [registry] });
  const latency = new prom.Histogram({
    name: `${PREFIX}upstream_request_duration_seconds`,
    help: 'Admin API request attempt latency in seconds, by method.',
    labelNames: ['method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const retries = new prom.Counter({ name: `${PREFIX}upstream_retries_total`, help: 'Admin API requests sent again after a retryable failure, by method.', labelNames: ['method'], registers: [registry] });
  const confirmations = new prom.Counter({ name: `${PREFIX}confirmations_total`, help: 'Confirmation tokens issued, used (a change executed) and refused.', labelNames: ['event'], registers: [registry] });
  const approvals = new prom.Counter({ name: `${PREFIX}approvals_total`, help: 'Approvals requested, approved, rejected and expired (--confirm-with approval).', labelNames: ['event'], registers: [registry] });
  let sessionCount: () => number = () => 0;
  new prom.Gauge({
    name: `${PREFIX}open_sessions`,
    help: 'Open Streamable HTTP sessions (always 0 with --stateless).',
    registers: [registry],
    collect() {
      this.set(sessionCount());
    },
  });
  // Every label value known up front is exported at 0, so a rate() has a series from the start.
  for (const event of ['issued', 'used', 'refused']) confirmations.inc({ event }, 0);
  for (const event of ['requested', 'approved', 'rejected', 'expired']) approvals.inc({ event }, 0);
  return {
    toolCall: (tool, outcome) => calls.inc({ tool, outcome }),
    upstream: (method, status, seconds) => {
      upstream.inc({ method, status: String(status) });
      latency.observe({ method }, seconds);
    },
    retry: (method) => retries.inc({ method }),
    confirmation: (event) => confirmations.inc({ event }),
    approval: (event) => approvals.inc({ event }),
    countSessionsWith: (count) => {
      sessionCount = count;
    },
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** A host whose every call is counted by tool and outcome, refusals of a narrowed session included. */
export class MeteredHost extends DelegatingHost {
  constructor(
    base: Host,
    private readonly metrics: Pick<Metrics, 'toolCall'>,
  ) {
    super(base);
  }

  override async call(name: string, args: unknown, session?: CallSession): Promise<ToolResult> {
    try {
      const result = await this.base.call(name, args, session);
      this.metrics.toolCall(name, result.isError ? 'error' : 'ok');
      return result;
    } catch (error) {
      this.metrics.toolCall(name, 'error');
      throw error;
    }
  }
}

/** `GET /metrics`, answered once the caller is let in (the same bearer token as /mcp). */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics): Promise<void> {
  if (req.method !== 'GET') return json(res, 405, { error: 'Method not allowed: /metrics answers GET.' });
  const { contentType, body } = await metrics.render();
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
