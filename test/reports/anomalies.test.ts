import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineAt } from '../../src/reports/baseline.js';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { sandboxWithClient, TEST_ADMIN_KEY } from '../helpers.js';
import { DAY, hostFor, NOW, ok, TODAY } from './support.js';

/*
 * spend_anomalies measured as issue 21 asks: on the two seeds unplanted (false alarms per group-day),
 * then with spikes planted through POST /v1/_sandbox/records (recall and driver accuracy). Every
 * planted spike is 2× to 10× its project's own baseline that day and at least $50, on a key of the
 * project and one line item; each seed gets 24 spikes, one a day on distinct days, so no two runs
 * merge. The figures are printed and recorded in docs/BENCHMARKS.md.
 */

const SEEDS = [1, 2];
const SPIKES_PER_SEED = 24;
const FACTORS = [2, 2.5, 3, 4, 5, 6, 8, 10];
const LINE_ITEMS = ['gpt-4o-2024-08-06, input', 'o3-2025-04-16, output', 'gpt-4.1-2025-04-14, output', 'text-embedding-3-large'];
/**
 * The report shows the eight largest anomalies, so the planted days (3 to 49 days ago, one every
 * other day) are read a week at a time: the report's clock steps back six days per call, and each
 * last_7_days holds at most four spikes.
 */
const WEEKS = Array.from({ length: 9 }, (_, w) => (TODAY - w * 6 * DAY + 12 * 3600) * 1000);

interface Anomaly {
  day: string;
  through?: string;
  group: string;
  factor?: number;
  new?: boolean;
  drivers: string[];
  audit?: string[];
}
interface Answer {
  method: string;
  anomalies: Anomaly[];
  more?: number;
  shifted?: number;
}
interface Planted {
  seed: number;
  day: string;
  project: string;
  key: string;
  lineItem: string;
  factor: number;
  usd: number;
}

const hosts = new Map<number, { sandbox: Sandbox; client: AdminClient; close: () => Promise<void> }>();
beforeAll(async () => {
  for (const seed of SEEDS) {
    const started = await sandboxWithClient({ seed, now: () => NOW }, { maxRetries: 0 });
    hosts.set(seed, { sandbox: started.sandbox, client: started.client, close: started.close });
  }
});

/** spend_anomalies on a seed with the report's clock at `nowMs` (the sandbox's stays at NOW). */
const anomalies = (seed: number, args: Record<string, unknown>, nowMs = NOW * 1000) =>
  ok<Answer>(hostFor((hosts.get(seed) as { client: AdminClient }).client, () => nowMs), 'spend_anomalies', args);

/** Groups × days judged, as the method line states them. */
const groupDays = (answer: Answer) => {
  const [, groups, days] = /(\d+) groups × (\d+) days/.exec(answer.method) ?? [];
  return Number(groups) * Number(days);
};
afterAll(async () => {
  for (const { close } of hosts.values()) await close();
});

const date = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 10);

/** Each project's daily cost from the sandbox's own records, over the 90 days before today. */
function projectDaily(sandbox: Sandbox): { days: number[]; byProject: Map<string, Float64Array> } {
  const days = Array.from({ length: 90 }, (_, i) => TODAY - (90 - i) * DAY);
  const byProject = new Map<string, Float64Array>();
  for (const record of sandbox.state.activity) {
    const i = (record.day - (days[0] as number)) / DAY;
    if (i < 0 || i >= days.length) continue;
    const values = byProject.get(record.project_id) ?? new Float64Array(days.length);
    for (const line of record.costs) values[i] = (values[i] as number) + line.amount;
    byProject.set(record.project_id, values);
  }
  return { days, byProject };
}

/** Spikes for one seed: projects in turn (those that can carry a $50 spike at that factor), distinct days. */
function plan(seed: number, sandbox: Sandbox, offset: number): Planted[] {
  const { days, byProject } = projectDaily(sandbox);
  const projects = [...byProject.keys()].sort();
  const out: Planted[] = [];
  for (let n = 0; n < SPIKES_PER_SEED; n++) {
    const i = days.length - 3 - 2 * n;
    const day = days[i] as number;
    const factor = FACTORS[(n + offset) % FACTORS.length] as number;
    for (let tries = 0; tries < projects.length; tries++) {
      const project = projects[(n + offset + tries) % projects.length] as string;
      const base = baselineAt(byProject.get(project) as Float64Array, days, i).median;
      const usd = Math.round((factor - 1) * base * 100) / 100;
      const keys = [...(sandbox.state.projectApiKeys.get(project)?.keys() ?? [])];
      if (usd < 50 || keys.length === 0) continue;
      out.push({ seed, day: date(day), project, key: keys[n % keys.length] as string, lineItem: LINE_ITEMS[n % LINE_ITEMS.length] as string, factor, usd });
      break;
    }
  }
  return out;
}

