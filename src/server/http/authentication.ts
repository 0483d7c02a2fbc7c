import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { firstHeader } from '../../headers.js';
import type { AuditCaller } from '../gate/audit.js';
import { grantKey } from '../access/grant.js';
import type { Caller, ResourceServer } from '../access/oauth.js';
import { grantFor, type Grant, type Policy } from '../access/policy.js';
import { json, rpcError } from './wire.js';

/*
 * Who is calling: the static bearer token, or over OAuth a person and the grant the policy gives
 * them; the credential that keys their sessions and in-flight calls; and the identity the audit
 * log records.
 */

export interface AuthenticationOptions {
  noAuth: boolean;
  token?: string;
  oauth?: ResourceServer;
  policy?: Policy;
  /** The request header the admin key comes from (`--key-from-header`), lower case. */
  keyHeader?: string;
}

/** A request let in: over OAuth, the person and what they may do. */
export interface Admitted {
  caller?: Caller;
  grant?: Grant;
}

export class Authentication {
  /** Keys the credential hashes, so the session and call tables never hold a token or an admin key. */
  private readonly credentialKey = randomBytes(32);
  /** Where the OAuth protected resource metadata is served, besides the well-known root. */
  readonly resourceMetadataPath: string | undefined;
  private readonly resourceMetadataUrl: string | undefined;

  constructor(private readonly options: AuthenticationOptions) {
    const oauth = options.oauth;
    this.resourceMetadataPath = oauth ? `/.well-known/oauth-protected-resource${new URL(oauth.options.audience).pathname.replace(/\/$/, '')}` : undefined;
    this.resourceMetadataUrl = oauth ? new URL(this.resourceMetadataPath ?? '', oauth.options.audience).toString() : undefined;
  }

  /** Who is calling, or undefined once the refusal has been answered. */
  async admit(req: IncomingMessage, res: ServerResponse): Promise<Admitted | undefined> {
    if (this.options.oauth) {
      const verdict = await oauthCaller(req, this.options.oauth);
      if ('refused' in verdict) {
        const status = verdict.refused.error === 'insufficient_scope' ? 403 : 401;
        res.setHeader('www-authenticate', this.oauthChallenge(verdict.refused.error, verdict.refused.message));
        json(res, status, rpcError(-32001, `${status === 401 ? 'Unauthorized' : 'Forbidden'}: ${verdict.refused.message}.`));
        return undefined;
      }
      const caller = verdict.caller;
      const grant = grantFor(caller, this.options.policy);
      if (!grant) {
        const who = caller.email && caller.emailVerified ? caller.email : `subject ${caller.sub}`;
        json(res, 403, rpcError(-32001, `Forbidden: no rule of this server's policy (--policy) grants ${who} any access. Ask the operator to add your group or email.`));
        return undefined;
      }
      return { caller, grant };
    }
    const refusal = this.tokenRefusal(req);
    if (refusal) {
      // A bare `Bearer` challenge reads as "this server speaks OAuth" to clients such as the
      // Inspector, which then start an authorization flow that cannot succeed. The error code says
      // the token itself is wrong, so they show the message instead.
      res.setHeader('www-authenticate', challenge('invalid_token', refusal));
      json(res, 401, rpcError(-32001, `Unauthorized: ${refusal}`));
      return undefined;
    }
    return {};
  }

  /**
   * Who is calling, as one opaque string: the admin key from `--key-from-header` when the server
   * takes one, else the bearer token, else one anonymous caller. A keyed hash, so the tables that
   * hold it never hold a secret.
   */
  credentialOf(req: IncomingMessage, { caller, grant }: Admitted): string {
    const header = this.options.keyHeader;
    const key = header ? firstHeader(req.headers[header])?.replace(/^Bearer\s+/i, '') : undefined;
    // Over OAuth the person, not the token: a refreshed token keeps its sessions and quota; the
    // rights are part of it, so a session never outlives a narrowing of them.
    const person = caller ? `person:${JSON.stringify([caller.sub, grant ? grantKey(grant) : null])}` : undefined;
    const material = key !== undefined ? `admin-key:${key}${person ? `|${person}` : ''}` : person ?? (this.options.noAuth ? 'anonymous' : `bearer:${bearerOf(req)}`);
    return createHmac('sha256', this.credentialKey).update(material).digest('base64url');
  }

  /** Who the audit log says is calling: the token's person over OAuth, else how the caller got in. */
  identityOf(caller: Caller | undefined): AuditCaller {
    if (caller) return { sub: caller.sub, ...(caller.email ? { email: caller.email } : {}), ...(caller.clientId ? { client_id: caller.clientId } : {}) };
    return this.options.noAuth ? 'anonymous' : 'http-token';
  }

  /** Why the request's static bearer token is not accepted, or undefined when it is. */
  private tokenRefusal(req: IncomingMessage): string | undefined {
    if (this.options.noAuth) return undefined;
    const given = bearerOf(req);
    if (given === '') return 'no bearer token was sent; send "Authorization: Bearer <OPENAI_ADMIN_MCP_HTTP_TOKEN>".';
    const expected = Buffer.from(this.options.token ?? '');
    const actual = Buffer.from(given);
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return undefined;
    return 'the bearer token does not match OPENAI_ADMIN_MCP_HTTP_TOKEN.';
  }

  /** RFC 6750 with RFC 9728's resource_metadata, so an MCP client can find the authorization server. */
  private oauthChallenge(error: string, description: string): string {
    return `Bearer resource_metadata="${this.resourceMetadataUrl}", error="${error}", error_description="${description.replace(/["\\]/g, "'")}"${error === 'insufficient_scope' ? ', scope="admin:read"' : ''}`;
  }
}

/** An RFC 6750 challenge; quotes and backslashes, which its error_description cannot hold, become apostrophes. */
export function challenge(error: 'invalid_token' | 'invalid_request', description: string): string {
  return `Bearer realm="openai-admin-mcp", error="${error}", error_description="${description.replace(/["\\]/g, "'")}"`;
}

async function oauthCaller(req: IncomingMessage, oauth: ResourceServer): Promise<{ caller: Caller } | { refused: { error: string; message: string } }> {
  const token = bearerOf(req);
  if (token === '') return { refused: { error: 'invalid_token', message: 'no access token was sent; authorize with the authorization server named in the resource metadata' } };
  try {
    return { caller: await oauth.verify(token) };
  } catch (error) {
    const refused = error as { error?: string; message: string };
    return { refused: { error: refused.error ?? 'invalid_token', message: refused.message } };
  }
}

function bearerOf(req: IncomingMessage): string {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
}
