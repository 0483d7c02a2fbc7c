import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Configuration } from 'openid-client';
import { readBody } from '../../http-body.js';
import type { Logger } from '../../log.js';
import { isApprovalId, type Approvals, type LoadedApproval } from '../gate/approval.js';
import { approverRefusal, type Person } from '../access/policy.js';

/*
 * The approval page (`/approvals/<id>`, `--confirm-with approval`). The approver signs in with the
 * same OIDC issuer that signs the access tokens, through the authorization code flow with PKCE
 * (openid-client; a public client, or a confidential one when OPENAI_ADMIN_MCP_APPROVAL_CLIENT_SECRET
 * is set). The page shows exactly the preview the approval is bound to, escaped, under a CSP that
 * allows no script at all, and takes approve or reject through a form that a cross-site page cannot
 * submit: the session cookie is SameSite=Lax, the POST must come from this origin, and it must carry
 * a CSRF token bound to the session and the approval.
 *
 * Nothing here is kept in memory: the sign-in's verifier, state and nonce ride in a signed cookie,
 * the approver's session in another, and approvals in the confirmation store, so any replica that
 * shares OPENAI_ADMIN_MCP_CONFIRM_SECRET serves any step.
 */

export interface ApprovalPageOptions {
  approvals: Approvals;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Signs the cookies and the CSRF tokens; replicas need the same one. */
  secret: Buffer;
  logger: Logger;
  now?: () => number;
}

const SESSION_COOKIE = 'oamcp_approver';
const LOGIN_COOKIE = 'oamcp_login';
const SESSION_MS = 30 * 60 * 1000;
const LOGIN_MS = 10 * 60 * 1000;
const MAX_FORM = 8 * 1024;

interface Session {
  sid: string;
  sub: string;
  email?: string;
  ev: boolean;
  /** The groups claim, as the policy reads it. */
  g?: unknown;
  exp: number;
}

interface Login {
  verifier: string;
  state: string;
  nonce: string;
  /** The approval to return to. */
  id: string;
  exp: number;
}

export class ApprovalPage {
  private configuration: Promise<Configuration> | undefined;
  private readonly now: () => number;
  private readonly secure: boolean;

  constructor(private readonly options: ApprovalPageOptions) {
    this.now = options.now ?? Date.now;
    this.secure = options.approvals.origin.startsWith('https:');
  }

