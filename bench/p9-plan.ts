import { AdminClient } from '../src/client/index.js';
import { createLogger } from '../src/log.js';
import { allWorkflows } from '../src/plans/index.js';
import { ToolHost } from '../src/server/hosts/tool-host.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { BENCH_KEY, median, ms, pairedRatio, ratio, resultText, spread, table, type Section } from './lib.js';

/*
 * P9: a plan against the same calls made one after another. A person with 10 project memberships
 * and 10 keys is offboarded with 20 ms upstream latency: the plan's confirming call (which reads
 * the plan again and runs its 21 steps, independent ones side by side) against the same 21
 * destructive calls confirmed one after another (their tokens previewed beforehand, untimed).
 */

const MEMBERSHIPS = 10;
const KEYS = 10;

interface Org {
  sandbox: Sandbox;
  host: ToolHost;
  client: AdminClient;
  userId: string;
  email: string;
}

/** A fresh organization with one person in 10 projects, owning 10 keys there. */
async function organization(latencyMs: number): Promise<Org> {
  const sandbox = await startSandbox({ seed: 9 });
  const state = sandbox.state;
  const now = Math.floor(Date.now() / 1000);
  const userId = 'user-p9benchperson0001';
  const email = 'p9.person@example.com';
  state.users.set(userId, { object: 'organization.user', id: userId, name: 'P9 Person', email, role: 'reader', added_at: now - 86_400 * 400 });
  const client = new AdminClient({ apiKey: BENCH_KEY, baseUrl: sandbox.url, maxRetries: 0 });
  // Projects made through the API, so they are like any new project; then the person and their keys.
  const projects: string[] = [];
  for (let i = 0; i < MEMBERSHIPS; i++) projects.push((await client.send<{ id: string }>({ method: 'POST', path: '/organization/projects', body: { name: `P9 project ${i}` } })).data.id);
  projects.forEach((projectId, i) => {
    state.scoped(state.projectUsers, projectId).set(userId, { user_id: userId, role: 'member', added_at: now - 86_400 * 100 });
    const keyId = `key_p9bench${String(i).padStart(8, '0')}`;
    state.scoped(state.projectApiKeys, projectId).set(keyId, { id: keyId, name: `p9 key ${i}`, redacted_value: `sk-proj...p9k${i}`, created_at: now - 86_400 * 200, last_used_at: now - 86_400 * 30, owner: { type: 'user', user_id: userId } });
  });
  sandbox.setLatency(latencyMs);
  const host = new ToolHost({ client, logger: createLogger({ level: 'silent' }), sandbox: true, readOnly: false, dynamic: false, redactSecrets: false, workflows: allWorkflows, confirmWith: 'token' });
  return { sandbox, host, client, userId, email };
}

async function close(org: Org): Promise<void> {
  await org.client.close();
  await org.sandbox.close();
}

type Data = Record<string, any>;

export async function p9(rounds = 7, latencyMs = 20): Promise<Section> {
  const planned: number[] = [];
  const sequential: number[] = [];
  const wholePlan: number[] = [];
  let steps = 0;
  for (let round = 0; round < rounds; round++) {
    // The plan: preview (untimed in `planned`), then the confirming call.
    const a = await organization(latencyMs);
    try {
      const started = performance.now();
      const preview = await a.host.call('offboard_user', { user: a.email });
      const plan = preview.structuredContent as Data;
      if (plan?.status !== 'confirmation_required') throw new Error(`offboard_user preview failed: ${resultText(preview)}`);
      steps = plan.steps.length;
      const confirmStarted = performance.now();
      const result = await a.host.call('offboard_user', { user: a.email, confirm: plan.confirmation_token });
      const ended = performance.now();
      if ((result.structuredContent as Data)?.status !== 'done') throw new Error(`offboard_user failed: ${resultText(result)}`);
      planned.push(ended - confirmStarted);
      wholePlan.push(ended - started);

      // The same calls one after another, on a fresh organization: tokens first (untimed), then each confirmed in turn.
      const b = await organization(latencyMs);
      try {
        const tokens: Array<{ tool: string; args: Data }> = [];
        for (const step of plan.steps as Array<{ tool: string; args: Data }>) {
          const p = await b.host.call(step.tool, step.args);
          const token = (p.structuredContent as Data)?.confirmation_token as string | undefined;
          if (!token) throw new Error(`${step.tool} preview failed: ${resultText(p)}`);
          tokens.push({ tool: step.tool, args: { ...step.args, confirm: token } });
        }
        const seqStarted = performance.now();
        for (const call of tokens) {
          const r = await b.host.call(call.tool, call.args);
          if (r.isError) throw new Error(`${call.tool} failed: ${resultText(r)}`);
        }
        sequential.push(performance.now() - seqStarted);
      } finally {
        await close(b);
      }
    } finally {
      await close(a);
    }
  }
  const r = pairedRatio(planned, sequential);
  return {
    id: 'P9',
    title: `A plan: offboarding a user with ${MEMBERSHIPS} memberships and ${KEYS} keys, ${latencyMs} ms upstream`,
    method:
      `In-process sandbox (seed 9) with ${latencyMs} ms latency and a person given ${MEMBERSHIPS} project memberships and ${KEYS} keys; the ToolHost with the workflows, tokens for confirmation. ` +
      `Plan: the time of offboard_user's confirming call, which reads the plan again (lists and every target) and runs its ${steps} steps, up to 16 at a time. ` +
      `Sequential: the same ${steps} destructive calls confirmed one after another (each reads its target under its lock and sends its DELETE), their tokens previewed beforehand and not timed. ${rounds} rounds, each pair side by side on fresh organizations; median of the per-round ratios.`,
    body: [
      table(
        ['measure', 'median (IQR)'],
        [
          ['plan: confirming call', spread(planned)],
          ['plan: preview + confirm (the whole job)', spread(wholePlan)],
          [`sequential: ${steps} confirmed calls`, spread(sequential)],
          ['plan / sequential (paired)', ratio(r)],
        ],
      ),
    ],
    checks: [{ id: 'P9', what: `offboarding plan vs the same calls one after another (${latencyMs} ms)`, measured: `${ratio(r)} (${ms(median(planned))} vs ${ms(median(sequential))})`, target: '≤ 0.5×', pass: r <= 0.5 }],
  };
}