async function plant(sandbox: Sandbox, body: unknown): Promise<Response> {
  return fetch(`${sandbox.url}/_sandbox/records`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const covers = (a: Anomaly, day: string) => a.day <= day && day <= (a.through ?? a.day);

describe('spend_anomalies detection (issue 21 targets)', () => {
  it('raises at most 1 false alarm per 300 group-days on the unplanted seeds, by every dimension it groups by', async () => {
    const figures: string[] = [];
    const rates: Record<string, number> = {};
    for (const by of ['project', 'api_key', 'line_item', 'model']) {
      let alarms = 0;
      let judged = 0;
      for (const seed of SEEDS) {
        // The last 60 days, as two runs of last_30_days.
        for (const back of [0, 30]) {
          const answer = await anomalies(seed, { by }, (NOW - back * DAY) * 1000);
          alarms += answer.anomalies.filter((a) => !a.new).length + (answer.more ?? 0);
          judged += groupDays(answer);
        }
      }
      figures.push(`by ${by}: ${alarms} over ${judged} group-days (${((alarms / judged) * 300).toFixed(2)} per 300)`);
      rates[by] = alarms / judged;
      expect(judged, `group-days judged by ${by}`).toBeGreaterThan(800);
    }
    console.log(`false alarms on the unplanted seeds, last 60 days: ${figures.join('; ')}`);
    for (const by of ['project', 'api_key', 'line_item', 'model']) expect(rates[by], `false alarms per group-day by ${by}`).toBeLessThanOrEqual(1 / 300);
  }, 60_000);

  it('finds ≥ 95% of planted spikes of 3× or more, and names the planted key, line item or model first in ≥ 95%', async () => {
    const planted: Planted[] = [];
    for (const [at, seed] of SEEDS.entries()) {
      const { sandbox } = hosts.get(seed) as { sandbox: Sandbox };
      const spikes = plan(seed, sandbox, at * 3);
      planted.push(...spikes);
      const res = await plant(sandbox, { costs: spikes.map((s) => ({ date: s.day, project_id: s.project, api_key_id: s.key, line_item: s.lineItem, usd: s.usd })) });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ added: { costs: spikes.length, completions: 0 } });
    }
    expect(planted.length).toBeGreaterThanOrEqual(40);
    let strong = 0;
    let found = 0;
    let weakFound = 0;
    let named = 0;
    let detected = 0;
    for (const seed of SEEDS) {
      const seen: Anomaly[] = [];
      for (const at of WEEKS) seen.push(...(await anomalies(seed, { period: 'last_7_days' }, at)).anomalies);
      for (const spike of planted.filter((p) => p.seed === seed)) {
        const hit = seen.find((a) => a.group.includes(spike.project) && covers(a, spike.day));
        if (spike.factor >= 3) strong += 1;
        if (hit && spike.factor >= 3) found += 1;
        if (hit && spike.factor < 3) weakFound += 1;
        if (!hit) continue;
        detected += 1;
        const top = hit.drivers[0] ?? '';
        const model = spike.lineItem.split(',')[0] as string;
        if (top.includes(spike.key) || top.includes(spike.lineItem) || top.startsWith(`model ${model}:`)) named += 1;
      }
    }
    const weak = planted.length - strong;
    console.log(
      `planted ${planted.length}: recall ${found}/${strong} for ≥ 3× (${((found / strong) * 100).toFixed(1)}%), ${weakFound}/${weak} for 2–2.5×; top driver right in ${named}/${detected} (${((named / detected) * 100).toFixed(1)}%)`,
    );
    expect(found / strong).toBeGreaterThanOrEqual(0.95);
    expect(named / detected).toBeGreaterThanOrEqual(0.95);
    // 18 reports of 58 days of finely grouped costs: about 9 s on a quiet machine.
  }, 120_000);
});

