import { describe, expect, it } from 'vitest';
import { plainHttp, QUESTIONS } from '../../bench/questions.js';
import type { AdminClient } from '../../src/client/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { allComposites } from '../../src/reports/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { scriptRunner } from '../../src/scripts/index.js';
import { TEST_ADMIN_KEY, useSandbox } from '../helpers.js';
import { testHost } from '../host.js';

/*
 * Ten cross-entity questions (issue 22 §3), each answered by one run_script call and checked against
 * a ground truth read over plain HTTP. The figures (calls and tokens with and without scripts) are
 * bench/p11-scripts.ts's; this checks the answers are right.
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 17 }, (started) => ({ sandbox, client } = started));

describe('ten questions, one run_script call each', () => {
  it.each(QUESTIONS.map((q) => [q.id, q] as const))('%s', async (_id, q) => {
    const host = testHost(client, { composites: allComposites, workflows: allWorkflows, scripts: scriptRunner });
    const [result, truth] = await Promise.all([host.call('run_script', { code: q.code, timeout_s: 60 }), q.truth(plainHttp(sandbox.url, TEST_ADMIN_KEY))]);
    const text = (result.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    expect(result.isError, text).toBeFalsy();
    expect((result.structuredContent as { result: string[] }).result).toEqual(truth);
  });

  it('the questions are not all empty: the seed has answers to find', async () => {
    const all = plainHttp(sandbox.url, TEST_ADMIN_KEY);
    const answers = await Promise.all(QUESTIONS.map((q) => q.truth(all)));
    expect(answers.filter((a) => a.length > 0).length).toBeGreaterThanOrEqual(6);
  });
});
