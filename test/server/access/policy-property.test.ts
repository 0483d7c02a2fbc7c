import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/client/index.js';
import { allComposites } from '../../../src/reports/index.js';
import type { CallSession, Host } from '../../../src/server/hosts/host.js';
import type { Caller, Right } from '../../../src/server/access/oauth.js';
import { PersonHost } from '../../../src/server/hosts/person-host.js';
import { grantFor, parsePolicy, type PolicyRule } from '../../../src/server/access/policy.js';
import { success, type ToolResult } from '../../../src/server/results/results.js';
import { TOOLSETS } from '../../../src/server/listing/selection.js';
import { Rng } from '../../../src/sandbox/rng.js';
import { testHost } from '../../host.js';

/*
 * The policy's meaning, checked over random policies, people and calls (seeded, so a failure
 * replays): a call is allowed if and only if one single rule that matches the person allows its
 * right, its tool and its projects together, and a person is shown (listing, search_tools,
 * describe_tool) exactly the tools some single rule allows. The reference below is written
 * from that sentence, independently of the server's code.
 *
 * The person's view wraps a host that stops at the gate: it asks the `permit` and `visible` the
 * view hands down (as the server's dispatcher does for every call, call_tool included) and sends
 * nothing, so thousands of cases run in about a second. oauth.test.ts runs the same rules end to
 * end against a real provider and the sandbox.
 */

const RIGHTS: readonly Right[] = ['read', 'write', 'destructive'];
const rank = (right: Right) => RIGHTS.indexOf(right);
const GRANTABLE = ['proj_A', 'proj_B', 'proj_C'];
/** Named in calls, never granted. */
const FOREIGN = 'proj_Z';
const POLICIES = 3_000;
const CALLS_PER_POLICY = 8;

type Entry = ReturnType<Host['entries']>[number];

/** A host that records what the person's view lets through, and executes nothing. */
class Gate implements Host {
  readonly instructions = '';
  readonly mode;
  private readonly cached: ReturnType<Host['entries']>;
  session: CallSession = {};

  constructor(private readonly real: Host) {
    this.mode = real.mode;
    this.cached = real.entries();
  }

  listTools() {
    return this.real.listTools();
  }

  entries() {
    return this.cached;
  }

  instructionsFor(view: Parameters<Host['instructionsFor']>[0]) {
    return this.real.instructionsFor(view);
  }

  async call(_name: string, _args: unknown, session: CallSession = {}): Promise<ToolResult> {
    this.session = session;
    return success({});
  }
}

/** The argument through which a tool names a project (a registry fact, read from its schema). */
function projectArgument(entry: Entry): 'project_id' | 'project_ids' | undefined {
  const properties = entry.tool.inputSchema.properties ?? {};
  return 'project_id' in properties ? 'project_id' : 'project_ids' in properties ? 'project_ids' : undefined;
}

function matches(rule: PolicyRule, caller: Caller): boolean {
  const groups = (caller.claims.groups as string[] | undefined) ?? [];
  const email = caller.emailVerified ? caller.email : undefined;
  return Boolean(rule.subs?.includes(caller.sub) || rule.groups?.some((g) => groups.includes(g)) || (email && rule.emails?.includes(email)));
}

/** Whether this one rule lets the person list the tool. */
function ruleShows(rule: PolicyRule, caller: Caller, entry: Entry): boolean {
  const right = RIGHTS[Math.min(rank(caller.right), rank(rule.rights ?? 'destructive'))] as Right;
  if (rank(entry.effect) > rank(right)) return false;
  if (rule.toolsets && !rule.toolsets.includes(entry.toolset)) return false;
  return !rule.projects || projectArgument(entry) !== undefined;
}

/** Whether this one rule allows this call: its right, its tool and every project it names, together. */
function ruleAllows(rule: PolicyRule, caller: Caller, entry: Entry, args: Record<string, unknown>): boolean {
  if (!ruleShows(rule, caller, entry)) return false;
  if (!rule.projects) return true;
  const granted = rule.projects;
  const argument = projectArgument(entry);
  if (argument === 'project_id') return typeof args.project_id === 'string' && granted.includes(args.project_id);
  const ids = args.project_ids;
  return Array.isArray(ids) && ids.length > 0 && ids.every((p) => typeof p === 'string' && granted.includes(p));
}

function randomRule(rng: Rng): Record<string, unknown> {
  const rule: Record<string, unknown> = {};
  // Who it matches: some rules match the person, some do not.
  const by = rng.pick(['subs', 'groups', 'emails'] as const);
  if (by === 'subs') rule.subs = [rng.pick(['u1', 'u2'])];
  if (by === 'groups') rule.groups = rng.sample(['g1', 'g2', 'g3'], rng.int(1, 2));
  if (by === 'emails') rule.emails = [rng.pick(['p@example.com', 'q@example.com'])];
  if (rng.chance(0.75)) rule.rights = rng.pick(RIGHTS);
  if (rng.chance(0.7)) rule.toolsets = rng.sample(TOOLSETS, rng.int(1, 3));
  if (rng.chance(0.6)) rule.projects = rng.sample(GRANTABLE, rng.int(1, 2));
  return rule;
}

