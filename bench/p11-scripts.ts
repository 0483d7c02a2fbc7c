import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { AdminClient } from '../src/client/index.js';
import { createLogger } from '../src/log.js';
import { allWorkflows } from '../src/plans/index.js';
import { allComposites } from '../src/reports/index.js';
import { startSandbox } from '../src/sandbox/server.js';
import { scriptRunner } from '../src/scripts/index.js';
import type { CallSession } from '../src/server/hosts/host.js';
import { ToolHost } from '../src/server/hosts/tool-host.js';
import { BENCH_KEY, interleave, median, ms, pairedRatio, ratio, resultText, table, timed, type Section } from './lib.js';
import { QUESTIONS } from './questions.js';

/*
 * P11 and the ten questions (issue 22 §3).
 * - P11: a script making 20 projects_retrieve calls one after another at 20 ms upstream latency,
 *   against the same 20 calls made directly through the server's client, interleaved rounds; and
 *   the start of an isolate (run_script with `return 1`, end to end), median of many.
 * - The questions: one run_script call each, against the same reads made one by one as direct tool
 *   calls (the best answer without scripts: no report answers these), in calls and in o200k tokens
 *   of what the model sends and reads (arguments plus result text).
 */

const tokens = (value: unknown) => encode(typeof value === 'string' ? value : JSON.stringify(value)).length;

function host(client: AdminClient): ToolHost {
  return new ToolHost({ client, logger: createLogger({ level: 'silent' }), sandbox: true, readOnly: false, dynamic: false, redactSecrets: false, composites: allComposites, workflows: allWorkflows, scripts: scriptRunner });
}

export async function p11(): Promise<Section> {
  const sandbox = await startSandbox({ seed: 17, latencyMs: 20 });
  const client = new AdminClient({ apiKey: BENCH_KEY, baseUrl: sandbox.url, maxRetries: 0 });
  try {
    const h = host(client);
    const projects = [...sandbox.state.projects.keys()];
    const ids = Array.from({ length: 20 }, (_, i) => projects[i % projects.length] as string);
    const code = `for (const id of ${JSON.stringify(ids)}) await api.projects_retrieve({ project_id: id }); return 1;`;
    await h.call('run_script', { code: 'return 1' }); // QuickJS loaded, a worker warm
    const rounds = await interleave(7, {
      script: () => timed(async () => {
        const r = await h.call('run_script', { code });
        if (r.isError) throw new Error(resultText(r));
      }),
      direct: () => timed(async () => {
        for (const id of ids) await client.get(`/organization/projects/${id}`);
      }),
    });
    const starts: number[] = [];
    for (let i = 0; i < 30; i++) starts.push(await timed(() => h.call('run_script', { code: 'return 1' })));
    const p11Ratio = pairedRatio(rounds.script, rounds.direct);
    const startMedian = median(starts);

    // The ten questions, at no added latency.
    sandbox.setLatency(0);
    const rows: Array<Array<string | number>> = [];
    let sums = { withCalls: 0, withTokens: 0, withoutCalls: 0, withoutTokens: 0 };
    for (const q of QUESTIONS) {
      const recorder = host(client);
      const calls: Array<{ name: string; args: unknown; text: string }> = [];
      const callTool = recorder.callTool.bind(recorder);
      recorder.callTool = async (name: string, args: unknown, session: CallSession = {}) => {
        const result = await callTool(name, args, session);
        // The same call made directly: its text as a direct call would give it (cut by the default budget).
        if (session.script) calls.push({ name, args, text: resultText(await callTool(name, args, {})) });
        return result;
      };
      const result = await recorder.call('run_script', { code: q.code, timeout_s: 60 });
      if (result.isError) throw new Error(`${q.id}: ${resultText(result)}`);
      const withTokens = tokens({ name: 'run_script', arguments: { code: q.code } }) + tokens(resultText(result));
      const withoutTokens = calls.reduce((sum, c) => sum + tokens({ name: c.name, arguments: c.args }) + tokens(c.text), 0);
      rows.push([q.id, q.question, 1, withTokens, calls.length, withoutTokens, `${Math.round((1 - withTokens / withoutTokens) * 100)}%`]);
      sums = { withCalls: sums.withCalls + 1, withTokens: sums.withTokens + withTokens, withoutCalls: sums.withoutCalls + calls.length, withoutTokens: sums.withoutTokens + withoutTokens };
    }
    rows.push(['all', 'ten questions', sums.withCalls, sums.withTokens, sums.withoutCalls, sums.withoutTokens, `${Math.round((1 - sums.withTokens / sums.withoutTokens) * 100)}%`]);
    return {
      id: 'P11',
      title: 'Scripts: 20 sequential calls, isolate start, ten questions',
      method:
        'A run_script making 20 projects_retrieve calls in sequence at 20 ms upstream latency against the same 20 GETs through the server\'s client, 7 interleaved rounds, median of paired ratios; isolate start is run_script with `return 1`, end to end, median of 30 after one warm-up. The questions (bench/questions.ts) are answered by one run_script call each and, without scripts, by the same reads as direct tool calls; tokens are o200k of arguments plus result text.',
      body: [
        table(['', 'median'], [['script, 20 calls', ms(median(rounds.script))], ['direct, 20 calls', ms(median(rounds.direct))], ['ratio (paired)', ratio(p11Ratio)], ['isolate start (run_script `return 1`)', ms(startMedian)]]),
        table(['#', 'question', 'calls with', 'tokens with', 'calls without', 'tokens without', 'saved'], rows),
      ],
      checks: [
        { id: 'P11', what: '20 sequential calls in a script vs direct', measured: ratio(p11Ratio), target: '≤ 1.20×', pass: p11Ratio <= 1.2 },
        { id: 'P11-start', what: 'isolate start, median', measured: ms(startMedian), target: '≤ 30 ms', pass: startMedian <= 30 },
      ],
    };
  } finally {
    await client.close();
    await sandbox.close();
  }
}

if (process.argv[1]?.endsWith('p11-scripts.js')) {
  const section = await p11();
  console.log(`## ${section.id}: ${section.title}\n\n${section.method}\n\n${section.body.join('\n\n')}\n`);
  for (const c of section.checks) console.log(`${c.pass ? 'PASS' : 'FAIL'} ${c.id} ${c.what}: ${c.measured} (target ${c.target})`);
  process.exit(0);
}
