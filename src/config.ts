import { parseArgs } from 'node:util';
import { BOOLEAN_WORDS, parseBoolean } from './boolean.js';
import { DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES } from './client/index.js';
import { parseLogLevel, type LogLevel } from './log.js';
import { parseSize, type OrgSize } from './sandbox/size.js';
import { isProjectId } from './ids.js';
import { ENV_VARIABLES, FLAGS, type FlagName, type FlagSpec } from './flags.js';

/** A command-line or environment mistake: the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Command = 'serve' | 'sandbox' | 'tools' | 'call' | 'view' | 'help' | 'version';
export type ConfirmWith = 'token' | 'elicitation' | 'auto' | 'approval';

export interface ServerConfig {
  command: Command;
  /** Positional arguments after the command (`call TOOL JSON`). */
  args: string[];
  /** `view --out FILE.html`: where the standalone page goes. */
  out?: string;
  apiKey: string | undefined;
  baseUrl: string;
  organization: string | undefined;
  sandbox: boolean;
  readOnly: boolean;
  toolsets: string[] | undefined;
  tools: string[] | undefined;
  dynamic: boolean;
  /** `--scripts off`: no run_script. */
  scripts: boolean;
  project: string | undefined;
  auditLog: string | undefined;
  confirmWith: ConfirmWith;
  confirmSecret: string | undefined;
  /** Shared confirmation store (`--store redis://…`), so tokens execute once across replicas. */
  store: string | undefined;
  /** How long a confirmation waits for a target lock held on another replica (--store), ms. */
  storeLockWaitMs: number;
  redactSecrets: boolean;
  http: boolean;
  host: string;
  port: number;
  noAuth: boolean;
  /** Streamable HTTP without sessions: any replica can answer any request. */
  stateless: boolean;
  httpToken: string | undefined;
  /** OAuth resource server: the authorization server's issuer and this server's resource URL (the tokens' aud). */
  oauthIssuer: string | undefined;
  oauthAudience: string | undefined;
  /** Also take access tokens typed `JWT` or untyped, for providers that cannot issue RFC 9068 `at+jwt` tokens. */
  oauthAcceptTypJwt: boolean;
  /** The operator's policy file (`--policy`): people's rights, toolsets and projects by token claims. OAuth only. */
  policy: string | undefined;
  /** The approval page's OIDC client (`--approval-client-id`), with `--confirm-with approval`. */
  approvalClientId: string | undefined;
  /** Its secret (OPENAI_ADMIN_MCP_APPROVAL_CLIENT_SECRET); absent, a public client with PKCE. */
  approvalClientSecret: string | undefined;
  /** Seconds an approval stays good (`--approval-ttl`, default 900). */
  approvalTtl: number;
  keyFromHeader: string | undefined;
  /** Seconds an HTTP session may stay idle before it is closed. */
  sessionIdleTimeout: number;
  json: boolean;
  logLevel: LogLevel;
  /** Retries after the first attempt for retryable failures. */
  maxRetries: number;
  /** Deadline of one upstream attempt, ms: from sending to the answer's last byte. */
  requestTimeoutMs: number;
  /** Cap on an upstream answer's size, bytes, on the wire and after decompression. */
  maxResponseBytes: number;
  /** The token budget of one tool result; larger results are cut with a way to continue. */
  maxResultTokens: number;
  /** `sandbox` subcommand and `--sandbox` settings. */
  seed: number;
  latencyMs: number;
  faultRate: number;
  /** `--size`: small (default), large, huge or PROJECTS,USERS,KEYS. */
  size: OrgSize;
  /** `--rate-limit`: requests per minute; 0 for none. */
  rateLimitRpm: number;
}

const MIB = 1024 * 1024;

const COMMANDS = new Set(['sandbox', 'tools', 'call', 'view']);

/** Which flags each command accepts, so a flag that would do nothing is an error rather than ignored. */
const SANDBOX_ONLY = (Object.keys(FLAGS) as FlagName[]).filter((name) => (FLAGS[name] as FlagSpec).sandboxOnly);