function randomCaller(rng: Rng): Caller {
  return {
    sub: rng.pick(['u1', 'u2']),
    ...(rng.chance(0.6) ? { email: rng.pick(['p@example.com', 'q@example.com']) } : {}),
    emailVerified: rng.chance(0.7),
    right: rng.pick(RIGHTS),
    claims: { groups: rng.sample(['g1', 'g2', 'g3'], rng.int(0, 2)) },
  };
}

/** Arguments that name projects in every way a call can: none, granted, foreign, several, malformed. */
function randomArgs(rng: Rng, entry: Entry): Record<string, unknown> {
  const argument = projectArgument(entry);
  const pool = [...GRANTABLE, FOREIGN];
  if (argument === 'project_id') {
    const value = rng.pick<unknown>([undefined, ...pool, ...pool, 42]);
    return value === undefined ? {} : { project_id: value };
  }
  if (argument === 'project_ids') {
    const value = rng.pick<unknown>([undefined, [], 'proj_A', rng.sample(pool, rng.int(1, 3)), rng.sample(pool, rng.int(1, 2)), [rng.pick(pool)]]);
    return value === undefined ? {} : { project_ids: value };
  }
  return {};
}

describe('a policy of several rules', () => {
  it('allows a call if and only if one single rule allows it, and lists what single rules allow', async () => {
    const real = testHost(new AdminClient({ apiKey: 'sk-admin-never-sent', baseUrl: 'http://127.0.0.1:9' }), { composites: allComposites });
    const gate = new Gate(real);
    const entries = gate.entries();
    const projectTools = entries.filter((e) => projectArgument(e) !== undefined);
    const rng = new Rng(17_003);
    const tally = { calls: 0, allowed: 0, overGranted: 0, underGranted: 0, listedWrongly: 0, hiddenWrongly: 0, unmatched: 0, unnamed: 0 };
    const firstWrong: string[] = [];

    for (let p = 0; p < POLICIES; p += 1) {
      const policy = parsePolicy({ rules: Array.from({ length: rng.int(1, 4) }, () => randomRule(rng)) }, 'property');
      const caller = randomCaller(rng);
      const grant = grantFor(caller, policy);
      const mine = policy.rules.filter((r) => matches(r, caller));
      if (!grant) {
        expect(mine, 'a person no rule matches gets no grant').toEqual([]);
        tally.unmatched += 1;
        continue;
      }
      const person = new PersonHost(gate, grant);

      // Listing: exactly the tools some single rule shows, in tools/list, search_tools and describe_tool.
      const shown = new Set(entries.filter((e) => mine.some((r) => ruleShows(r, caller, e))).map((e) => e.tool.name));
      const listed = new Set(person.entries().map((e) => e.tool.name));
      await person.call('search_tools', { query: 'x' });
      const visible = gate.session.visible ?? (() => true);
      for (const entry of entries) {
        const name = entry.tool.name;
        if (listed.has(name) !== shown.has(name) || visible(name) !== shown.has(name)) {
          if (shown.has(name)) tally.hiddenWrongly += 1;
          else tally.listedWrongly += 1;
        }
      }

      // Calls: half on tools that name a project, where rules interact the most.
      for (let c = 0; c < CALLS_PER_POLICY; c += 1) {
        const entry = rng.chance(0.5) ? rng.pick(projectTools) : rng.pick(entries);
        const args = randomArgs(rng, entry);
        await person.call(entry.tool.name, args);
        const refusal = gate.session.permit?.(entry.tool.name, args);
        const expected = mine.some((r) => ruleAllows(r, caller, entry, args));
        tally.calls += 1;
        if (refusal === undefined) tally.allowed += 1;
        if (refusal === undefined && !expected) tally.overGranted += 1;
        if (refusal !== undefined && expected) tally.underGranted += 1;
        if ((refusal === undefined) !== expected && firstWrong.length < 3) {
          firstWrong.push(`${entry.tool.name} ${JSON.stringify(args)} by ${JSON.stringify(caller)} under ${JSON.stringify(policy.rules)}: ${refusal ?? 'allowed'}`);
        }
        // A refusal says why in a sentence that names the tool.
        if (refusal !== undefined && !refusal.includes(entry.tool.name)) tally.unnamed += 1;
      }
    }

    const { overGranted, underGranted, listedWrongly, hiddenWrongly, unnamed } = tally;
    expect({ overGranted, underGranted, listedWrongly, hiddenWrongly, unnamed }, firstWrong.join('\n')).toEqual({ overGranted: 0, underGranted: 0, listedWrongly: 0, hiddenWrongly: 0, unnamed: 0 });
    // The cases are not vacuous: many calls are allowed, many refused, and some people match nothing.
    expect(tally.calls).toBeGreaterThan(POLICIES * CALLS_PER_POLICY * 0.6);
    expect(tally.allowed).toBeGreaterThan(tally.calls * 0.1);
    expect(tally.calls - tally.allowed).toBeGreaterThan(tally.calls * 0.3);
    expect(tally.unmatched).toBeGreaterThan(0);
  });
});
