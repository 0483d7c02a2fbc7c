import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import { useSandbox } from '../helpers.js';
import { hostFor, NOW, text } from './support.js';

/*
 * What a report costs the model: the whole text content an MCP client receives, in o200k tokens,
 * on the default seed and a fixed clock. Budgets are the measured sizes plus about 25% headroom
 * (the spend report's 600 is the product's own budget). Measured: spend_report 417, access_review
 * 547, usage_report 746 with its weekly series (485 before it), 1,097 over 365 days in monthly
 * steps (the random boundary tag moves these by a few tokens). Issue 11: every report answer
 * stays under 2,000 tokens by default, which a daily series over a year would not.
 */

let client: AdminClient;
useSandbox({ seed: 1, now: () => NOW }, (started) => ({ client } = started));

const CASES: Array<{ tool: string; args: Record<string, unknown>; budget: number }> = [
  { tool: 'spend_report', args: { project: 'Atlas', period: 'last_month', group_by: ['line_item'] }, budget: 600 },
  { tool: 'access_review', args: { project: 'Billing' }, budget: 685 },
  { tool: 'usage_report', args: {}, budget: 940 },
  { tool: 'usage_report', args: { period: 'last_365_days' }, budget: 1_400 },
  { tool: 'usage_report', args: { family: 'all', period: 'last_365_days' }, budget: 1_250 },
  // The organization-wide review: the product's budget, summary first, the key list cut with a cursor.
  { tool: 'access_review', args: {}, budget: 1_000 },
  { tool: 'access_review', args: { user: 'Ada' }, budget: 400 },
];

describe('report output size', () => {
  it.each(CASES)('$tool $args fits in $budget tokens', async ({ tool, args, budget }) => {
    const result = await hostFor(client).call(tool, args);
    expect(result.isError, text(result)).toBeFalsy();
    const all = (result.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    const tokens = encode(all).length;
    console.log(`${tool} ${JSON.stringify(args)}: ${tokens} o200k tokens (budget ${budget})`);
    expect(tokens).toBeGreaterThan(50);
    expect(tokens).toBeLessThanOrEqual(budget);
  });
});