function rejectUnknownVariables(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) {
    if (name.startsWith('OPENAI_ADMIN_MCP_') && !ENV_VARIABLES.includes(name)) {
      throw new UsageError(`Unknown environment variable ${name}. Expected one of: ${ENV_VARIABLES.join(', ')}.`);
    }
  }
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  rejectUnknownVariables(env);
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '.')}\nRun 'openai-admin-mcp --help' for the flags.`);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  let command: Command = 'serve';
  if (values.help) command = 'help';
  else if (values.version) command = 'version';
  else if (first !== undefined) {
    if (!COMMANDS.has(first)) throw new UsageError(`Unknown command '${first}'. Expected one of: sandbox, tools, call, view.`);
    command = first as Command;
  }
  if (command === 'serve' && rest.length > 0) throw new UsageError(`Unexpected argument '${rest[0]}'.`);
  if (values.out !== undefined && command !== 'view') throw new UsageError("--out applies only to 'view'.");
  const sandbox = values.sandbox ?? bool('OPENAI_ADMIN_MCP_SANDBOX', env);
  // Against the real API these settings would do nothing, so they are refused rather than ignored.
  if (command !== 'sandbox' && !sandbox) {
    for (const flag of SANDBOX_ONLY) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies only to 'sandbox' and '--sandbox'.`);
    }
  }

  const port = values.port ?? (command === 'sandbox' ? env.OPENAI_ADMIN_MCP_SANDBOX_PORT : env.OPENAI_ADMIN_MCP_PORT);
  const config: ServerConfig = {
    command,
    args: command === 'call' || command === 'view' ? rest : command === 'sandbox' || command === 'tools' ? rejectExtra(command, rest) : [],
    apiKey: nonEmpty(env.OPENAI_ADMIN_KEY),
    baseUrl: url('OPENAI_BASE_URL', nonEmpty(env.OPENAI_BASE_URL) ?? DEFAULT_BASE_URL),
    organization: nonEmpty(env.OPENAI_ORG_ID),
    sandbox,
    readOnly: values['read-only'] ?? bool('OPENAI_ADMIN_MCP_READ_ONLY', env),
    toolsets: list(values.toolsets ?? env.OPENAI_ADMIN_MCP_TOOLSETS),
    tools: list(values.tools ?? env.OPENAI_ADMIN_MCP_TOOLS),
    dynamic: values.dynamic ?? bool('OPENAI_ADMIN_MCP_DYNAMIC', env),
    scripts: oneOf('--scripts', values.scripts ?? nonEmpty(env.OPENAI_ADMIN_MCP_SCRIPTS) ?? 'on', ['on', 'off'] as const) === 'on',
    project: projectId(values.project ?? nonEmpty(env.OPENAI_ADMIN_MCP_PROJECT)),
    auditLog: values['audit-log'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_AUDIT_LOG),
    confirmWith: oneOf('--confirm-with', values['confirm-with'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_CONFIRM_WITH) ?? 'auto', ['token', 'elicitation', 'auto', 'approval'] as const),
    confirmSecret: secret('OPENAI_ADMIN_MCP_CONFIRM_SECRET', nonEmpty(env.OPENAI_ADMIN_MCP_CONFIRM_SECRET)),
    store: storeUrl(values.store ?? nonEmpty(env.OPENAI_ADMIN_MCP_STORE)),
    storeLockWaitMs: storeLockWait(values['store-lock-wait'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_STORE_LOCK_WAIT), values.store ?? nonEmpty(env.OPENAI_ADMIN_MCP_STORE)),
    redactSecrets: values['redact-secrets'] ?? bool('OPENAI_ADMIN_MCP_REDACT_SECRETS', env),
    http: values.http ?? bool('OPENAI_ADMIN_MCP_HTTP', env),
    host: values.host ?? nonEmpty(env.OPENAI_ADMIN_MCP_HOST) ?? '127.0.0.1',
    port: port === undefined ? (command === 'sandbox' ? 0 : 3000) : integer('--port', port, 0, 65_535),
    noAuth: values['no-auth'] ?? bool('OPENAI_ADMIN_MCP_NO_AUTH', env),
    stateless: values.stateless ?? bool('OPENAI_ADMIN_MCP_STATELESS', env),
    httpToken: nonEmpty(env.OPENAI_ADMIN_MCP_HTTP_TOKEN),
    ...oauth(values['oauth-issuer'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_OAUTH_ISSUER), values['oauth-audience'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_OAUTH_AUDIENCE)),
    oauthAcceptTypJwt: withOAuth('--oauth-accept-typ-jwt', values['oauth-accept-typ-jwt'] ?? bool('OPENAI_ADMIN_MCP_OAUTH_ACCEPT_TYP_JWT', env), values['oauth-issuer'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_OAUTH_ISSUER)),
    policy: policyFile(values.policy ?? nonEmpty(env.OPENAI_ADMIN_MCP_POLICY), values['oauth-issuer'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_OAUTH_ISSUER)),
    approvalClientId: values['approval-client-id'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_APPROVAL_CLIENT_ID),
    approvalClientSecret: nonEmpty(env.OPENAI_ADMIN_MCP_APPROVAL_CLIENT_SECRET),
    approvalTtl: integer('--approval-ttl', values['approval-ttl'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_APPROVAL_TTL) ?? '900', 60, 86_400),
    keyFromHeader: values['key-from-header'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_KEY_FROM_HEADER),
    sessionIdleTimeout: integer('--session-idle-timeout', values['session-idle-timeout'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_SESSION_IDLE_TIMEOUT) ?? '1800', 1, 86_400),
    ...(values.out !== undefined ? { out: values.out } : {}),
    json: values.json ?? false,
    logLevel: logLevel(values['log-level'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_LOG_LEVEL) ?? 'info'),
    maxRetries: integer('--max-retries', values['max-retries'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_MAX_RETRIES) ?? '2', 0, 10),
    requestTimeoutMs: 1000 * integer('--request-timeout', values['request-timeout'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_REQUEST_TIMEOUT) ?? '60', 1, 600),
    // At most 256: the answer becomes one string, and V8's strings stop at about 512 MB.
    maxResponseBytes: MIB * integer('--max-response-mb', values['max-response-mb'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_MAX_RESPONSE_MB) ?? String(DEFAULT_MAX_RESPONSE_BYTES / MIB), 1, 256),
    maxResultTokens: integer('--max-result-tokens', values['max-result-tokens'] ?? nonEmpty(env.OPENAI_ADMIN_MCP_MAX_RESULT_TOKENS) ?? '8000', 1_000, 1_000_000),
    seed: integer('--seed', values.seed ?? '1', 0, 2 ** 31 - 1),
    latencyMs: integer('--latency-ms', values['latency-ms'] ?? '0', 0, 60_000),
    faultRate: fraction('--fault-rate', values['fault-rate'] ?? '0'),
    size: sandboxSize(values.size ?? 'small'),
    rateLimitRpm: integer('--rate-limit', values['rate-limit'] ?? '0', 0, 1_000_000),
  };
  approvalSettings(config);
  return config;
}

