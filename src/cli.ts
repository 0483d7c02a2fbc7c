import { parseConfig, UsageError, type ServerConfig } from './config.js';
import { VERSION } from './version.js';

const HELP = `openai-admin-mcp ${VERSION}: an MCP server for the OpenAI Admin API

Usage:
  openai-admin-mcp [flags]                 MCP server on stdio (real API; needs OPENAI_ADMIN_KEY)
  openai-admin-mcp --sandbox [flags]       MCP server on the built-in simulated organization
  openai-admin-mcp sandbox [--port N] [--seed N] [--size S] [--rate-limit RPM] [--latency-ms N] [--fault-rate R]
                                           The simulated Admin API alone; prints its base URL
  openai-admin-mcp tools [--json] [flags]  List the tools these flags list: toolset, effect, endpoint
  openai-admin-mcp call TOOL [JSON] [flags]
                                           Call one tool under the same policy and print the result
  openai-admin-mcp view TOOL [JSON] --out FILE.html [flags]
                                           Run spend_report, usage_report or access_review and write
                                           its view as one standalone HTML file (no network needed)

Without --toolsets, --tools or --dynamic the server lists the reports, the most used tools and
search_tools, describe_tool and call_tool, which reach every other tool: at most 40, for any host.

Flags:
  --sandbox               Use the in-process sandbox instead of the real API (no key needed)
  --read-only             Only read tools; the HTTP client also refuses non-GET requests
  --toolsets a,b          Only these toolsets, all listed: all, reports, projects, members, keys,
                          limits, certificates, usage, audit, security (union with --tools)
  --tools x,y             Only these tools by name, all listed (union with --toolsets)
  --dynamic               List only search_tools, describe_tool, call_tool and run_script
  --scripts on|off        run_script: JavaScript in a QuickJS isolate whose api calls keep every
                          rule of this server, writes becoming one confirmed plan (default on)
  --project proj_…        Scope to one project: project tools drop project_id
  --audit-log FILE        Append every write attempt to FILE as JSON lines (mode 0600)
  --confirm-with MODE     token | elicitation | auto (default auto) | approval (HTTP with OAuth:
                          the calls the policy's "approvals" name wait for a person to approve
                          them on this server's /approvals page)
  --approval-client-id ID
                          With --confirm-with approval: the approval page's OIDC client at the
                          --oauth-issuer (redirect URI <audience origin>/approvals/callback)
  --approval-ttl S        Seconds an approval stays good, 60-86400 (default 900)
  --redact-secrets        Mask one-time secrets (new key values) even in results
  --store redis://H:P     Share used confirmation tokens and per-target locks with other replicas
                          through Redis, so a token executes once across all of them
  --store-lock-wait S     With --store: how long a confirmation waits for a target lock another
                          replica holds before it is refused, 1-600 s (default 30)
  --http                  Serve Streamable HTTP at /mcp instead of stdio
  --host H --port N       HTTP bind address (default 127.0.0.1:3000)
  --no-auth               Serve HTTP without a bearer token (loopback only)
  --oauth-issuer URL --oauth-audience URL
                          Accept OAuth access tokens (JWT) from this issuer, for this resource
                          URL, instead of OPENAI_ADMIN_MCP_HTTP_TOKEN; scopes admin:read,
                          admin:write, admin:destructive; tokens must be typed at+jwt (RFC 9068)
  --oauth-accept-typ-jwt  Also accept access tokens typed JWT or untyped (Entra ID, Okta…)
  --policy FILE           With OAuth: a JSON file mapping groups, emails or subjects from the
                          token's claims to rights, toolsets and projects
  --key-from-header NAME  Take the admin key from this request header (gateways)
  --stateless             Serve HTTP without sessions, so any replica can answer any request
  --session-idle-timeout S
                          Close an HTTP session after S seconds without a request (default 1800);
                          one that made no request after initialize closes after min(S, 300)
  --log-level LEVEL       silent | error | warn | info | debug (default info; logs go to stderr)
  --max-retries N         Retries for retryable failures, 0-10 (default 2)
  --request-timeout S     Deadline of one API request, headers and whole body, 1-600 s (default 60)
  --max-response-mb N     Cap on an API answer, on the wire and unpacked, 1-256 MB (default 64)
  --max-result-tokens N   Token budget of one tool result (default 8000); larger results are cut
                          at an item boundary with the arguments that continue them
  --seed N                With sandbox or --sandbox: the simulated organization's seed (default 1)
  --latency-ms N          With sandbox or --sandbox: latency added to every request, 0-60000 (default 0)
  --fault-rate R          With sandbox or --sandbox: share of requests answered with a fault, 0-1
                          (default 0)
  --size S                With sandbox or --sandbox: small (default), large, huge, or P,U,K counts
  --rate-limit RPM        With sandbox or --sandbox: requests a minute before 429 (default none)
  -h, --help              This help
  -v, --version           The version

Environment:
  OPENAI_ADMIN_KEY        Admin key (sk-admin-…)
  OPENAI_BASE_URL         Default https://api.openai.com/v1
  OPENAI_ORG_ID           Sent as the OpenAI-Organization header
  OPENAI_ADMIN_MCP_*      Flag equivalents: READ_ONLY=1, TOOLSETS=…, TOOLS=…, DYNAMIC=1, PROJECT=…,
                          AUDIT_LOG=…, CONFIRM_WITH=…, CONFIRM_SECRET=…, REDACT_SECRETS=1, STORE=…,
                          STORE_LOCK_WAIT=…, HTTP_TOKEN=…, OAUTH_ISSUER=…, OAUTH_AUDIENCE=…,
                          OAUTH_ACCEPT_TYP_JWT=1, POLICY=…, APPROVAL_CLIENT_ID=…,
                          APPROVAL_CLIENT_SECRET=…, APPROVAL_TTL=…, SESSION_IDLE_TIMEOUT=…,
                          LOG_LEVEL=…, MAX_RETRIES=…, MAX_RESULT_TOKENS=…, REQUEST_TIMEOUT=…,
                          MAX_RESPONSE_MB=…
                          Booleans take 1 or 0 (also true/false, yes/no, on/off); anything else exits 2
`;

async function main(argv: string[]): Promise<number> {
  let config: ServerConfig;
  try {
    config = parseConfig(argv, process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`openai-admin-mcp: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  switch (config.command) {
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'sandbox': {
      const { runSandbox } = await import('./commands/sandbox.js');
      return runSandbox(config);
    }
    case 'tools': {
      const { runTools } = await import('./commands/tools.js');
      return runTools(config);
    }
    case 'call': {
      const { runCall } = await import('./commands/call.js');
      return runCall(config);
    }
    case 'view': {
      const { runView } = await import('./commands/view.js');
      return runView(config);
    }
    case 'serve': {
      const { runServe } = await import('./commands/serve.js');
      return runServe(config);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof UsageError ? error.message : (error as Error).stack ?? String(error);
    process.stderr.write(`openai-admin-mcp: ${message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
