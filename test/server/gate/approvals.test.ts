import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ElicitationCompleteNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AdminClient } from '../../../src/client/index.js';
import { parseConfig, UsageError } from '../../../src/config.js';
import { openRuntime, type Runtime } from '../../../src/runtime.js';
import { startServing } from '../../../src/commands/serve.js';
import type { RunningHttp } from '../../../src/server/http/http.js';
import { parsePolicy } from '../../../src/server/access/policy.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';
import { startNginx, type Nginx } from '../../../bench/nginx.js';
import { freePort, startRedis, type RedisServer } from '../../../bench/redis-server.js';
import { structured, text } from '../../connect.js';
import { serveHttp, type RunningCli } from '../../serve-http.js';
import { launchBrowser } from '../../views/browser.js';
import { describeNeeding } from '../../prerequisites.js';
import { startProvider, type Provider } from '../oidc.js';

const describe = describeNeeding('chromium', 'redis-server', 'nginx');

/*
 * `--confirm-with approval` end to end: a real oidc-provider (the approvers sign in through its login
 * form in Chromium, by authorization code with PKCE), the server's approval page, MCP clients over
 * Streamable HTTP, and the sandbox counting what reached the API. One server runs in this process so
 * that the test owns its clock (expiry without waiting); three built replicas behind nginx with
 * Redis show the same flow across processes.
 */

const APPROVAL_CLIENT = 'approval-page';
const SECRET = 'approvals-shared-secret-0123456789';
const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true, groups: ['engineers'] },
  bob: { email: 'bob@example.com', email_verified: true, groups: ['admins'] },
  carol: { email: 'carol@example.com', email_verified: true, groups: ['finance'] },
  dave: { email: 'dave@example.com', email_verified: true, groups: ['admins'] },
};
/** Alice may approve by subject, so that her own request is refused by `distinct` and not for being outside the list. */
const POLICY = {
  rules: [{ subs: ['alice', 'bob', 'carol'] }],
  approvals: [{ effects: ['destructive'], approvers: { groups: ['admins'], subs: ['alice'] }, distinct: true }],
};

let provider: Provider;
let browser: Browser;
let sandbox: Sandbox;
let api: AdminClient;
let dir: string;
let auditFile: string;
/** The in-process server and its clock. */
let origin: string;
let runtime: Runtime;
let http: RunningHttp;
let clockOffset = 0;
/** The replicas, their Redis and nginx. */
let redis: RedisServer;
let replicas: RunningCli[] = [];
let nginx: Nginx;
let nginxOrigin: string;
const clients: Client[] = [];