/**
 * `--confirm-with approval` sends people to this server's approval page, where they sign in with the
 * issuer that signs the access tokens: it needs HTTP, OAuth, a policy saying which calls need
 * approval, and the page's OIDC client. The page's settings mean nothing without it.
 */
function approvalSettings(config: ServerConfig): void {
  if (config.confirmWith !== 'approval') {
    if (config.approvalClientId !== undefined) throw new UsageError('--approval-client-id is the approval page\'s OIDC client: it needs --confirm-with approval.');
    return;
  }
  if (config.command !== 'serve' || !config.http || !config.oauthIssuer) {
    throw new UsageError('--confirm-with approval sends a person to this server\'s approval page to sign in with the team\'s issuer: it needs --http with --oauth-issuer and --oauth-audience.');
  }
  if (!config.policy) throw new UsageError('--confirm-with approval needs --policy FILE with an "approvals" list saying which calls need approval and who may approve them.');
  if (!config.approvalClientId) {
    throw new UsageError('--confirm-with approval needs --approval-client-id ID: the OIDC client the approval page signs approvers in with (redirect URI <origin of --oauth-audience>/approvals/callback; set OPENAI_ADMIN_MCP_APPROVAL_CLIENT_SECRET for a confidential client).');
  }
}

function sandboxSize(text: string): OrgSize {
  try {
    return parseSize(text);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`);
  }
}

function rejectExtra(command: string, rest: string[]): string[] {
  if (rest.length > 0) throw new UsageError(`Unexpected argument '${rest[0]}' after '${command}'.`);
  return [];
}

/**
 * A model holds tokens signed with this secret, so a short one could be guessed offline from them.
 */
function secret(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.length < 16) throw new UsageError(`${name} must be at least 16 characters (it signs confirmation tokens); use e.g. \`openssl rand -hex 32\`.`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Safety switches must never be misread: anything but a clear yes or no is an error. Unset or empty is off. */
function bool(name: string, env: NodeJS.ProcessEnv): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return false;
  const value = parseBoolean(raw);
  if (value === undefined) throw new UsageError(`${name}='${raw}' is not a boolean: use ${BOOLEAN_WORDS}.`);
  return value;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`Expected a comma-separated list, got '${value}'.`);
  return items;
}

