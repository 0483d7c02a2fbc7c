import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SignJWT, decodeProtectedHeader, generateKeyPair, importJWK, type JWK } from 'jose';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceServer } from '../../../src/server/access/oauth.js';
import { text } from '../../connect.js';
import { serveHttp, type RunningCli } from '../../serve-http.js';
import { CLIENT_ID, startProvider, type Provider } from '../oidc.js';
import { freePort } from '../../../bench/redis-server.js';

/*
 * The HTTP server as an OAuth resource server, against a real oidc-provider started here. Good
 * tokens come from the provider's token endpoint; the refusal matrix forges the bad ones.
 */

let provider: Provider;
let server: RunningCli;
let audience: string;
let origin: string;
const auditDir = mkdtempSync(join(tmpdir(), 'oamcp-oauth-audit-'));
const auditFile = join(auditDir, 'audit.jsonl');
const policyFile = join(auditDir, 'policy.json');
/** The operator's policy: full rights for the provider's client and the forged people, narrower for the rest, nothing for strangers. */
const POLICY = {
  rules: [
    { subs: [CLIENT_ID, 'mallory', 'user-alice', 'user-bob'] },
    { groups: ['finance'], rights: 'read', toolsets: ['reports', 'usage'] },
    { emails: ['Dev@Example.com'], rights: 'write', toolsets: ['projects'], projects: ['proj_devonly'] },
    // Two rules for one person: each is used whole, never mixed with the other (issue 17, item 3).
    { subs: ['mixer'], rights: 'read', toolsets: ['reports'] },
    { subs: ['mixer'], rights: 'destructive', toolsets: ['keys'], projects: ['proj_Atlas'] },
  ],
};
const clients: Client[] = [];
const META = new Set(['search_tools', 'describe_tool', 'call_tool', 'run_script']);

beforeAll(async () => {
  provider = await startProvider();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  audience = `${origin}/mcp`;
  writeFileSync(policyFile, JSON.stringify(POLICY));
  // The default listing (curated tools and the meta-tools), so call_tool is there to be held to the grant too.
  const flags = ['--oauth-issuer', provider.issuer, '--oauth-audience', audience, '--policy', policyFile, '--audit-log', auditFile];
  server = await serveHttp(['--sandbox', '--port', String(port), ...flags], {});
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
  await provider?.close();
  rmSync(auditDir, { recursive: true, force: true });
});

async function connect(token: string): Promise<Client> {
  return (await connectWithSession(token)).client;
}

async function connectWithSession(token: string): Promise<{ client: Client; sessionId: string }> {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(audience), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  clients.push(client);
  return { client, sessionId: transport.sessionId as string };
}

/** A raw request on an existing session, as another client would send it. */
const onSession = (sessionId: string, token: string, method: 'POST' | 'DELETE' = 'POST') =>
  fetch(audience, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18', authorization: `Bearer ${token}` },
    ...(method === 'POST' ? { body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'projects_list', arguments: { limit: 1 } } }) } : {}),
  });

const post = (token?: string) =>
  fetch(audience, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });

/** A token signed with the provider's key; `typ` null leaves the header's typ out. */
async function forge(claims: Record<string, unknown>, options: { jwk?: JWK; alg?: string; typ?: string | null } = {}): Promise<string> {
  const key = await importJWK(options.jwk ?? provider.privateJwk, options.alg ?? 'RS256');
  const now = Math.floor(Date.now() / 1000);
  const typ = options.typ === undefined ? 'at+jwt' : options.typ;
  return new SignJWT({ scope: 'admin:destructive', client_id: 'forger', ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: (options.jwk ?? provider.privateJwk).kid as string, ...(typ === null ? {} : { typ }) })
    .setIssuer((claims.iss as string | undefined) ?? provider.issuer)
    .setAudience((claims.aud as string | undefined) ?? audience)
    .setSubject((claims.sub as string | undefined) ?? 'mallory')
    .setIssuedAt(now)
    .setExpirationTime((claims.exp as number | undefined) ?? now + 300)
    .sign(key);
}

