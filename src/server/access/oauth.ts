import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';

/*
 * The HTTP server as an OAuth 2.1 resource server (MCP authorization, revision 2025-11-25):
 * Protected Resource Metadata (RFC 9728) names the authorization server; access tokens are JWTs
 * checked against the issuer's JWKS (found through its metadata, cached and refetched when a new key
 * id appears), its `iss`, an `aud` equal to this server's resource URL (RFC 8707), `exp` and `nbf`
 * with a small skew, and an allow-list of asymmetric algorithms, so `none` and HS* are refused.
 *
 * The token type: RFC 9068 has resource servers take only tokens whose header says `typ: at+jwt`,
 * so that no other JWT from the same issuer (an ID token, a logout token) passes as an access
 * token. That is the default. Providers that send `typ: JWT` or none (Entra ID; Auth0 unless its
 * token profile is "RFC 9068") need `acceptTypJwt`, which also takes those: an ID token still
 * fails, its `aud` being the client and not this server, and it carries no admin scope. Any other
 * explicit type (logout+jwt, secevent+jwt…) is refused in both modes.
 */

export const SCOPES = ['admin:read', 'admin:write', 'admin:destructive'] as const;

/** Asymmetric algorithms only: a symmetric one would let anyone holding the public key sign. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_SKEW_SECONDS = 30;

export interface OAuthOptions {
  /** The authorization server's issuer identifier. */
  issuer: string;
  /** This server's resource identifier, the `aud` its tokens must carry (e.g. https://mcp.example.com/mcp). */
  audience: string;
  /** Also take tokens typed `JWT` or untyped (`--oauth-accept-typ-jwt`); default: `at+jwt` only. */
  acceptTypJwt?: boolean;
}

export type Right = 'read' | 'write' | 'destructive';

export interface Caller {
  sub: string;
  email?: string;
  /** True only when the token says so with the boolean `email_verified: true`; otherwise the policy ignores the email. */
  emailVerified: boolean;
  clientId?: string;
  /** What the scopes allow: each right includes the ones before it. */
  right: Right;
  /** Every claim, for the operator's policy (groups, roles…); never logged. */
  claims: JWTPayload;
}

/** A token that cannot be accepted; the description goes into the 401 or 403 challenge. */
export class TokenRefused extends Error {
  constructor(
    message: string,
    readonly error: 'invalid_token' | 'insufficient_scope',
  ) {
    super(message);
  }
}

export class ResourceServer {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  constructor(readonly options: OAuthOptions) {}

  /** RFC 9728 metadata for /.well-known/oauth-protected-resource. */
  metadata(): Record<string, unknown> {
    return {
      resource: this.options.audience,
      authorization_servers: [this.options.issuer],
      scopes_supported: [...SCOPES],
      bearer_methods_supported: ['header'],
      resource_name: 'openai-admin-mcp',
    };
  }

  async verify(token: string): Promise<Caller> {
    const keys = await this.keys();
    let payload: JWTPayload;
    let typ: unknown;
    try {
      ({ payload, protectedHeader: { typ } } = await jwtVerify(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new TokenRefused(describeJoseError(error), 'invalid_token');
    }
    const typeProblem = this.typeProblem(typ);
    if (typeProblem) throw new TokenRefused(typeProblem, 'invalid_token');
    const scopes = new Set(
      typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === 'string') : [],
    );
    const right: Right | undefined = scopes.has('admin:destructive') ? 'destructive' : scopes.has('admin:write') ? 'write' : scopes.has('admin:read') ? 'read' : undefined;
    if (!right) throw new TokenRefused(`the access token carries none of the scopes ${SCOPES.join(', ')}`, 'insufficient_scope');
    const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    return {
      sub: payload.sub as string,
      email: str(payload.email),
      // Only the boolean: a string "false" is truthy, and a missing claim proves nothing.
      emailVerified: payload.email_verified === true,
      clientId: str(payload.client_id) ?? str(payload.azp),
      right,
      claims: payload,
    };
  }

  /** Why the header's typ is not one this server takes, or undefined when it is. */
  private typeProblem(typ: unknown): string | undefined {
    // Media types compare without case and may carry the application/ prefix (RFC 7515 §4.1.9).
    const type = typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : undefined;
    if (type === 'at+jwt') return undefined;
    if (this.options.acceptTypJwt && (typ === undefined || type === 'jwt')) return undefined;
    // The header is the sender's text: only a short, plain rendering of it goes into the challenge.
    const shown = (typeof typ === 'string' ? typ : (JSON.stringify(typ) ?? String(typ))).replace(/[^\x21-\x7e]|["\\]/g, '?').slice(0, 40);
    const has = typ === undefined ? 'the access token has no typ' : `the access token's typ is ${shown}`;
    if (this.options.acceptTypJwt) return `${has}, not at+jwt or JWT: it is not an access token`;
    return `${has}, not at+jwt (RFC 9068 access tokens are required); if the authorization server cannot issue them, start the server with --oauth-accept-typ-jwt (OPENAI_ADMIN_MCP_OAUTH_ACCEPT_TYP_JWT=1)`;
  }

  /** The JWKS, located once through the issuer's metadata; jose refetches it when an unknown key id arrives. */
  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    this.discovering ??= this.discover().then(
      (jwks) => (this.jwks = jwks),
      (error: unknown) => {
        this.discovering = undefined; // try again on the next request
        throw new TokenRefused(`the authorization server's metadata could not be read (${(error as Error).message})`, 'invalid_token');
      },
    );
    return this.discovering;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const issuer = new URL(this.options.issuer);
    const path = issuer.pathname.replace(/\/$/, '');
    // RFC 8414 inserts the well-known segment before the issuer's path; OpenID Connect appends it.
    const candidates = [`${issuer.origin}/.well-known/oauth-authorization-server${path}`, `${issuer.origin}${path}/.well-known/openid-configuration`];
    for (const url of candidates) {
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      if (!response?.ok) continue;
      const meta = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (meta.issuer !== this.options.issuer) throw new Error(`${url} names issuer ${String(meta.issuer)}, not ${this.options.issuer}`);
      if (typeof meta.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
      return createRemoteJWKSet(new URL(meta.jwks_uri), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 10_000 });
    }
    throw new Error(`neither ${candidates.join(' nor ')} answered`);
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the access token is for another audience (its aud is not this server)';
    if (error.claim === 'iss') return 'the access token was issued by another authorization server';
    if (error.claim === 'nbf') return 'the access token is not valid yet (nbf)';
    return `the access token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the access token is signed with an algorithm this server does not accept';
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) return "the access token's signature does not match the authorization server's keys";
  if (error instanceof TokenRefused) return error.message;
  return 'the access token is not a valid JWT';
}