  handles(pathname: string): boolean {
    return pathname === '/approvals' || pathname.startsWith('/approvals/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const id = url.pathname.slice('/approvals/'.length);
    if (url.pathname === '/approvals/callback' && req.method === 'GET') return this.callback(req, res, url);
    if (!isApprovalId(id)) return this.page(res, 404, 'No such approval', '<p id="status" data-status="unknown">There is no approval at this address.</p>');
    if (req.method === 'GET') return this.show(req, res, id);
    if (req.method === 'POST') return this.decide(req, res, id);
    res.setHeader('allow', 'GET, POST');
    return this.page(res, 405, 'Method not allowed', '<p>This page answers GET and POST.</p>');
  }

  private async show(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const session = this.session(req);
    if (!session) return this.signIn(res, id);
    const loaded = await this.options.approvals.load(id);
    if (!loaded) return this.page(res, 404, 'No such approval', '<p id="status" data-status="unknown">There is no such approval: it may have aged out.</p>');
    return this.page(res, 200, `Approve ${loaded.record.tool}?`, await this.body(loaded, session));
  }

  private async body(loaded: LoadedApproval, session: Session, refusal?: string): Promise<string> {
    const { record, decision } = loaded;
    const approvals = this.options.approvals;
    const person = personOf(session, approvals.policy.groupsClaim);
    // The preview is the organization's data: shown to its approvers and its requester only.
    const outsider = approverRefusal(approvals.policy, record.rules, person, { sub: '' });
    if (outsider && person.sub !== record.requester.sub) return `<p id="status" data-status="not-allowed">You cannot see or decide this: <span id="reason">${escape(outsider)}</span>.</p>`;
    const facts = `<dl>
<dt>Requested by</dt><dd id="requester">${escape(record.requester.email ?? record.requester.sub)}</dd>
<dt>Requested at</dt><dd>${iso(record.requested_at)}</dd>
<dt>Expires at</dt><dd>${iso(record.expires_at)}</dd>
<dt>You</dt><dd id="approver">${escape(session.email ?? session.sub)}</dd>
</dl>
<h2>What was previewed (data from the API)</h2>
<pre id="preview">${escape(record.preview)}</pre>
<h2>Arguments</h2>
<pre id="arguments">${escape(JSON.stringify(record.arguments, null, 2))}</pre>`;
    let status: string;
    let form = '';
    const decided = decision ? `${decision.verdict === 'approved' ? 'Approved' : 'Rejected'} by ${escape(decision.by.email ?? decision.by.sub)} at ${iso(decision.at)}.` : '';
    if (refusal) status = `<p id="status" data-status="refused">Refused: <span id="reason">${escape(refusal)}</span>.</p>`;
    else if (loaded.expired && decision?.verdict !== 'rejected') {
      await approvals.expired(record);
      status = `<p id="status" data-status="expired">This approval expired at ${iso(record.expires_at)}: it can no longer execute. ${decided} The requester can ask again.</p>`;
    } else if (decision) status = `<p id="status" data-status="${decision.verdict}">${decided}</p>`;
    else if ((await approvals.changed(record)) === true) {
      status = '<p id="status" data-status="changed">A target changed since this preview, so this approval can no longer execute. The requester must call again to preview the current state.</p>';
    } else {
      const why = approverRefusal(approvals.policy, record.rules, person, record.requester);
      if (why) status = `<p id="status" data-status="not-allowed">You cannot decide this: <span id="reason">${escape(why)}</span>.</p>`;
      else {
        status = '<p id="status" data-status="pending">Waiting for a decision. Approving lets the requester execute exactly this, once.</p>';
        form = `<form method="post" action="/approvals/${record.id}">
<input type="hidden" name="csrf" value="${this.csrf(session, record.id)}">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="reject" id="reject">Reject</button>
</form>`;
      }
    }
    return `${status}\n${facts}\n${form}`;
  }

  private async decide(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    // A form posted from any other site is refused before its body is read.
    const origin = req.headers.origin;
    const sameOrigin = origin !== undefined ? origin === this.options.approvals.origin : req.headers['sec-fetch-site'] === 'same-origin';
    if (!sameOrigin) {
      return this.page(res, 403, 'Refused', '<p id="status" data-status="refused">Refused: <span id="reason">this form may be sent only from the approval page itself (cross-site request)</span>.</p>');
    }
    const session = this.session(req);
    if (!session) return this.page(res, 401, 'Sign in first', `<p id="status" data-status="refused">Refused: <span id="reason">you are not signed in</span>. <a href="/approvals/${id}">Open the approval</a> to sign in.</p>`);
    const form = new URLSearchParams(await readBody(req, MAX_FORM));
    if (!this.csrfValid(session, id, form.get('csrf') ?? '')) {
      return this.page(res, 403, 'Refused', '<p id="status" data-status="refused">Refused: <span id="reason">the form\'s CSRF token is missing or wrong; reload the approval page</span>.</p>');
    }
    const choice = form.get('decision');
    if (choice !== 'approve' && choice !== 'reject') return this.page(res, 400, 'Bad request', '<p id="status" data-status="refused">Refused: <span id="reason">decision must be approve or reject</span>.</p>');
    const approvals = this.options.approvals;
    const verdict = await approvals.decide(id, choice === 'approve' ? 'approved' : 'rejected', personOf(session, approvals.policy.groupsClaim));
    if (verdict.ok) {
      res.writeHead(303, { location: `/approvals/${id}`, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    const loaded = await approvals.load(id);
    if (!loaded) return this.page(res, 404, 'No such approval', `<p id="status" data-status="refused">Refused: <span id="reason">${escape(verdict.reason)}</span>.</p>`);
    return this.page(res, 403, 'Refused', await this.body(loaded, session, verdict.reason));
  }

  /** The start of the sign-in: authorization code with PKCE, state and nonce, kept in a signed cookie. */
  private async signIn(res: ServerResponse, id: string): Promise<void> {
    const client = await import('openid-client');
    const config = await this.config();
    const verifier = client.randomPKCECodeVerifier();
    const login: Login = { verifier, state: client.randomState(), nonce: client.randomNonce(), id, exp: this.now() + LOGIN_MS };
    const target = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(),
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    });
    res.setHeader('set-cookie', this.cookie(LOGIN_COOKIE, this.seal(LOGIN_COOKIE, login), LOGIN_MS));
    res.writeHead(302, { location: target.href, 'cache-control': 'no-store' });
    res.end();
  }

  private async callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const login = this.open<Login>(LOGIN_COOKIE, cookieOf(req, LOGIN_COOKIE));
    if (!login) return this.page(res, 400, 'Sign-in expired', '<p id="status" data-status="refused">Refused: <span id="reason">the sign-in was not started here or took too long</span>. Open the approval link again.</p>');
    const client = await import('openid-client');
    let session: Session;
    try {
      const config = await this.config();
      const current = new URL(`${url.pathname}${url.search}`, this.options.approvals.origin);
      const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true });
      const claims = tokens.claims() as Record<string, unknown> & { sub: string };
      // Some issuers put the groups and email only in userinfo; the ID token's claims win where both say.
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub).then(
        (u) => u as Record<string, unknown>,
        () => ({}) as Record<string, unknown>,
      );
      const merged = { ...info, ...claims };
      const groupsClaim = this.options.approvals.policy.groupsClaim;
      session = {
        sid: randomBytes(12).toString('base64url'),
        sub: claims.sub,
        ...(typeof merged.email === 'string' ? { email: merged.email } : {}),
        ev: merged.email_verified === true,
        ...(merged[groupsClaim] !== undefined ? { g: merged[groupsClaim] } : {}),
        exp: this.now() + SESSION_MS,
      };
    } catch (error) {
      this.options.logger.warn('approval sign-in failed', { error: (error as Error).message });
      return this.page(res, 400, 'Sign-in failed', `<p id="status" data-status="refused">Refused: <span id="reason">the sign-in failed (${escape((error as Error).message)})</span>. Open the approval link again.</p>`);
    }
    res.setHeader('set-cookie', [this.cookie(SESSION_COOKIE, this.seal(SESSION_COOKIE, session), SESSION_MS), this.cookie(LOGIN_COOKIE, '', 0)]);
    res.writeHead(303, { location: `/approvals/${login.id}`, 'cache-control': 'no-store' });
    res.end();
  }

  private config(): Promise<Configuration> {
    this.configuration ??= import('openid-client').then(async (client) => {
      const { issuer, clientId, clientSecret } = this.options;
      const server = new URL(issuer);
      // An http issuer is taken only because the operator named it so (a loopback issuer in tests).
      const execute = server.protocol === 'http:' ? [client.allowInsecureRequests] : [];
      return clientSecret ? client.discovery(server, clientId, clientSecret, undefined, { execute }) : client.discovery(server, clientId, undefined, client.None(), { execute });
    });
    return this.configuration.catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
  }

  private redirectUri(): string {
    return `${this.options.approvals.origin}/approvals/callback`;
  }

  private session(req: IncomingMessage): Session | undefined {
    return this.open<Session>(SESSION_COOKIE, cookieOf(req, SESSION_COOKIE));
  }

  private csrf(session: Session, id: string): string {
    return this.mac(`csrf|${session.sid}|${id}`);
  }

  private csrfValid(session: Session, id: string, given: string): boolean {
    const expected = Buffer.from(this.csrf(session, id));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.options.secret).update(text).digest('base64url');
  }

  /** A signed cookie value: the JSON, and a MAC over the cookie's name and it. */
  private seal(name: string, value: object): string {
    const body = Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${body}.${this.mac(`${name}|${body}`)}`;
  }

  private open<T extends { exp: number }>(name: string, raw: string | undefined): T | undefined {
    if (!raw) return undefined;
    const [body, signature, extra] = raw.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(`${name}|${body}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
      return typeof value.exp === 'number' && value.exp > this.now() ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private cookie(name: string, value: string, maxAgeMs: number): string {
    return `${name}=${value}; Path=/approvals; Max-Age=${Math.floor(maxAgeMs / 1000)}; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`;
  }

  private page(res: ServerResponse, status: number, title: string, body: string): void {
    const nonce = randomBytes(12).toString('base64');
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escape(title)} · openai-admin-mcp</title>
<style nonce="${nonce}">body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.75rem;white-space:pre-wrap;overflow-wrap:anywhere}dt{font-weight:600}button{font-size:1rem;margin-right:.75rem;padding:.4rem 1rem}#status{font-weight:600}</style>
</head><body><h1>${escape(title)}</h1>
${body}
</body></html>`;
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      // No script runs on this page at all; forms go only here; no one may frame it.
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the form, and the POST is refused.
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    res.end(html);
  }
}

function personOf(session: Session, groupsClaim: string): Person {
  return { sub: session.sub, ...(session.email ? { email: session.email } : {}), emailVerified: session.ev, claims: session.g === undefined ? {} : { [groupsClaim]: session.g } };
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Text as HTML: every character that could open markup or end an attribute, escaped. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const iso = (ms: number) => new Date(ms).toISOString();