describe('OAuth resource server', () => {
  it('publishes RFC 9728 metadata and answers 401 with resource_metadata', async () => {
    const meta = (await (await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({ resource: audience, authorization_servers: [provider.issuer], scopes_supported: ['admin:read', 'admin:write', 'admin:destructive'] });
    const response = await post();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer resource_metadata="${origin}/\\.well-known/oauth-protected-resource/mcp"`));
  });

  it('the discovery chain works with the MCP SDK client: 401, resource metadata, authorization server metadata', async () => {
    const { extractResourceMetadataUrl, discoverOAuthProtectedResourceMetadata, discoverAuthorizationServerMetadata } = await import('@modelcontextprotocol/sdk/client/auth.js');
    const unauthorized = await post();
    expect(unauthorized.status).toBe(401);
    const metadataUrl = extractResourceMetadataUrl(unauthorized);
    expect(metadataUrl?.toString()).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`);
    const resource = await discoverOAuthProtectedResourceMetadata(audience, { resourceMetadataUrl: metadataUrl });
    expect(resource.resource).toBe(audience);
    const server = await discoverAuthorizationServerMetadata(resource.authorization_servers?.[0] as string);
    expect(server?.issuer).toBe(provider.issuer);
    expect(server?.token_endpoint).toBe(`${provider.issuer}/token`);
  });

  it('accepts a token the provider issued for this resource', async () => {
    const client = await connect(await provider.token('admin:destructive', audience));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('offboard_user'); // destructive, listed by default
    expect(names).toContain('call_tool');
  });

  it('refuses another audience, an expired token, a wrong issuer, alg none, another key and HS256 with the public key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const otherKey = { ...(await (await import('jose')).exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)), kid: provider.privateJwk.kid };
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: provider.issuer, aud: audience, sub: 'mallory', scope: 'admin:destructive', exp: now + 300 })).toString('base64url')}.`;
    const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', kid: provider.privateJwk.kid })).toString('base64url');
    const hsBody = Buffer.from(JSON.stringify({ iss: provider.issuer, aud: audience, sub: 'mallory', scope: 'admin:destructive', exp: now + 300 })).toString('base64url');
    const publicKeyBytes = JSON.stringify({ kty: provider.privateJwk.kty, n: provider.privateJwk.n, e: provider.privateJwk.e });
    const hs256 = `${hsHeader}.${hsBody}.${createHmac('sha256', publicKeyBytes).update(`${hsHeader}.${hsBody}`).digest('base64url')}`;
    const cases: Array<[string, string, RegExp]> = [
      ['another audience', await provider.token('admin:destructive', 'http://127.0.0.1:1/other'), /another audience/],
      ['expired', await forge({ exp: now - 3600 }), /expired/],
      ['wrong issuer', await forge({ iss: 'http://127.0.0.1:2/evil' }), /another authorization server/],
      ['alg none', unsigned, /algorithm|not a valid JWT/],
      ['another key', await forge({}, { jwk: otherKey }), /signature/],
      ['HS256 with the public key', hs256, /algorithm/],
    ];
    for (const [name, token, reason] of cases) {
      const response = await post(token);
      expect(response.status, name).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge, name).toMatch(/error="invalid_token"/);
      expect(challenge, name).toMatch(reason);
    }
  });

  it('a read-scope token can neither list nor call writes', async () => {
    const client = await connect(await provider.token('admin:read', audience));
    const tools = (await client.listTools()).tools;
    expect(tools.length).toBeGreaterThan(10);
    expect(tools.map((t) => t.name)).toContain('projects_list');
    expect(tools.filter((t) => !META.has(t.name)).every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    const refused = (await client.callTool({ name: 'projects_create', arguments: { name: 'Sneaky' } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/projects_create is not available to you: you may only read \(your access token's scopes \(admin:read\)/);
    const read = (await client.callTool({ name: 'projects_list', arguments: { limit: 1 } })) as CallToolResult;
    expect(read.isError, text(read)).toBeFalsy();
  });

  it('a write-scope token gets writes but no destructive tools', async () => {
    const client = await connect(await provider.token('admin:write', audience));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('groups_create');
    expect(names).not.toContain('offboard_user');
    const refused = (await client.callTool({ name: 'projects_archive', arguments: { project_id: 'proj_abc' } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/not available to you: it is destructive/);
    // call_tool is held to the same rights.
    const viaMeta = (await client.callTool({ name: 'call_tool', arguments: { name: 'projects_archive', arguments: { project_id: 'proj_abc' } } })) as CallToolResult;
    expect(text(viaMeta)).toMatch(/projects_archive is not available to you: it is destructive/);
    // search_tools and describe_tool show only what the person may use, as the listing does.
    const search = (await client.callTool({ name: 'search_tools', arguments: { query: 'archive project', limit: 50 } })) as CallToolResult;
    const found = (search.structuredContent as { tools: Array<{ name: string; effect: string }> }).tools;
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((t) => t.name)).not.toContain('projects_archive');
    expect(found.every((t) => t.effect !== 'destructive')).toBe(true);
    const described = (await client.callTool({ name: 'describe_tool', arguments: { name: 'projects_archive' } })) as CallToolResult;
    expect(described.isError).toBe(true);
    // It exists, and the person learns what hides it (issue 19 §3).
    expect(text(described)).toMatch(/projects_archive exists, but is hidden here: your access \(the OAuth policy\) does not include projects_archive/);
    const allowed = (await client.callTool({ name: 'describe_tool', arguments: { name: 'projects_create' } })) as CallToolResult;
    expect(allowed.isError, text(allowed)).toBeFalsy();
  });

  it("the operator's policy maps groups to toolsets and a verified email to projects; strangers get nothing", async () => {
    // Finance: a destructive-scope token, but the policy gives the group reads of reports and usage only.
    const finance = await connect(await forge({ sub: 'user-carol', groups: ['finance', 'staff'], scope: 'admin:destructive' }));
    const financeTools = (await finance.listTools()).tools;
    expect(financeTools.map((t) => t.name)).toContain('spend_report');
    expect(financeTools.map((t) => t.name)).not.toContain('projects_list');
    expect(financeTools.filter((t) => !META.has(t.name)).every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    const outside = (await finance.callTool({ name: 'projects_list', arguments: {} })) as CallToolResult;
    expect(text(outside)).toMatch(/projects_list is not available to you: it is in the projects toolset, and yours are reports, usage/);
    const usage = (await finance.callTool({ name: 'usage_completions', arguments: { start_time: 1_700_000_000 } })) as CallToolResult;
    expect(usage.isError, text(usage)).toBeFalsy();

    // A developer, matched by verified email (case-insensitive): writes in the projects toolset, one project only.
    const dev = await connect(await forge({ sub: 'user-dave', email: 'dev@example.com', email_verified: true, scope: 'admin:destructive' }));
    const devNames = (await dev.listTools()).tools.map((t) => t.name);
    expect(devNames).toContain('projects_retrieve');
    expect(devNames).not.toContain('projects_create'); // names no project: it reaches the whole organization
    expect(devNames).not.toContain('users_list');
    const archive = (await dev.callTool({ name: 'call_tool', arguments: { name: 'projects_archive', arguments: { project_id: 'proj_devonly' } } })) as CallToolResult;
    expect(text(archive)).toMatch(/projects_archive is not available to you: it is destructive/); // the rule caps at write
    const other = (await dev.callTool({ name: 'projects_retrieve', arguments: { project_id: 'proj_someoneelse' } })) as CallToolResult;
    expect(text(other)).toMatch(/project proj_someoneelse is not one of yours \(proj_devonly\)/);
    const otherWrite = (await dev.callTool({ name: 'call_tool', arguments: { name: 'projects_update', arguments: { project_id: 'proj_someoneelse', name: 'Mine now' } } })) as CallToolResult;
    expect(text(otherWrite)).toMatch(/project proj_someoneelse is not one of yours/);
    const own = (await dev.callTool({ name: 'projects_retrieve', arguments: { project_id: 'proj_devonly' } })) as CallToolResult;
    expect(text(own)).not.toMatch(/not one of yours|not available to you/); // let through; the sandbox answers 404
    const org = (await dev.callTool({ name: 'users_list', arguments: {} })) as CallToolResult;
    expect(text(org)).toMatch(/users_list is not available to you/);

    // The same email, unverified, matches nothing; nor does a person no rule names.
    for (const claims of [{ sub: 'user-eve', email: 'dev@example.com', email_verified: false }, { sub: 'user-frank', groups: ['engineering'] }]) {
      const response = await post(await forge(claims));
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/no rule of this server's policy \(--policy\) grants/);
    }
  });

  it('two rules for one person are each used whole: the reports rule gives no reach to the keys rule, nor the keys rule to other projects', async () => {
    // Someone with every right finds a real key in a project other than proj_Atlas.
    const admin = await connect(await forge({ sub: 'mallory' }));
    const projects = (await admin.callTool({ name: 'projects_list', arguments: { limit: 100 } })) as CallToolResult;
    const other = (projects.structuredContent as { data: Array<{ id: string }> }).data[0]?.id as string;
    const keys = (await admin.callTool({ name: 'call_tool', arguments: { name: 'projects_api_keys_list', arguments: { project_id: other } } })) as CallToolResult;
    const key = (keys.structuredContent as { data: Array<{ id: string }> }).data[0]?.id as string;
    expect(key).toBeDefined();

    const mixer = await connect(await forge({ sub: 'mixer', scope: 'admin:destructive' }));
    const names = (await mixer.listTools()).tools.map((t) => t.name);
    expect(names).toContain('spend_report'); // the reports rule
    expect(names).not.toContain('admin_api_keys_create'); // keys, but the keys rule is limited to a project
    expect(names).not.toContain('projects_list');
    for (const call of [
      { name: 'admin_api_keys_create', arguments: { name: 'mixed' } },
      { name: 'call_tool', arguments: { name: 'admin_api_keys_create', arguments: { name: 'mixed' } } },
    ]) {
      const refused = (await mixer.callTool(call)) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(/admin_api_keys_create is not available to you: .*reaches the whole organization/);
    }
    for (const call of [
      { name: 'projects_api_keys_delete', arguments: { project_id: other, key_id: key } },
      { name: 'call_tool', arguments: { name: 'projects_api_keys_delete', arguments: { project_id: other, key_id: key } } },
    ]) {
      const refused = (await mixer.callTool(call)) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(new RegExp(`project ${other} is not one of yours \\(proj_Atlas\\)`));
    }
    const search = (await mixer.callTool({ name: 'search_tools', arguments: { query: 'admin key create', limit: 50 } })) as CallToolResult;
    expect((search.structuredContent as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).not.toContain('admin_api_keys_create');
    const described = (await mixer.callTool({ name: 'describe_tool', arguments: { name: 'admin_api_keys_create' } })) as CallToolResult;
    // It exists, so describe_tool says so, with what hides it (issue 19), and gives no schema.
    expect(described.isError).toBe(true);
    expect(text(described)).toMatch(/^admin_api_keys_create exists, but is/);
    // What each rule gives on its own still works.
    const report = (await mixer.callTool({ name: 'spend_report', arguments: { period: 'last_7_days' } })) as CallToolResult;
    expect(report.isError, text(report)).toBeFalsy();
    const own = (await mixer.callTool({ name: 'call_tool', arguments: { name: 'projects_api_keys_delete', arguments: { project_id: 'proj_Atlas', key_id: key } } })) as CallToolResult;
    expect(text(own)).not.toMatch(/not one of yours|not available to you/); // let through; the sandbox answers 404
  });

  it('only email_verified: true verifies an email: a string, a number or no claim does not', async () => {
    for (const email_verified of ['false', 'true', 1, undefined]) {
      const response = await post(await forge({ sub: 'user-gina', email: 'dev@example.com', ...(email_verified === undefined ? {} : { email_verified }) }));
      expect(response.status, JSON.stringify(email_verified)).toBe(403);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/grants subject user-gina any access/);
    }
    expect((await post(await forge({ sub: 'user-gina', email: 'dev@example.com', email_verified: true }))).status).toBe(200);
  });

  it('takes access tokens typed at+jwt (RFC 9068), as the provider issues them, and refuses other types', async () => {
    const issued = await provider.token('admin:read', audience);
    expect(decodeProtectedHeader(issued).typ).toBe('at+jwt');
    expect((await post(await forge({ sub: 'mallory' }, { typ: 'application/at+jwt' }))).status).toBe(200);
    const cases: Array<[string | null, RegExp]> = [
      ['JWT', /typ is JWT, not at\+jwt/],
      [null, /has no typ, not at\+jwt/],
      ['logout+jwt', /typ is logout\+jwt, not at\+jwt/],
    ];
    for (const [typ, reason] of cases) {
      const response = await post(await forge({ sub: 'mallory' }, { typ }));
      expect(response.status, String(typ)).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge, String(typ)).toMatch(/error="invalid_token"/);
      expect(challenge, String(typ)).toMatch(reason);
      expect(challenge, String(typ)).toMatch(/OPENAI_ADMIN_MCP_OAUTH_ACCEPT_TYP_JWT/);
    }
  });

  it('with --oauth-accept-typ-jwt also takes typ JWT or none, for providers that cannot issue at+jwt, but never another type', async () => {
    const server = new ResourceServer({ issuer: provider.issuer, audience, acceptTypJwt: true });
    expect((await server.verify(await provider.token('admin:write', audience))).right).toBe('write');
    expect((await server.verify(await forge({ sub: 'user-hal' }, { typ: 'JWT' }))).sub).toBe('user-hal');
    expect((await server.verify(await forge({ sub: 'user-hal' }, { typ: null }))).sub).toBe('user-hal');
    await expect(server.verify(await forge({ sub: 'user-hal' }, { typ: 'logout+jwt' }))).rejects.toThrow(/typ is logout\+jwt, not at\+jwt or JWT/);
    // An ID token is still refused: its aud is the client, not this server.
    await expect(server.verify(await forge({ sub: 'user-hal', aud: CLIENT_ID }, { typ: 'JWT' }))).rejects.toThrow(/another audience/);
  });

  it("a session belongs to the person who opened it: another person's valid token cannot use or close it", async () => {
    const { client: alice, sessionId } = await connectWithSession(await forge({ sub: 'user-alice', scope: 'admin:write' }));
    const bob = await forge({ sub: 'user-bob', scope: 'admin:write' });
    const used = await onSession(sessionId, bob);
    expect(used.status).toBe(403);
    expect(((await used.json()) as { error: { message: string } }).error.message).toMatch(/opened by another person/);
    expect((await onSession(sessionId, bob, 'DELETE')).status).toBe(403);
    // Alice's refreshed token (a new JWT, same person and rights) keeps using her session.
    const refreshed = await onSession(sessionId, await forge({ sub: 'user-alice', scope: 'admin:write', jti: 'refreshed' }));
    expect(refreshed.status).toBe(200);
    const still = (await alice.callTool({ name: 'projects_list', arguments: { limit: 1 } })) as CallToolResult;
    expect(still.isError, text(still)).toBeFalsy();
  });

  it('the audit line names the person and the session', async () => {
    const client = await connect(await forge({ sub: 'user-alice', email: 'alice@example.com', client_id: 'claude-desktop', scope: 'admin:write' }));
    const created = (await client.callTool({ name: 'projects_create', arguments: { name: 'Alice project' } })) as CallToolResult;
    expect(created.isError, text(created)).toBeFalsy();
    const lines = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.tool === 'projects_create' && (l.arguments as { name?: string }).name === 'Alice project');
    expect(mine.map((l) => l.phase)).toEqual(['request', 'result']);
    for (const line of mine) {
      expect(line.caller).toEqual({ sub: 'user-alice', email: 'alice@example.com', client_id: 'claude-desktop' });
      expect(line.session).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("a write refused by a person's rights is audited with the person, through call_tool too", async () => {
    const client = await connect(await forge({ sub: 'user-bob', email: 'bob@example.com', scope: 'admin:read' }));
    const direct = (await client.callTool({ name: 'projects_create', arguments: { name: 'Bob direct' } })) as CallToolResult;
    const viaMeta = (await client.callTool({ name: 'call_tool', arguments: { name: 'projects_create', arguments: { name: 'Bob via call_tool' } } })) as CallToolResult;
    for (const result of [direct, viaMeta]) expect(text(result)).toMatch(/projects_create is not available to you: you may only read/);
    const lines = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const bobs = lines.filter((l) => typeof (l.arguments as { name?: string }).name === 'string' && (l.arguments as { name: string }).name.startsWith('Bob '));
    expect(bobs).toHaveLength(2);
    for (const line of bobs) {
      expect(line).toMatchObject({ tool: 'projects_create', phase: 'final', outcome: 'refused', decision: 'not_permitted', caller: { sub: 'user-bob', email: 'bob@example.com' } });
      expect(line.session).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('a token with none of the admin scopes is refused with 403 insufficient_scope', async () => {
    const response = await post(await forge({ scope: 'openid' }));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });
});
