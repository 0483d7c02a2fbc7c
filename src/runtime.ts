import { AdminClient, ApiError, SharedPool } from './client/index.js';
import { UsageError, type ServerConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { AuditTrail } from './server/gate/audit.js';
import type { Approvals } from './server/gate/approval.js';
import type { ApprovalStore, ConfirmationStore } from './server/gate/confirmation-store.js';
import type { Host } from './server/hosts/host.js';
import type { Metrics } from './server/http/metrics.js';
import type { ServerDeps, ToolHost } from './server/hosts/tool-host.js';
import { prebuiltListing } from './server/listing/prebuilt.js';
import { QuickHost } from './server/hosts/quick-host.js';
import type { SandboxPort } from './sandbox-port.js';

/** The key the in-process sandbox is called with; any sk-admin- key works there. */
const SANDBOX_KEY = 'sk-admin-sandbox-local-only';

export interface Runtime {
  /** What the MCP transports serve. */
  host: Host;
  /** The full tool host (definitions, executor, reports), loaded once. */
  toolHost(): Promise<ToolHost>;
  client: AdminClient;
  /** A client for an admin key that arrived with a request (`--key-from-header`), sharing the pool. */
  clientForKey(key: string): AdminClient;
  logger: Logger;
  /** The in-process sandbox (`--sandbox`); the simulator behind it loads on its first request. */
  sandbox?: SandboxPort;
  /** Prometheus metrics, made for an HTTP server only (`GET /metrics`). */
  metrics?: Metrics;
  /** Approvals by a signed-in person (`--confirm-with approval`). */
  approvals?: Approvals;
  close(): Promise<void>;
}

export const MISSING_KEY_MESSAGE =
  'OPENAI_ADMIN_KEY is not set. Set it to an organization admin key (sk-admin-…, created under Organization settings → Admin keys), ' +
  'or run with --sandbox to try every tool against the built-in simulated organization.';

/**
 * Everything a command needs, wired once from the configuration: the API target (the real API or an
 * in-process sandbox), the one shared client, and the tool host with its policy.
 */
export async function openRuntime(config: ServerConfig, options: { requireKey?: boolean; now?: () => number; quick?: boolean } = {}): Promise<Runtime> {
  let sandbox: SandboxPort | undefined;
  let apiKey = config.apiKey;
  let baseUrl = config.baseUrl;
  if (config.sandbox) {
    // Loaded only when asked for: a server on the real API never pays for the simulator, and one on
    // the sandbox pays for it on its first request, not before its tool list.
    const { bindSandbox } = await import('./sandbox-port.js');
    sandbox = await bindSandbox({ seed: config.seed, latencyMs: config.latencyMs, faultRate: config.faultRate, size: config.size, rateLimitRpm: config.rateLimitRpm, lazySeed: true });
    apiKey = SANDBOX_KEY;
    baseUrl = sandbox.url;
  } else if (!apiKey) {
    if (options.requireKey !== false && !config.keyFromHeader) throw new UsageError(MISSING_KEY_MESSAGE);
    apiKey = 'sk-admin-unset';
  }
  const secret = apiKey;
  const storePassword = config.store ? decodeURIComponent(new URL(config.store).password) : '';
  // The approval page's client secret is as secret as the admin key.
  const secrets = [secret, storePassword, config.approvalClientSecret ?? ''].filter((s) => s !== '');
  const logger = createLogger({ level: config.logLevel, secrets: () => secrets });
  // Loaded only for an HTTP server: prom-client stays out of stdio start-up.
  const metrics = config.http && config.command === 'serve' ? await (await import('./server/http/metrics.js')).createMetrics() : undefined;
  const clientOptions = {
    baseUrl,
    organization: config.organization,
    readOnly: config.readOnly,
    maxRetries: config.maxRetries,
    timeoutMs: config.requestTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    logger,
    observer: metrics,
  };
  const client = new AdminClient({ apiKey, ...clientOptions });
  const sharedPool = new SharedPool(new URL(baseUrl).origin, {}, config.requestTimeoutMs);
  let audit: AuditTrail | undefined;
  if (config.auditLog) {
    try {
      audit = new AuditTrail(config.auditLog, () => [secret]);
    } catch (error) {
      await client.close();
      await sandbox?.close();
      throw new UsageError(`--audit-log ${config.auditLog} cannot be opened for appending: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
    }
  }
  let confirmationStore: ConfirmationStore | undefined;
  if (config.store) {
    // Loaded only with --store: a server without one never loads the Redis client.
    const { RedisConfirmationStore } = await import('./server/gate/redis-store.js');
    confirmationStore = new RedisConfirmationStore({ url: config.store, logger, lockWaitMs: config.storeLockWaitMs });
    if (!config.confirmSecret) logger.warn('--store is set but OPENAI_ADMIN_MCP_CONFIRM_SECRET is not: each replica signs with its own random secret, so a token works only on the replica that issued it');
  }
  let approvals: Approvals | undefined;
  if (config.confirmWith === 'approval' && config.policy && config.oauthAudience) {
    const [{ Approvals }, { loadPolicy }, { MemoryConfirmationStore }] = await Promise.all([import('./server/gate/approval.js'), import('./server/access/policy.js'), import('./server/gate/confirmation-store.js')]);
    const policy = loadPolicy(config.policy);
    if (policy.approvals.length === 0) throw new UsageError(`--confirm-with approval needs "approvals" in --policy ${config.policy}: which calls need approval (effects, tools, toolsets) and who may approve them (approvers).`);
    // One store for tokens and approvals, so an approval's single use is claimed where it is kept.
    confirmationStore ??= new MemoryConfirmationStore(options.now);
    const store = confirmationStore as ConfirmationStore & ApprovalStore;
    // With --key-from-header and no key of its own, the page cannot read targets; the call still does.
    const canRead = config.sandbox || config.apiKey !== undefined;
    approvals = new Approvals({
      store,
      policy,
      origin: new URL(config.oauthAudience).origin,
      ttlMs: config.approvalTtl * 1000,
      audit,
      observer: metrics,
      now: options.now,
      ...(canRead ? { read: (path: string) => client.get<unknown>(path).catch((error: unknown) => (error instanceof ApiError && error.status === 404 ? null : Promise.reject(error))) } : {}),
    });
  }
  const deps: ServerDeps = {
    client,
    logger,
    sandbox: config.sandbox,
    readOnly: config.readOnly,
    confirmWith: config.confirmWith,
    audit,
    toolsets: config.toolsets,
    tools: config.tools,
    project: config.project,
    dynamic: config.dynamic,
    redactSecrets: config.redactSecrets,
    maxResultTokens: config.maxResultTokens,
    confirmSecret: config.confirmSecret,
    confirmationStore,
    confirmationObserver: metrics,
    now: options.now,
    approvals,
  };
  let full: Promise<ToolHost> | undefined;
  const toolHost = () =>
    // The simulator loads alongside (its load failing shows on the first request), so a first call
    // that waited for the tool host does not then wait for the sandbox too.
    (full ??= Promise.all([
      import('./server/hosts/tool-host.js'),
      import('./reports/index.js'),
      import('./plans/index.js'),
      config.scripts ? import('./scripts/index.js') : undefined,
      sandbox?.load().catch(() => undefined),
    ]).then(
      ([{ ToolHost }, { allComposites }, { allWorkflows }, scripts]) =>
        new ToolHost({ ...deps, composites: allComposites, workflows: allWorkflows, ...(scripts ? { scripts: scripts.scriptRunner } : {}) }),
    ));
  // A server answers tools/list from the listing built with it, and loads the definitions behind it;
  // scoping and dynamic mode change the listing, so they build it the long way.
  const listing = options.quick && !config.project && !config.dynamic ? prebuiltListing() : null;
  let host: Host;
  try {
    host = listing ? new QuickHost(listing, { ...deps, sandbox: config.sandbox, scriptsListed: config.scripts }, toolHost) : await toolHost();
  } catch (error) {
    audit?.close();
    await confirmationStore?.close?.();
    await client.close();
    await sandbox?.close();
    throw error;
  }
  return {
    host,
    toolHost,
    client,
    clientForKey: (key) => new AdminClient({ apiKey: key, ...clientOptions, pool: sharedPool }),
    logger,
    sandbox,
    metrics,
    approvals,
    async close() {
      audit?.close();
      await confirmationStore?.close?.();
      await client.close();
      await sharedPool.close();
      await sandbox?.close();
    },
  };
}