beforeAll(async () => {
  // nginx first, routing nowhere yet: the replicas and the provider must know its URL, and a port
  // picked in advance for it could be taken by another process before it binds.
  const [port, balancer] = await Promise.all([freePort(), startNginx([])]);
  nginx = balancer;
  origin = `http://127.0.0.1:${port}`;
  nginxOrigin = new URL(nginx.url).origin;
  [provider, browser, sandbox, redis] = await Promise.all([
    startProvider({ clientId: APPROVAL_CLIENT, redirectUris: [`${origin}/approvals/callback`, `${nginxOrigin}/approvals/callback`], accounts: ACCOUNTS }),
    launchBrowser(),
    startSandbox({ seed: 23 }),
    startRedis(),
  ]);
  api = new AdminClient({ apiKey: 'sk-admin-approvals-setup', baseUrl: sandbox.url });
  dir = mkdtempSync(join(tmpdir(), 'oamcp-approvals-'));
  auditFile = join(dir, 'audit.jsonl');
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(POLICY));
  const env = { OPENAI_ADMIN_KEY: 'sk-admin-approvals-test', OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_CONFIRM_SECRET: SECRET };
  const flags = (audience: string) => ['--oauth-issuer', provider.issuer, '--oauth-audience', audience, '--policy', policyFile, '--confirm-with', 'approval', '--approval-client-id', APPROVAL_CLIENT, '--log-level', 'warn'];
  const config = parseConfig(['--http', '--port', String(port), '--audit-log', auditFile, '--toolsets', 'projects,keys,workflows', ...flags(`${origin}/mcp`)], env);
  runtime = await openRuntime(config, { now: () => Date.now() + clockOffset });
  http = await startServing(config, runtime, { now: () => Date.now() + clockOffset });
  replicas = await Promise.all(
    [0, 1, 2].map(() => serveHttp(['--stateless', '--toolsets', 'projects', ...flags(`${nginxOrigin}/mcp`)], { ...env, OPENAI_ADMIN_MCP_STORE: redis.url })),
  );
  await nginx.route(replicas.map((r) => r.url));
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await browser?.close();
  await http?.close();
  await runtime?.close();
  await nginx?.stop();
  await Promise.all(replicas.map((r) => r.stop()));
  await Promise.all([provider?.close(), sandbox?.close(), redis?.stop(), api?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function connect(sub: string, at = `${origin}/mcp`, capabilities: Record<string, unknown> = {}, audience = at): Promise<Client> {
  const token = await provider.personToken(sub, audience, { email: ACCOUNTS[sub as keyof typeof ACCOUNTS]?.email });
  const client = new Client({ name: 'approvals-test', version: '1.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(at), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;

interface Pending {
  status: string;
  approval_id: string;
  approval_url: string;
}

async function requestApproval(client: Client, name: string, args: Record<string, unknown>): Promise<Pending> {
  const result = await call(client, name, args);
  expect(result.isError, text(result)).toBeFalsy();
  const pending = structured<Pending>(result);
  expect(pending.status).toBe('approval_pending');
  return pending;
}

/** One browser context per person: they sign in once, through the provider's form, and their session cookie stays. */
const people = new Map<string, BrowserContext>();

/** Opens the approval page as `login`, signing in through the provider first if this person has not yet. */
async function openAsApprover(url: string, login: string): Promise<Page> {
  let context = people.get(login);
  const first = context === undefined;
  if (!context) {
    context = await browser.newContext();
    // The provider's login page imports a web font; nothing leaves the machine.
    await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
    people.set(login, context);
  }
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  if (first) {
    // Not signed in: the page sent the browser to the issuer.
    expect(page.url().startsWith(provider.issuer)).toBe(true);
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any');
    await page.click('button[type=submit]');
    await page.click('button:has-text("Continue")');
    await page.waitForURL(url);
  }
  await page.waitForSelector('#status');
  return page;
}

const statusOf = (page: Page) => page.getAttribute('#status', 'data-status');

async function decide(url: string, login: string, choice: 'approve' | 'reject'): Promise<Page> {
  const page = await openAsApprover(url, login);
  expect(await statusOf(page)).toBe('pending');
  await Promise.all([page.waitForNavigation(), page.click(`#${choice}`)]);
  expect(await page.textContent('body')).toContain(choice === 'approve' ? 'Approved by' : 'Rejected by');
  return page;
}

let serial = 0;
const newProject = async () => (await api.post<{ id: string }>('/organization/projects', { name: `Approvals project ${++serial}` })).id;
const sent = (method: string, path: string) => sandbox.requests.filter((r) => r.method === method && r.path === path).length;
const projectStatus = async (id: string) => (await api.get<{ status: string }>(`/organization/projects/${id}`)).status;
const auditLines = () =>
  readFileSync(auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown> & { approval?: Record<string, unknown> });

describe('--confirm-with approval', () => {
  it('a person approves, and the call executes once: pending before, executed after, a replay refused, both people in the audit', { timeout: 60_000 }, async () => {
    const alice = await connect('alice');
    const project_id = await newProject();
    const archive = `/organization/projects/${project_id}/archive`;
    // A token the model hands back is no approval.
    const asked = await requestApproval(alice, 'projects_archive', { project_id });
    expect(asked.approval_url).toBe(`${origin}/approvals/${asked.approval_id}`);
    const early = await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id });
    expect(structured<Pending>(early).status).toBe('approval_pending');

    const page = await decide(asked.approval_url, 'bob', 'approve');
    expect(await page.textContent('#preview')).toContain(project_id);
    expect(await page.textContent('#requester')).toBe('alice@example.com');
    await page.close();

    const done = await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id });
    expect(done.isError, text(done)).toBeFalsy();
    expect(await projectStatus(project_id)).toBe('archived');
    const replay = await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id });
    expect(replay.isError).toBe(true);
    expect(text(replay)).toMatch(/approval apr_\S+ has already been used; each approval executes once/);
    expect(sent('POST', archive)).toBe(1);

    const lines = auditLines().filter((l) => l.approval?.id === asked.approval_id);
    const result = lines.find((l) => l.phase === 'result');
    expect(result).toMatchObject({ outcome: 'succeeded', decision: 'approval_approved', caller: { sub: 'alice' }, approval: { requester: { sub: 'alice' }, approver: { sub: 'bob', email: 'bob@example.com' } } });
    expect(Date.parse(result?.approval?.requested_at as string)).toBeLessThanOrEqual(Date.parse(result?.approval?.decided_at as string));
    expect(lines.find((l) => l.outcome === 'approved')).toMatchObject({ caller: { sub: 'bob' } });
  });

  it('a person rejects, and nothing changes', { timeout: 60_000 }, async () => {
    const alice = await connect('alice');
    const project_id = await newProject();
    const asked = await requestApproval(alice, 'projects_archive', { project_id });
    (await decide(asked.approval_url, 'bob', 'reject')).close();
    const after = await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id });
    expect(structured(after)).toMatchObject({ status: 'rejected', changed: false });
    expect(text(after)).toMatch(/bob@example\.com rejected projects_archive/);
    expect(await projectStatus(project_id)).toBe('active');
    expect(sent('POST', `/organization/projects/${project_id}/archive`)).toBe(0);
    expect(auditLines().find((l) => l.approval?.id === asked.approval_id && l.outcome === 'rejected')).toMatchObject({ caller: { sub: 'bob' } });
  });

  it('the requester cannot approve their own call under distinct, nor can a person outside the approvers', { timeout: 60_000 }, async () => {
    const alice = await connect('alice');
    const project_id = await newProject();
    const asked = await requestApproval(alice, 'projects_archive', { project_id });
    for (const [login, why] of [
      ['alice', /requires a second person \(distinct: true\), and you asked for this call yourself/],
      ['carol', /you \(carol@example\.com\) are not among the approvers/],
    ] as const) {
      const page = await openAsApprover(asked.approval_url, login);
      expect(await statusOf(page)).toBe('not-allowed');
      expect(await page.textContent('#reason')).toMatch(why);
      expect(await page.locator('#approve').count()).toBe(0);
      // The requester sees what they asked for; someone outside the approvers does not see the organization's data.
      expect(await page.locator('#preview').count()).toBe(login === 'alice' ? 1 : 0);
      await page.close();
    }
    expect(structured<Pending>(await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id })).status).toBe('approval_pending');
  });

  it('a cross-site POST to the approval endpoint is refused, signed-in approver or not', { timeout: 60_000 }, async () => {
    const alice = await connect('alice');
    const project_id = await newProject();
    const asked = await requestApproval(alice, 'projects_archive', { project_id });
    const page = await openAsApprover(asked.approval_url, 'bob');
    // A page on another site (localhost is not 127.0.0.1) that submits the form on load.
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form method="post" action="${asked.approval_url}"><input name="decision" value="approve"><input name="csrf" value="guess"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const answer = page.waitForResponse((r) => r.url() === asked.approval_url && r.request().method() === 'POST');
      await page.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);
      expect((await answer).status()).toBe(403);
      await page.waitForSelector('#status');
      expect(await page.textContent('#reason')).toMatch(/cross-site request/);
      // From this origin with the approver's session cookie, but without the form's CSRF token: refused too.
      const forged = await page.context().request.post(asked.approval_url, { headers: { origin }, form: { decision: 'approve', csrf: 'guess' }, maxRedirects: 0 });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toMatch(/CSRF token is missing or wrong/);
    } finally {
      await page.close();
      attacker.close();
    }
    // No session at all: refused.
    const anonymous = await fetch(asked.approval_url, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&csrf=guess' });
    expect(anonymous.status).toBe(401);
    expect(structured<Pending>(await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id })).status).toBe('approval_pending');
  });

  it('an approval for plan A does not run plan B, and an approved plan runs once with both people on every step', { timeout: 60_000 }, async () => {
    const alice = await connect('alice');
    const [a, b] = await Promise.all([newProject(), newProject()]);
    const keys = await Promise.all(
      [a, b].map(async (project) => {
        const account = await api.post<{ api_key: { id: string } }>(`/organization/projects/${project}/service_accounts`, { name: `approvals-sa-${project}` });
        return account.api_key.id;
      }),
    );
    const asked = await requestApproval(alice, 'revoke_key', { key: keys[0] });
    (await decide(asked.approval_url, 'bob', 'approve')).close();
    const crossed = await call(alice, 'revoke_key', { key: keys[1], confirm: asked.approval_id });
    expect(crossed.isError).toBe(true);
    expect(text(crossed)).toMatch(/was given for other arguments, not for this call/);
    const other = await call(alice, 'projects_archive', { project_id: b, confirm: asked.approval_id });
    expect(text(other)).toMatch(/was given for revoke_key, not for this call/);

    const ran = await call(alice, 'revoke_key', { key: keys[0], confirm: asked.approval_id });
    expect(ran.isError, text(ran)).toBeFalsy();
    expect(structured(ran)).toMatchObject({ status: 'done' });
    const steps = auditLines().filter((l) => l.step !== undefined && l.approval?.id === asked.approval_id);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(step.approval).toMatchObject({ requester: { sub: 'alice' }, approver: { sub: 'bob' } });
    expect(sent('DELETE', `/organization/projects/${b}/api_keys/${keys[1]}`)).toBe(0);
  });

  it('a target that changed is refused: the page says so before approval, and the call refuses after it', { timeout: 60_000 }, async () => {
    const alice = await connect('alice');
    const [before, after] = await Promise.all([newProject(), newProject()]);
    const first = await requestApproval(alice, 'projects_archive', { project_id: before });
    await api.post(`/organization/projects/${before}`, { name: `Renamed ${before}` });
    const page = await openAsApprover(first.approval_url, 'bob');
    expect(await statusOf(page)).toBe('changed');
    expect(await page.locator('#approve').count()).toBe(0);
    await page.close();

    const second = await requestApproval(alice, 'projects_archive', { project_id: after });
    (await decide(second.approval_url, 'bob', 'approve')).close();
    await api.post(`/organization/projects/${after}`, { name: `Renamed ${after}` });
    const refused = await call(alice, 'projects_archive', { project_id: after, confirm: second.approval_id });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/the target changed since the preview that was approved/);
    expect(await projectStatus(after)).toBe('active');
  });

  it('an expired approval is refused, audited once and counted, and its page says so', { timeout: 60_000 }, async () => {
    const alice = await connect('alice');
    const project_id = await newProject();
    const asked = await requestApproval(alice, 'projects_archive', { project_id });
    (await decide(asked.approval_url, 'bob', 'approve')).close();
    clockOffset += 16 * 60 * 1000;
    try {
      const late = await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id });
      expect(late.isError).toBe(true);
      expect(text(late)).toMatch(/expired at .* before it was used/);
      await call(alice, 'projects_archive', { project_id, confirm: asked.approval_id });
      const page = await openAsApprover(asked.approval_url, 'bob');
      expect(await statusOf(page)).toBe('expired');
      await page.close();
      expect(auditLines().filter((l) => l.approval?.id === asked.approval_id && l.outcome === 'expired')).toHaveLength(1);
      const token = await provider.personToken('alice', `${origin}/mcp`);
      const metrics = await (await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      for (const event of ['requested', 'approved', 'rejected', 'expired']) expect(metrics).toMatch(new RegExp(`openai_admin_mcp_approvals_total\\{event="${event}"\\} [1-9]`));
    } finally {
      clockOffset -= 16 * 60 * 1000;
    }
    expect(await projectStatus(project_id)).toBe('active');
  });

  it('a client with URL elicitation is sent to the page, and the call executes when the person approves', { timeout: 60_000 }, async () => {
    const client = await connect('alice', `${origin}/mcp`, { elicitation: { url: {} } });
    const completed: string[] = [];
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => void completed.push(n.params.elicitationId));
    const asked: Array<{ mode?: string; url?: string; elicitationId?: string }> = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const params = request.params as { mode?: string; url?: string; elicitationId?: string };
      asked.push(params);
      (await decide(params.url as string, 'bob', 'approve')).close();
      return { action: 'accept' };
    });
    const project_id = await newProject();
    const result = await call(client, 'projects_archive', { project_id });
    expect(result.isError, text(result)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ mode: 'url', url: `${origin}/approvals/${asked[0]?.elicitationId}` });
    expect(await projectStatus(project_id)).toBe('archived');
    await expect.poll(() => completed).toEqual([asked[0]?.elicitationId]);
  });

  it('across three stateless replicas behind nginx with Redis: any replica serves the page and the call, which executes once', { timeout: 90_000 }, async () => {
    const viaNginx = await connect('alice', `${nginxOrigin}/mcp`);
    const project_id = await newProject();
    const asked = await requestApproval(viaNginx, 'projects_archive', { project_id });
    expect(asked.approval_url).toBe(`${nginxOrigin}/approvals/${asked.approval_id}`);
    // Sign-in, callback, page and decision each land on whichever replica nginx picks.
    (await decide(asked.approval_url, 'dave', 'approve')).close();
    const direct = await Promise.all(replicas.map((r) => connect('alice', r.url, {}, `${nginxOrigin}/mcp`)));
    const results = await Promise.all(direct.map((c) => call(c, 'projects_archive', { project_id, confirm: asked.approval_id })));
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    for (const refused of results.filter((r) => r.isError)) expect(text(refused)).toMatch(/has already been used/);
    expect(sent('POST', `/organization/projects/${project_id}/archive`)).toBe(1);
  });
});

