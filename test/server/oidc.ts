import type { Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { freePort } from '../../bench/redis-server.js';

/*
 * A real OpenID provider (oidc-provider, a certified implementation) on loopback, issuing JWT access
 * tokens for a resource indicator (RFC 8707) through the client-credentials grant. The test keeps
 * its signing key so that it can also forge the tokens a resource server must refuse.
 */

export const CLIENT_ID = 'team-ops';
const CLIENT_SECRET = 'team-ops-secret-0123456789abcdef';

export interface Provider {
  issuer: string;
  /** The provider's signing key, private part included. */
  privateJwk: JWK;
  token(scope: string, resource: string): Promise<string>;
  /** An access token for `sub` and `audience`, signed with the provider's key, as a person's client would get one. */
  personToken(sub: string, audience: string, claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/**
 * People who sign in through a browser (the approval page's authorization code flow): the provider's
 * development login form takes any password, and the account's claims come from here.
 */
export interface BrowserSignIn {
  clientId: string;
  redirectUris: string[];
  /** Claims by login: email, groups. */
  accounts: Record<string, Record<string, unknown>>;
}

export async function startProvider(signIn?: BrowserSignIn): Promise<Provider> {
  const { default: OidcProvider } = await import('oidc-provider');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: 'team-key-1', alg: 'RS256', use: 'sig' };
  const scopes = ['admin:read', 'admin:write', 'admin:destructive'];
  const provider = new OidcProvider(issuer, {
    clients: [
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: scopes.join(' ') },
      // A public client: authorization code with PKCE, no secret.
      ...(signIn ? [{ client_id: signIn.clientId, token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: signIn.redirectUris }] : []),
    ],
    scopes: signIn ? [...scopes, 'openid', 'email', 'profile'] : scopes,
    jwks: { keys: [privateJwk] },
    ...(signIn
      ? {
          claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['groups'] },
          conformIdTokenClaims: false,
          findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub, ...(signIn.accounts[sub] ?? {}) }) }),
        }
      : {}),
    features: {
      devInteractions: { enabled: signIn !== undefined },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({ scope: scopes.join(' '), audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
  });
  const server: Server = provider.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    issuer,
    privateJwk,
    async token(scope, resource) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString(),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async personToken(sub, audience, claims = {}) {
      const key = await importJWK(privateJwk, 'RS256');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: 'admin:read admin:write admin:destructive', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: privateJwk.kid as string, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(key);
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
