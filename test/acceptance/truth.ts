/*
 * Ground truth by plain HTTP against the sandbox: `fetch`, the admin key, and small pages walked
 * one by one. Nothing here imports the report code or the project's client, so a bug there cannot
 * hide itself in the expected answers.
 */

export const KEY = 'sk-admin-acceptance-0123456789abcdef';
export const DAY = 86_400;

export interface KeyOwner {
  type: 'user' | 'service_account';
  user: { id: string; email: string };
  service_account: { id: string; name: string };
}
export interface RawKey {
  id: string;
  name: string;
  redacted_value: string;
  last_used_at: number | null;
  created_at: number;
  owner: KeyOwner;
}
export interface AuditEvent {
  type: string;
  actor?: { session?: { user?: { id?: string } }; api_key?: { user?: { id?: string } } };
  [payload: string]: unknown;
}

export class Truth {
  constructor(private readonly base: string) {}

  async get<T = Record<string, unknown>>(path: string, query: Record<string, string | number | boolean | string[]> = {}): Promise<{ status: number; body: T }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (Array.isArray(v)) for (const item of v) params.append(`${k}[]`, item);
      else params.append(k, String(v));
    }
    const qs = params.toString();
    const res = await fetch(`${this.base}${path}${qs ? `?${qs}` : ''}`, { headers: { authorization: `Bearer ${KEY}` } });
    return { status: res.status, body: (await res.json()) as T };
  }

  async post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, unknown>;
  }

  /** Every item of a cursor-paged list, 10 at a time. */
  async list<T = Record<string, unknown>>(path: string, query: Record<string, string | number | boolean> = {}): Promise<T[]> {
    const items: T[] = [];
    let after: string | undefined;
    for (let page = 0; page < 500; page++) {
      const { status, body } = await this.get<{ data: T[]; has_more: boolean; last_id?: string; next?: string }>(path, { ...query, limit: 10, ...(after ? { after } : {}) });
      if (status !== 200) throw new Error(`GET ${path} answered ${status}`);
      items.push(...body.data);
      if (!body.has_more) return items;
      after = body.last_id ?? body.next ?? (body.data[body.data.length - 1] as { id: string }).id;
    }
    throw new Error(`GET ${path}: too many pages`);
  }

  /** Usage or cost buckets of [start, end), page token by page token. */
  async buckets(path: string, start: number, end: number, query: Record<string, string | number | boolean | string[]> = {}): Promise<Array<{ start_time: number; results: Array<Record<string, unknown>> }>> {
    const out: Array<{ start_time: number; results: Array<Record<string, unknown>> }> = [];
    let page: string | undefined;
    for (let i = 0; i < 1_000; i++) {
      const { status, body } = await this.get<{ data: typeof out; has_more: boolean; next_page?: string }>(path, {
        ...query,
        start_time: start,
        end_time: end,
        bucket_width: '1d',
        limit: 7,
        ...(page ? { page } : {}),
      });
      if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(body)}`);
      out.push(...body.data);
      if (!body.has_more || !body.next_page) return out;
      page = body.next_page;
    }
    throw new Error('too many pages');
  }

  projects = () => this.list<{ id: string; name: string; status: string }>('/organization/projects', { include_archived: true });
  users = () => this.list<{ id: string; name: string; email: string; role: string }>('/organization/users');
  groups = () => this.list<{ id: string; name: string }>('/organization/groups');

  /** Every project key with its project, whoever owns it. */
  async keys(): Promise<Array<RawKey & { project: { id: string; name: string } }>> {
    const out = [];
    for (const p of await this.projects()) {
      const keys = await this.list<RawKey>(`/organization/projects/${p.id}/api_keys`, { owner_project_access: 'any' });
      out.push(...keys.map((k) => ({ ...k, project: { id: p.id, name: p.name } })));
    }
    return out;
  }

  /** A project's members, read one by one (works for archived projects too). */
  async members(projectId: string): Promise<Array<{ id: string; email: string; role: string }>> {
    const out = [];
    for (const u of await this.users()) {
      const { status, body } = await this.get<{ id: string; email: string; role: string }>(`/organization/projects/${projectId}/users/${u.id}`);
      if (status === 200) out.push(body);
    }
    return out;
  }

  /** Total USD of the costs matching `query` over [start, end), in micro-dollars. */
  async costMicros(start: number, end: number, query: Record<string, string[]> = {}): Promise<number> {
    let total = 0;
    for (const b of await this.buckets('/organization/costs', start, end, query)) for (const r of b.results) total += Math.round(((r.amount as { value: number }).value ?? 0) * 1e6);
    return total;
  }

  /** Audit events in [start, end) matching the filters, all pages. */
  async audit(query: Record<string, string | string[] | number>, start: number, end: number): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    let after: string | undefined;
    for (let i = 0; i < 500; i++) {
      const { body } = await this.get<{ data: AuditEvent[]; has_more: boolean; last_id?: string }>('/organization/audit_logs', {
        ...(query as Record<string, string | string[]>),
        'effective_at[gte]': start,
        'effective_at[lt]': end,
        limit: 100,
        ...(after ? { after } : {}),
      });
      out.push(...body.data);
      if (!body.has_more || !body.last_id) return out;
      after = body.last_id;
    }
    return out;
  }
}
