import { describe, expect, it } from 'vitest';
import { parseConfig, UsageError } from '../../../src/config.js';
import type { Caller } from '../../../src/server/access/oauth.js';
import { grantFor, parsePolicy } from '../../../src/server/access/policy.js';

/*
 * The operator's policy file: its format is checked field by field, and the grant a person gets is
 * the scopes narrowed by every rule that matches them. The end-to-end enforcement (listing and calls
 * against a real oidc-provider) is in oauth.test.ts.
 */

const caller = (over: Partial<Caller> = {}): Caller => ({ sub: 'user-1', emailVerified: true, right: 'destructive', claims: {}, ...over });

describe('the policy file', () => {
  it('names the field that is wrong and what it should be', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /the file must be a JSON object with a "rules" array/],
      [{ rules: [] }, /"rules" must be a non-empty array/],
      [{ rules: [{ groups: ['a'] }], extra: 1 }, /"extra" is not a policy field/],
      [{ rules: [{ rights: 'read' }] }, /rules\[0\] matches nobody: give it "groups", "emails" or "subs"/],
      [{ rules: [{ groups: ['a'], rights: 'admin' }] }, /rules\[0\]\.rights must be one of read, write, destructive, got "admin"/],
      [{ rules: [{ groups: ['a'], toolsets: ['project'] }] }, /rules\[0\]\.toolsets names 'project', which is not a toolset/],
      [{ rules: [{ groups: ['a'], projects: ['my project'] }] }, /rules\[0\]\.projects names 'my project', which is not a project ID/],
      [{ rules: [{ groups: 'a' }] }, /rules\[0\]\.groups must be a non-empty array of non-empty strings/],
      [{ rules: [{ groups: ['a'], role: 'x' }] }, /rules\[0\]\.role is not a rule field/],
      [{ groups_claim: '', rules: [{ groups: ['a'] }] }, /"groups_claim" must be a claim name/],
    ];
    for (const [raw, message] of cases) {
      expect(() => parsePolicy(raw, '--policy p.json')).toThrow(UsageError);
      expect(() => parsePolicy(raw, '--policy p.json')).toThrow(message);
    }
  });

  it('is a usage error without OAuth, since it maps the claims of access tokens', () => {
    expect(() => parseConfig(['--http', '--policy', 'p.json'], {})).toThrow(/--policy .* needs --oauth-issuer/);
    const config = parseConfig(['--http', '--policy', 'p.json'], { OPENAI_ADMIN_MCP_OAUTH_ISSUER: 'https://id.example.com/', OPENAI_ADMIN_MCP_OAUTH_AUDIENCE: 'https://mcp.example.com/mcp' });
    expect(config.policy).toBe('p.json');
    expect(parseConfig(['--http'], { OPENAI_ADMIN_MCP_POLICY: 'q.json', OPENAI_ADMIN_MCP_OAUTH_ISSUER: 'https://id.example.com/', OPENAI_ADMIN_MCP_OAUTH_AUDIENCE: 'https://mcp.example.com/mcp' }).policy).toBe('q.json');
  });

  it('--oauth-accept-typ-jwt is off by default, and a usage error without OAuth', () => {
    const oauth = { OPENAI_ADMIN_MCP_OAUTH_ISSUER: 'https://id.example.com/', OPENAI_ADMIN_MCP_OAUTH_AUDIENCE: 'https://mcp.example.com/mcp' };
    expect(parseConfig(['--http'], oauth).oauthAcceptTypJwt).toBe(false);
    expect(parseConfig(['--http', '--oauth-accept-typ-jwt'], oauth).oauthAcceptTypJwt).toBe(true);
    expect(parseConfig(['--http'], { ...oauth, OPENAI_ADMIN_MCP_OAUTH_ACCEPT_TYP_JWT: '1' }).oauthAcceptTypJwt).toBe(true);
    expect(() => parseConfig(['--http', '--oauth-accept-typ-jwt'], {})).toThrow(/--oauth-accept-typ-jwt .* needs --oauth-issuer/);
  });
});

describe("a person's grant", () => {
  const policy = parsePolicy(
    {
      groups_claim: 'roles',
      rules: [
        { groups: ['admins'], rights: 'destructive' },
        { groups: ['finance'], rights: 'read', toolsets: ['reports', 'usage'] },
        { emails: ['Dev@Example.com'], rights: 'write', toolsets: ['projects'], projects: ['proj_a'] },
        { subs: ['user-9'], rights: 'write', toolsets: ['keys'], projects: ['proj_b'] },
      ],
    },
    'test',
  );

  it('without a policy is what the scopes allow', () => {
    expect(grantFor(caller({ right: 'write' }), undefined)?.allowances).toEqual([{ right: 'write' }]);
  });

  it('never exceeds the scopes, whatever the rules give', () => {
    expect(grantFor(caller({ right: 'read', claims: { roles: ['admins'] } }), policy)?.allowances).toEqual([{ right: 'read' }]);
    expect(grantFor(caller({ right: 'destructive', claims: { roles: ['finance'] } }), policy)?.allowances.map((a) => a.right)).toEqual(['read']);
  });

  it('matches groups from the configured claim (an array or one string), verified emails without case, and subjects', () => {
    expect(grantFor(caller({ claims: { roles: 'finance' } }), policy)?.allowances).toEqual([{ right: 'read', toolsets: new Set(['reports', 'usage']) }]);
    expect(grantFor(caller({ claims: { groups: ['admins'] } }), policy)).toBeUndefined(); // another claim
    expect(grantFor(caller({ email: 'dev@EXAMPLE.com' }), policy)?.allowances).toEqual([{ right: 'write', toolsets: new Set(['projects']), projects: new Set(['proj_a']) }]);
    expect(grantFor(caller({ email: 'dev@example.com', emailVerified: false }), policy)).toBeUndefined();
    expect(grantFor(caller({ sub: 'user-9' }), policy)?.allowances).toEqual([{ right: 'write', toolsets: new Set(['keys']), projects: new Set(['proj_b']) }]);
    expect(grantFor(caller({ sub: 'stranger' }), policy)).toBeUndefined();
  });

  it('keeps each matching rule whole, never merged with another, and drops those another includes', () => {
    const both = grantFor(caller({ sub: 'user-9', email: 'dev@example.com' }), policy);
    expect(both?.allowances).toEqual([
      { right: 'write', toolsets: new Set(['projects']), projects: new Set(['proj_a']) },
      { right: 'write', toolsets: new Set(['keys']), projects: new Set(['proj_b']) },
    ]);
    // A rule without limits includes the narrower ones.
    expect(grantFor(caller({ sub: 'user-9', claims: { roles: ['admins'] } }), policy)?.allowances).toEqual([{ right: 'destructive' }]);
  });
});
