import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import { allComposites } from '../../src/reports/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { useSandbox } from '../helpers.js';
import { testHost } from '../host.js';
import { NOW } from './support.js';

/*
 * `fresh: true` means the same on every report that reads the directory: what it uses that was read
 * before the call is read again, once; without it, a warm call reads none of it. (A plan's names are
 * the directory's too: `find` with `fresh: true` refreshes them for the plans that follow.)
 */

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ now: () => NOW }, (started) => ({ sandbox, client } = started));

const since = (from: number) => sandbox.requests.slice(from);

describe('fresh', () => {
  it('re-reads the names every report that reads the directory uses, once; without it nothing is read again', async () => {
    const host = testHost(client, { composites: allComposites, now: () => NOW * 1000 });
    const project = [...sandbox.state.projects.values()][1] as { id: string; name: string };
    const readers: Record<string, Record<string, unknown>> = {
      find: { query: 'ci-deploy' },
      access_review: {},
      spend_report: { group_by: ['project'] },
      usage_report: { group_by: ['project'] },
      audit_search: { project: project.name },
      spend_anomalies: {},
    };
    // Every tool that takes fresh is here, and its schema states the default.
    const listed = host.listTools().filter((t) => (t.inputSchema.properties as Record<string, unknown> | undefined)?.fresh);
    expect(listed.map((t) => t.name).sort()).toEqual(Object.keys(readers).sort());
    for (const t of listed) expect((t.inputSchema.properties as Record<string, unknown>).fresh).toEqual({ type: 'boolean', default: false });

    const projectLists = (from: number) => since(from).filter((r) => r.path === '/organization/projects').length;
    for (const [name, args] of Object.entries(readers)) {
      const first = await host.call(name, args);
      expect(first.isError, `${name}: ${JSON.stringify(first.content).slice(0, 300)}`).toBeFalsy();
      const warm = sandbox.requests.length;
      await host.call(name, args);
      expect(projectLists(warm), `${name} warm`).toBe(0);
      const fresh = sandbox.requests.length;
      await host.call(name, { ...args, fresh: true });
      expect(projectLists(fresh), `${name} fresh`).toBe(1);
    }
  });

  it("re-reads the organization review's per-project facts too, each project once", async () => {
    const host = testHost(client, { composites: allComposites, now: () => NOW * 1000 });
    await host.call('access_review', {});
    const projects = sandbox.state.projects.size;
    const memberLists = (from: number) => since(from).filter((r) => /^\/organization\/projects\/[^/]+\/(users|api_keys)$/.test(r.path));
    const warm = sandbox.requests.length;
    await host.call('access_review', {});
    expect(memberLists(warm)).toHaveLength(0);
    const fresh = sandbox.requests.length;
    await host.call('access_review', { fresh: true });
    // Every project's keys and members (an archived project's member listing is refused, and asked once), no more.
    const read = memberLists(fresh);
    expect(read.filter((r) => r.path.endsWith('/api_keys'))).toHaveLength(projects);
    expect(read.filter((r) => r.path.endsWith('/users'))).toHaveLength(projects);
  });
});
