import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { registerEndpoint } from '../../src/server/listing/registry.js';
import { endpointTools } from '../../tools/index.js';
import { allowKey, describeOperation, fieldDrift, type AllowedFieldDifference } from './drift.js';
import { sdkOperations, sdkVersion, type SdkOperation } from './sdk.js';

/*
 * Field-level drift: for every SDK admin method, the query and body fields its Params types declare
 * (read from the .d.ts with the TypeScript compiler API, placed by what the SDK actually sends)
 * against the tool's input schema: the same names on both sides, the same required flags, and
 * every enum value the SDK allows accepted by the tool.
 */

/** Where a tool rightly differs from the SDK. Every entry must still be needed (checked below). */
const ALLOWED: readonly AllowedFieldDifference[] = [];

const operations = await sdkOperations();
const allowed = new Map(ALLOWED.map((a) => [allowKey(a), a]));
const toolFor = (op: SdkOperation) => endpointTools.find((t) => registerEndpoint(t)?.meta?.['openai-admin/endpoint'] === op.endpoint);
const withTool = operations.flatMap((op) => {
  const tool = toolFor(op);
  return tool ? [{ op, tool }] : [];
});
const withoutTool = operations.filter((op) => !toolFor(op));
const used = new Set<string>();

describe(`request fields of each SDK method (openai ${sdkVersion}) against its tool`, () => {
  it.each(withTool.map(({ op, tool }) => [`${describeOperation(op)} → ${tool.name}`, op, tool] as const))('%s', (_name, op, tool) => {
    const problems = fieldDrift(op, tool).filter((p) => {
      if (!allowed.has(p.key)) return true;
      used.add(p.key);
      return false;
    });
    expect(problems.map((p) => `${tool.name}: ${p.message}`)).toEqual([]);
  });

  // Only the operations without a tool are skipped, by name: the endpoint drift test
  // (sdk-drift.test.ts) already fails for each of them.
  it.skip.each(withoutTool.map((op) => [describeOperation(op)] as const))('%s: skipped, it has no tool (sdk-drift.test.ts fails for it)', () => {});

  it('every allow-list entry is still needed, and says why', () => {
    for (const entry of ALLOWED) expect(entry.reason.length, allowKey(entry)).toBeGreaterThan(20);
    expect(ALLOWED.map(allowKey).filter((key) => !used.has(key))).toEqual([]);
  });
});

describe('the field check itself', () => {
  const op: Pick<SdkOperation, 'query' | 'body'> = {
    query: [{ name: 'group_by', optional: true, type: '("a" | "b")[]', array: true, values: ['a', 'b'] }],
    body: [
      { name: 'name', optional: false, type: 'string', array: false },
      { name: 'expires_in_seconds', optional: true, type: 'number', array: false },
    ],
  };

  it('passes a tool with the same fields, flags and values', () => {
    const tool = { name: 't', input: { query: { group_by: z.array(z.enum(['a', 'b'])).optional() }, body: { name: z.string(), expires_in_seconds: z.number().optional() } } };
    expect(fieldDrift(op, tool)).toEqual([]);
  });

  it('names a field a newer SDK sends, a field the SDK lacks, a required flag and enum values', () => {
    const tool = { name: 't', input: { query: { group_by: z.array(z.enum(['a', 'c'])).optional() }, body: { name: z.string().optional(), color: z.string().optional() } } };
    expect(fieldDrift(op, tool).map((p) => p.key)).toEqual([
      't.query.group_by:values',
      't.query.group_by:values',
      't.body.name:required',
      't.body.expires_in_seconds:missing',
      't.body.color:extra',
    ]);
    expect(fieldDrift(op, tool).map((p) => p.message)).toContain("body field 'expires_in_seconds': the SDK sends it (optional number), the tool's input lacks it");
    expect(fieldDrift(op, tool).map((p) => p.message)).toContain("query field 'group_by': the tool refuses 'b', which the SDK allows");
  });
});
