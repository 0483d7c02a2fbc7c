/**
 * Every command-line flag and environment variable, once. The option parser takes its flags and its
 * list of known variables from here, `--help` prints its Flags and Environment sections from here,
 * and test/readme.test.ts holds the README's flag table to it.
 */
export interface FlagSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  /** The value's placeholder in `--help`; a switch has none. */
  readonly value?: string;
  /** The variable that sets it when the flag is absent. */
  readonly env?: string;
  /** Against the real API it would do nothing, so it is refused there. */
  readonly sandboxOnly?: boolean;
  readonly help: string;
}

/** In `--help` order. The parser (node:util parseArgs) reads `type` and `short` and ignores the rest. */
export const FLAGS = {
  sandbox: { type: 'boolean', env: 'OPENAI_ADMIN_MCP_SANDBOX', help: 'Use the in-process sandbox instead of the real API (no key needed)' },
  'read-only': { type: 'boolean', env: 'OPENAI_ADMIN_MCP_READ_ONLY', help: 'Only read tools; the HTTP client also refuses non-GET requests' },
  toolsets: { type: 'string', value: 'a,b', env: 'OPENAI_ADMIN_MCP_TOOLSETS', help: 'Only these toolsets, all listed: all, reports, projects, members, keys, limits, certificates, usage, audit, security (union with --tools)' },
  tools: { type: 'string', value: 'x,y', env: 'OPENAI_ADMIN_MCP_TOOLS', help: 'Only these tools by name, all listed (union with --toolsets)' },
  dynamic: { type: 'boolean', env: 'OPENAI_ADMIN_MCP_DYNAMIC', help: 'List only search_tools, describe_tool, call_tool and run_script' },
  scripts: { type: 'string', value: 'on|off', env: 'OPENAI_ADMIN_MCP_SCRIPTS', help: 'run_script: JavaScript in a QuickJS isolate whose api calls keep every rule of this server, writes becoming one confirmed plan (default on)' },
  project: { type: 'string', value: 'proj_…', env: 'OPENAI_ADMIN_MCP_PROJECT', help: 'Scope to one project: project tools drop project_id' },
  'audit-log': { type: 'string', value: 'FILE', env: 'OPENAI_ADMIN_MCP_AUDIT_LOG', help: 'Append every write attempt to FILE as JSON lines (mode 0600)' },
  'confirm-with': { type: 'string', value: 'MODE', env: 'OPENAI_ADMIN_MCP_CONFIRM_WITH', help: 'token | elicitation | auto (default auto) | approval (HTTP with OAuth: the calls the policy\'s "approvals" name wait for a person to approve them on this server\'s /approvals page)' },
  'approval-client-id': { type: 'string', value: 'ID', env: 'OPENAI_ADMIN_MCP_APPROVAL_CLIENT_ID', help: 'With --confirm-with approval: the approval page\'s OIDC client at the --oauth-issuer (redirect URI <audience origin>/approvals/callback)' },
  'approval-ttl': { type: 'string', value: 'S', env: 'OPENAI_ADMIN_MCP_APPROVAL_TTL', help: 'Seconds an approval stays good, 60-86400 (default 900)' },
  'redact-secrets': { type: 'boolean', env: 'OPENAI_ADMIN_MCP_REDACT_SECRETS', help: 'Mask one-time secrets (new key values) even in results' },
  store: { type: 'string', value: 'redis://H:P', env: 'OPENAI_ADMIN_MCP_STORE', help: 'Share used confirmation tokens and per-target locks with other replicas through Redis, so a token executes once across all of them' },
  'store-lock-wait': { type: 'string', value: 'S', env: 'OPENAI_ADMIN_MCP_STORE_LOCK_WAIT', help: 'With --store: how long a confirmation waits for a target lock another replica holds before it is refused, 1-600 s (default 30)' },
  http: { type: 'boolean', env: 'OPENAI_ADMIN_MCP_HTTP', help: 'Serve Streamable HTTP at /mcp instead of stdio' },
  host: { type: 'string', value: 'H', env: 'OPENAI_ADMIN_MCP_HOST', help: 'HTTP bind address (default 127.0.0.1)' },
  port: { type: 'string', value: 'N', env: 'OPENAI_ADMIN_MCP_PORT', help: 'HTTP port (default 3000); for sandbox, its port (default 0, a free one)' },
  'no-auth': { type: 'boolean', env: 'OPENAI_ADMIN_MCP_NO_AUTH', help: 'Serve HTTP without a bearer token (loopback only)' },
  'oauth-issuer': { type: 'string', value: 'URL', env: 'OPENAI_ADMIN_MCP_OAUTH_ISSUER', help: 'Accept OAuth access tokens (JWT) from this issuer instead of OPENAI_ADMIN_MCP_HTTP_TOKEN; scopes admin:read, admin:write, admin:destructive; tokens must be typed at+jwt (RFC 9068)' },
  'oauth-audience': { type: 'string', value: 'URL', env: 'OPENAI_ADMIN_MCP_OAUTH_AUDIENCE', help: 'With --oauth-issuer: this server\'s resource URL, which the tokens must carry as aud' },
  'oauth-accept-typ-jwt': { type: 'boolean', env: 'OPENAI_ADMIN_MCP_OAUTH_ACCEPT_TYP_JWT', help: 'Also accept access tokens typed JWT or untyped (Entra ID, Okta…)' },
  policy: { type: 'string', value: 'FILE', env: 'OPENAI_ADMIN_MCP_POLICY', help: 'With OAuth: a JSON file mapping groups, emails or subjects from the token\'s claims to rights, toolsets and projects' },
  'key-from-header': { type: 'string', value: 'NAME', env: 'OPENAI_ADMIN_MCP_KEY_FROM_HEADER', help: 'Take the admin key from this request header (gateways)' },
  stateless: { type: 'boolean', env: 'OPENAI_ADMIN_MCP_STATELESS', help: 'Serve HTTP without sessions, so any replica can answer any request' },
  'session-idle-timeout': { type: 'string', value: 'S', env: 'OPENAI_ADMIN_MCP_SESSION_IDLE_TIMEOUT', help: 'Close an HTTP session after S seconds without a request (default 1800); one that made no request after initialize closes after min(S, 300)' },
  'log-level': { type: 'string', value: 'LEVEL', env: 'OPENAI_ADMIN_MCP_LOG_LEVEL', help: 'silent | error | warn | info | debug (default info; logs go to stderr)' },
  'max-retries': { type: 'string', value: 'N', env: 'OPENAI_ADMIN_MCP_MAX_RETRIES', help: 'Retries for retryable failures, 0-10 (default 2)' },
  'request-timeout': { type: 'string', value: 'S', env: 'OPENAI_ADMIN_MCP_REQUEST_TIMEOUT', help: 'Deadline of one API request, headers and whole body, 1-600 s (default 60)' },
  'max-response-mb': { type: 'string', value: 'N', env: 'OPENAI_ADMIN_MCP_MAX_RESPONSE_MB', help: 'Cap on an API answer, on the wire and unpacked, 1-256 MB (default 64)' },
  'max-result-tokens': { type: 'string', value: 'N', env: 'OPENAI_ADMIN_MCP_MAX_RESULT_TOKENS', help: 'Token budget of one tool result (default 8000); larger results are cut at an item boundary with the arguments that continue them' },
  seed: { type: 'string', value: 'N', sandboxOnly: true, help: 'the simulated organization\'s seed (default 1)' },
  'latency-ms': { type: 'string', value: 'N', sandboxOnly: true, help: 'latency added to every request, 0-60000 (default 0)' },
  'fault-rate': { type: 'string', value: 'R', sandboxOnly: true, help: 'share of requests answered with a fault, 0-1 (default 0)' },
  size: { type: 'string', value: 'S', sandboxOnly: true, help: 'small (default), large, huge, or P,U,K counts' },
  'rate-limit': { type: 'string', value: 'RPM', sandboxOnly: true, help: 'requests a minute before 429 (default none)' },
  json: { type: 'boolean', help: 'tools only: print JSON instead of a table' },
  out: { type: 'string', value: 'FILE.html', help: 'view only: the standalone HTML file to write' },
  help: { type: 'boolean', short: 'h', help: 'This help' },
  version: { type: 'boolean', short: 'v', help: 'The version' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** Variables no flag stands for: secrets stay out of argv (and so out of `ps`), and `sandbox`'s own port. */
export const OTHER_VARIABLES: readonly { readonly env: string; readonly help: string }[] = [
  { env: 'OPENAI_ADMIN_KEY', help: 'Admin key (sk-admin-…)' },
  { env: 'OPENAI_BASE_URL', help: 'Default https://api.openai.com/v1' },
  { env: 'OPENAI_ORG_ID', help: 'Sent as the OpenAI-Organization header' },
  { env: 'OPENAI_ADMIN_MCP_HTTP_TOKEN', help: 'Bearer token HTTP clients must send, unless --no-auth or OAuth' },
  { env: 'OPENAI_ADMIN_MCP_CONFIRM_SECRET', help: 'HMAC secret for confirmation tokens, at least 16 characters (default: random per process)' },
  { env: 'OPENAI_ADMIN_MCP_APPROVAL_CLIENT_SECRET', help: 'The approval page\'s OIDC client secret; absent, a public client with PKCE' },
  { env: 'OPENAI_ADMIN_MCP_SANDBOX_PORT', help: 'sandbox only: its --port' },
];

/** Every OPENAI_ADMIN_MCP_ variable: any other is a typo (READONLY for READ_ONLY) and refused. */
export const ENV_VARIABLES: readonly string[] = [
  ...Object.values(FLAGS).flatMap((flag: FlagSpec) => (flag.env ? [flag.env] : [])),
  ...OTHER_VARIABLES.map((variable) => variable.env),
].filter((name) => name.startsWith('OPENAI_ADMIN_MCP_'));

const WIDTH = 100;

/** Two-column help lines: a label too wide for its column gets a line of its own. */
function columns(rows: readonly (readonly [string, string])[], column: number): string {
  const indent = ' '.repeat(column);
  return rows
    .map(([label, text]) => {
      const lines = wrap(text, WIDTH - column);
      const head = `  ${label}`;
      const first = head.length + 2 <= column ? head.padEnd(column) + lines.shift() : head;
      return [first, ...lines.map((line) => indent + line)].join('\n');
    })
    .join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

function flagLabel(name: string, flag: FlagSpec): string {
  return `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.value ? ` ${flag.value}` : ''}`;
}

/** The Flags and Environment sections of `--help`. */
export function flagsHelp(): string {
  const flags = (Object.entries(FLAGS) as [string, FlagSpec][]).map(([name, flag]) => [flagLabel(name, flag), flag.sandboxOnly ? `With sandbox or --sandbox: ${flag.help}` : flag.help] as const);
  const variables = [
    ...OTHER_VARIABLES.map((variable) => [variable.env, variable.help] as const),
    ...(Object.entries(FLAGS) as [string, FlagSpec][]).flatMap(([name, flag]) => (flag.env ? [[`${flag.env}=${flag.value ?? '1'}`, `--${name}`] as const] : [])),
  ];
  return `Flags:\n${columns(flags, 26)}\n\nEnvironment:\n${columns(variables, 43)}\n  Booleans take 1 or 0 (also true/false, yes/no, on/off); anything else exits 2\n`;
}