describe('spend that moved between keys', () => {
  it('counts a key that took over another key’s traffic as shifted, not as an anomaly, and still finds a spike planted on it', async () => {
    // Seed 1 moves a Marketing Copy workload onto its "prototype" key from 2026-11-02, when the key
    // it preferred stopped being used: the key's spend rose about 7× while the project's did not.
    const { sandbox } = hosts.get(1) as { sandbox: Sandbox };
    const [project, id] = [...sandbox.state.projectApiKeys].flatMap(([p, keys]) => [...keys.values()].filter((k) => k.name === 'prototype').map((k) => [p, k.id] as const))[0] ?? [];
    expect(id, 'seed 1 has a key named prototype').toBeDefined();
    const before = await anomalies(1, { by: 'api_key', min_usd: 0 });
    expect(before.shifted, 'jumps counted as spend that moved').toBeGreaterThan(0);
    expect(before.anomalies.filter((a) => a.group.includes(id as string) && !a.new)).toEqual([]);
    expect(before.method).toMatch(/spend that moved, counted as shifted/);
    // New spend on the same key (a day no other test plants on) raises its project too: an anomaly.
    const day = date(TODAY - 4 * DAY);
    const res = await plant(sandbox, { costs: [{ date: day, project_id: project, api_key_id: id, line_item: 'gpt-4o-2024-08-06, output', usd: 300 }] });
    expect(res.status).toBe(201);
    const after = await anomalies(1, { by: 'api_key', min_usd: 0 });
    const hit = after.anomalies.find((a) => a.group.includes(id as string) && covers(a, day));
    expect(hit, JSON.stringify(after.anomalies)).toBeDefined();
    expect(hit?.drivers[0]).toMatch(/gpt-4o-2024-08-06/);
  });
});

describe('POST /v1/_sandbox/records', () => {
  it('refuses an unknown project or a key of another project with 400, naming the field, and adds nothing', async () => {
    const { sandbox } = hosts.get(1) as { sandbox: Sandbox };
    const before = sandbox.state.activity.length;
    const [project, other] = [...sandbox.state.projects.keys()];
    const key = [...(sandbox.state.projectApiKeys.get(other as string)?.keys() ?? [])][0] as string;
    const good = { date: date(TODAY - DAY), project_id: project, api_key_id: [...(sandbox.state.projectApiKeys.get(project as string)?.keys() ?? [])][0], line_item: 'x', usd: 1 };
    for (const [bad, param] of [
      [{ ...good, project_id: 'proj_nope' }, 'costs[1].project_id'],
      [{ ...good, api_key_id: key }, 'costs[1].api_key_id'],
      [{ ...good, date: '2026-13-01' }, 'costs[1].date'],
      [{ ...good, usd: -1 }, 'costs[1].usd'],
    ] as const) {
      const res = await plant(sandbox, { costs: [good, bad] });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param);
    }
    expect(sandbox.state.activity.length).toBe(before);
  });

  it('joins planted records to every grouping of costs and completions usage, each adding only what it says', async () => {
    const { sandbox } = hosts.get(2) as { sandbox: Sandbox };
    const project = [...sandbox.state.projects.keys()][1] as string;
    const key = [...(sandbox.state.projectApiKeys.get(project)?.keys() ?? [])][0] as string;
    const day = TODAY - 40 * DAY;
    const get = async (path: string, group: string, field: (r: Record<string, any>) => number, match: (r: Record<string, any>) => boolean) => {
      const res = await fetch(`${sandbox.url}${path}?start_time=${day}&end_time=${day + DAY}&group_by[]=${group}`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
      const body = (await res.json()) as { data: Array<{ results: Array<Record<string, any>> }> };
      return (body.data[0]?.results ?? []).filter(match).reduce((s, r) => s + field(r), 0);
    };
    const usd = (r: Record<string, any>) => r.amount.value as number;
    const tokens = (r: Record<string, any>) => (r.input_tokens as number) + (r.output_tokens as number);
    const views = () =>
      Promise.all([
        get('/organization/costs', 'project_id', usd, (r) => r.project_id === project),
        get('/organization/costs', 'api_key_id', usd, (r) => r.api_key_id === key),
        get('/organization/costs', 'line_item', usd, (r) => r.line_item === 'planted, input'),
        get('/organization/usage/completions', 'project_id', tokens, (r) => r.project_id === project),
        get('/organization/usage/completions', 'api_key_id', tokens, (r) => r.api_key_id === key),
        get('/organization/usage/completions', 'model', tokens, (r) => r.model === 'planted-model'),
        get('/organization/usage/completions', 'model', (r) => r.num_model_requests as number, (r) => r.model === 'planted-model'),
      ]);
    const before = await views();
    const res = await plant(sandbox, {
      costs: [{ date: date(day), project_id: project, api_key_id: key, line_item: 'planted, input', usd: 123.45 }],
      completions: [{ date: date(day), project_id: project, api_key_id: key, model: 'planted-model', input_tokens: 1000, output_tokens: 234, requests: 7 }],
    });
    expect(res.status).toBe(201);
    const after = await views();
    const added = after.map((v, i) => Math.round((v - (before[i] as number)) * 100) / 100);
    expect(added).toEqual([123.45, 123.45, 123.45, 1234, 1234, 1234, 7]);
  });
});
