import { effectiveHints } from '../../../src/server/listing/annotations.js';
import { describe, expect, it } from 'vitest';
import { endpointTools } from '../../../tools/index.js';
import { endpoint } from '../../../tools/define.js';
import { registerEndpoint, selectTools } from '../../../src/server/listing/registry.js';

/*
 * A read sent as POST (a validation) must be declared `safe`: that flag, not the effect, is what
 * lets the request through the read-only client, so a mistyped effect cannot open it to a write.
 */

const base = { title: 'T', description: 'A test definition.', toolset: 'security', idempotent: true, path: '/organization/things/validate', input: {} } as const;

describe('safe POST reads', () => {
  it('are exactly the validate operations, and read-only mode lists them as reads', () => {
    const safe = endpointTools.filter((t) => t.safe === true).map((t) => t.name).sort();
    expect(safe).toEqual(['external_keys_validate', 'external_storage_validate']);
    for (const tool of endpointTools) {
      if (tool.method !== 'GET' && tool.effect === 'read') expect(tool.safe, tool.name).toBe(true);
    }
    const readOnly = selectTools({ readOnly: true }).map((t) => t.name);
    expect(readOnly).toEqual(expect.arrayContaining(safe));
    for (const name of safe) {
      const tool = selectTools({ readOnly: true }).find((t) => t.name === name);
      expect(effectiveHints(tool?.annotations)).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
      expect(Object.keys(tool?.inputSchema.properties ?? {})).not.toContain('dry_run');
    }
  });

  it('a POST read without the declaration, or a declared write, is refused as a definition bug', () => {
    expect(() => registerEndpoint(endpoint({ ...base, name: 'things_validate', effect: 'read', method: 'POST', output: endpointTools[0]!.output }))).toThrow(/must be declared safe/);
    expect(() => registerEndpoint(endpoint({ ...base, name: 'things_update', effect: 'write', method: 'POST', output: endpointTools[0]!.output, safe: true }))).toThrow(/only a POST read/);
    expect(() => registerEndpoint(endpoint({ ...base, name: 'things_delete', effect: 'read', method: 'DELETE', output: endpointTools[0]!.output, safe: true }))).toThrow(/only a POST read/);
    expect(registerEndpoint(endpoint({ ...base, name: 'things_validate', effect: 'read', method: 'POST', output: endpointTools[0]!.output, safe: true }))?.effect).toBe('read');
  });
});