describe('approval settings', () => {
  it('refuses to start without what the approval page needs, naming it', () => {
    const env = { OPENAI_ADMIN_KEY: 'sk-admin-x' };
    const oauth = ['--http', '--oauth-issuer', 'https://id.example.com', '--oauth-audience', 'https://mcp.example.com/mcp'];
    expect(() => parseConfig(['--confirm-with', 'approval'], env)).toThrow(/needs --http with --oauth-issuer/);
    expect(() => parseConfig([...oauth, '--confirm-with', 'approval'], env)).toThrow(/needs --policy FILE with an "approvals" list/);
    expect(() => parseConfig([...oauth, '--policy', '/dev/null', '--confirm-with', 'approval'], env)).toThrow(/needs --approval-client-id ID/);
    expect(() => parseConfig([...oauth, '--approval-client-id', 'x'], env)).toThrow(UsageError);
  });

  it('checks the policy\'s approvals field by field', () => {
    const parse = (approvals: unknown) => parsePolicy({ rules: [{ subs: ['a'] }], approvals }, 'policy');
    expect(parse([{ effects: ['destructive'], approvers: { groups: ['admins'] } }]).approvals).toEqual([{ effects: ['destructive'], approvers: { groups: ['admins'] }, distinct: false }]);
    expect(() => parse([{ approvers: { groups: ['x'] } }])).toThrow(/approvals\[0\] matches no call/);
    expect(() => parse([{ effects: ['delete'], approvers: { groups: ['x'] } }])).toThrow(/approvals\[0\]\.effects names 'delete'/);
    expect(() => parse([{ tools: ['x'], approvers: {} }])).toThrow(/approvals\[0\]\.approvers names nobody/);
    expect(() => parse([{ tools: ['x'], approvers: { subs: ['a'] }, distinct: 'yes' }])).toThrow(/approvals\[0\]\.distinct must be true or false/);
    expect(parsePolicy({ rules: [{ subs: ['a'] }] }, 'policy').approvals).toEqual([]);
  });
});