function integer(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`${flag} expects a whole number from ${min} to ${max}, got '${raw}'.`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`${flag} expects a whole number from ${min} to ${max}, got '${raw}'.`);
  return value;
}

function fraction(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`${flag} expects a number from 0 to 1 (e.g. 0.2 for 20%), got '${raw}'.`);
  }
  return value;
}

function oneOf<T extends string>(flag: string, raw: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(raw)) throw new UsageError(`${flag} expects one of ${values.join(', ')}, got '${raw}'.`);
  return raw as T;
}

function logLevel(raw: string): LogLevel {
  const level = parseLogLevel(raw);
  if (!level) throw new UsageError(`--log-level expects one of silent, error, warn, info, debug, got '${raw}'.`);
  return level;
}

function url(name: string, raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('protocol');
    return raw;
  } catch {
    throw new UsageError(`${name}='${raw}' is not an http(s) URL.`);
  }
}

/** Both or neither: a resource server needs to know whom to trust and who it is. */
function oauth(issuer: string | undefined, audience: string | undefined): { oauthIssuer: string | undefined; oauthAudience: string | undefined } {
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new UsageError('--oauth-issuer and --oauth-audience go together: the issuer of the access tokens, and this server\'s resource URL (e.g. https://mcp.example.com/mcp), which tokens must carry as aud.');
  }
  if (issuer !== undefined) url('--oauth-issuer', issuer);
  if (audience !== undefined) url('--oauth-audience', audience);
  return { oauthIssuer: issuer, oauthAudience: audience };
}

/** A switch of the OAuth resource server means nothing without one: refused rather than ignored. */
function withOAuth(flag: string, on: boolean, issuer: string | undefined): boolean {
  if (on && issuer === undefined) throw new UsageError(`${flag} changes which OAuth access tokens are taken: it needs --oauth-issuer and --oauth-audience.`);
  return on;
}

/** A policy maps token claims to rights, so it means nothing without OAuth; the file is read at start. */
function policyFile(path: string | undefined, issuer: string | undefined): string | undefined {
  if (path !== undefined && issuer === undefined) {
    throw new UsageError('--policy maps claims of OAuth access tokens to rights: it needs --oauth-issuer and --oauth-audience.');
  }
  return path;
}

/** The lock wait in ms; set without a store it would do nothing, so it is refused. */
function storeLockWait(raw: string | undefined, store: string | undefined): number {
  if (raw !== undefined && store === undefined) throw new UsageError('--store-lock-wait (OPENAI_ADMIN_MCP_STORE_LOCK_WAIT) applies only with --store (OPENAI_ADMIN_MCP_STORE).');
  return 1000 * integer('--store-lock-wait', raw ?? '30', 1, 600);
}

/** Only the scheme and host are checked here; whether Redis answers is the store's business at run time. */
function storeUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    // The value may hold a password: name the expected form, not the value.
    throw new UsageError('--store (OPENAI_ADMIN_MCP_STORE) expects a Redis URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0.');
  }
  return raw;
}

function projectId(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!isProjectId(raw)) throw new UsageError(`--project expects a project ID like proj_abc123, got '${raw}'.`);
  return raw;
}
