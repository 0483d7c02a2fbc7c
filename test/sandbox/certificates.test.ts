import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { ProjectRecord } from '../../src/sandbox/state.js';
import {
  expectError,
  failure,
  pickActiveProject,
  pickArchivedProject,
  sandboxWithClient,
  useSandbox,
  withSandboxes,
} from '../helpers.js';
import { pem } from '../certificates.js';

interface Cert {
  object: string;
  id: string;
  name: string | null;
  created_at: number;
  certificate_details: { valid_at: number; expires_at: number; content?: string };
  active?: boolean;
}
interface CertList {
  object: string;
  data: Cert[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}
interface Toggled {
  object: string;
  data: Cert[];
}

const DAY = 86_400;

/** Which certificates are active where, to assert that a refused call changed nothing. */
function activation(sandbox: Sandbox) {
  return [...sandbox.state.certificates.values()].map((c) => ({
    id: c.id,
    name: c.name,
    org: c.active_in_org,
    projects: [...c.active_in_projects].sort(),
  }));
}

let sandbox: Sandbox;
let client: AdminClient;
let active: ProjectRecord;
let archived: ProjectRecord;

useSandbox({ seed: 7 }, (started) => {
  ({ sandbox, client } = started);
  active = pickActiveProject(sandbox.state);
  archived = pickArchivedProject(sandbox.state);
});

describe('seed', () => {
  it('has certificates active in the org, active in projects, inactive everywhere, and one expiring soon', () => {
    const certs = [...sandbox.state.certificates.values()];
    expect(certs.length).toBeGreaterThanOrEqual(5);
    expect(certs.some((c) => c.active_in_org)).toBe(true);
    expect(certs.some((c) => c.active_in_projects.size > 0)).toBe(true);
    expect(certs.some((c) => !c.active_in_org && c.active_in_projects.size === 0)).toBe(true);
    const soon = certs.filter((c) => c.expires_at > sandbox.state.anchor && c.expires_at < sandbox.state.anchor + 30 * DAY);
    expect(soon.length).toBe(1);
    for (const c of certs) {
      expect(c.content).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----$/);
      expect(c.valid_at).toBeLessThan(c.expires_at);
      for (const projectId of c.active_in_projects) expect(sandbox.state.projects.has(projectId)).toBe(true);
    }
  });

  it('is deterministic: the same seed gives the same certificates, another seed different ones', async () => {
    await withSandboxes([{ seed: 7 }, { seed: 8 }, { seed: 7 }], ([again, other, fresh]) => {
      const ids = (s: Sandbox) => [...s.state.certificates.values()].map((c) => [c.id, c.content, c.expires_at]);
      expect(ids(again)).toEqual(ids(fresh));
      expect(ids(other)).not.toEqual(ids(again));
    });
  });
});

describe('GET /organization/certificates', () => {
  it('lists every certificate newest first, as organization.certificate with the org-level active flag', async () => {
    const list = await client.get<CertList>('/organization/certificates', { limit: 100 });
    expect(list.object).toBe('list');
    expect(list.has_more).toBe(false);
    expect(list.data).toHaveLength(sandbox.state.certificates.size);
    expect(list.first_id).toBe(list.data[0]?.id);
    expect(list.last_id).toBe(list.data.at(-1)?.id);
    const created = list.data.map((c) => c.created_at);
    expect(created).toEqual([...created].sort((a, b) => b - a));
    for (const item of list.data) {
      const record = sandbox.state.certificates.get(item.id);
      expect(item.object).toBe('organization.certificate');
      expect(item.active).toBe(record?.active_in_org);
      expect(item.certificate_details.valid_at).toBe(record?.valid_at);
      expect(item.certificate_details.expires_at).toBe(record?.expires_at);
      expect(item.certificate_details.content).toBeUndefined();
      expect(item).toHaveProperty('name');
    }
  });

  it('pages with limit and after, in either order', async () => {
    const asc = await client.get<CertList>('/organization/certificates', { order: 'asc', limit: 100 });
    expect(asc.data.map((c) => c.id)).toEqual([...sandbox.state.certificates.keys()]);
    const first = await client.get<CertList>('/organization/certificates', { limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    const second = await client.get<CertList>('/organization/certificates', { limit: 2, after: first.last_id as string });
    expect(second.data[0]?.id).not.toBe(first.data[1]?.id);
    const all: Cert[] = [];
    for await (const cert of client.paginate<Cert>({ path: '/organization/certificates', query: { limit: 3 }, style: 'cursor_id' })) all.push(cert);
    expect(all.map((c) => c.id)).toEqual([...sandbox.state.certificates.keys()].reverse());
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ order: 'newest' }, 'order'],
    [{ after: 'cert_unknown' }, 'after'],
  ])('rejects %o with 400 on %s', async (query, param) => {
    await expectError(client.get('/organization/certificates', query), 400, param);
  });
});

describe('GET /organization/certificates/{certificate_id}', () => {
  it('returns a certificate object without active, and its PEM only with include[]=content', async () => {
    const record = [...sandbox.state.certificates.values()][0]!;
    const plain = await client.get<Cert>(`/organization/certificates/${record.id}`);
    expect(plain.object).toBe('certificate');
    expect(plain.id).toBe(record.id);
    expect(plain.name).toBe(record.name);
    expect(plain.created_at).toBe(record.created_at);
    expect(plain).not.toHaveProperty('active');
    expect(plain.certificate_details).toEqual({ valid_at: record.valid_at, expires_at: record.expires_at });

    const full = await client.get<Cert>(`/organization/certificates/${record.id}`, { include: ['content'] });
    expect(full.certificate_details.content).toBe(record.content);
    // The repeated (non-bracket) form works too.
    const raw = await client.get<Cert>(`/organization/certificates/${record.id}?include=content`);
    expect(raw.certificate_details.content).toBe(record.content);
  });

  it('rejects an unknown include value with 400 and answers 404 for an unknown ID', async () => {
    const record = [...sandbox.state.certificates.values()][0]!;
    await expectError(client.get(`/organization/certificates/${record.id}`, { include: ['private_key'] }), 400, 'include');
    await expectError(client.get('/organization/certificates/cert_missing'), 404, 'certificate_id');
  });
});

describe('certificate round trip', () => {
  it('uploads, reads, lists, renames, activates, refuses deletion while active anywhere, then deletes', async () => {
    const content = pem('round-trip');
    const created = await client.post<Cert>('/organization/certificates', { name: 'Round trip', certificate: content });
    expect(created.object).toBe('certificate');
    expect(created.id).toMatch(/^cert_/);
    expect(created.name).toBe('Round trip');
    expect(created).not.toHaveProperty('active');
    expect(created.certificate_details.expires_at).toBeGreaterThan(created.certificate_details.valid_at);
    expect(sandbox.state.certificates.get(created.id)?.active_in_org).toBe(false);

    const read = await client.get<Cert>(`/organization/certificates/${created.id}`, { include: ['content'] });
    expect(read.certificate_details.content).toBe(content);

    const list = await client.get<CertList>('/organization/certificates', { limit: 1 });
    expect(list.data[0]).toMatchObject({ id: created.id, object: 'organization.certificate', active: false });

    const renamed = await client.post<Cert>(`/organization/certificates/${created.id}`, { name: 'Round trip (renamed)' }, { idempotent: true });
    expect(renamed).toMatchObject({ object: 'certificate', id: created.id, name: 'Round trip (renamed)' });
    expect(sandbox.state.certificates.get(created.id)?.name).toBe('Round trip (renamed)');

    const on = await client.post<Toggled>('/organization/certificates/activate', { certificate_ids: [created.id] }, { idempotent: true });
    expect(on.object).toBe('organization.certificate.activation');
    expect(on.data).toEqual([expect.objectContaining({ object: 'organization.certificate', id: created.id, active: true })]);

    await expectError(client.delete(`/organization/certificates/${created.id}`), 400, 'certificate_id', { code: 'certificate_active' });
    expect(sandbox.state.certificates.has(created.id)).toBe(true);

    const off = await client.post<Toggled>('/organization/certificates/deactivate', { certificate_ids: [created.id] }, { idempotent: true });
    expect(off.object).toBe('organization.certificate.deactivation');
    expect(off.data[0]).toMatchObject({ id: created.id, active: false });

    const onProject = await client.post<Toggled>(
      `/organization/projects/${active.id}/certificates/activate`,
      { certificate_ids: [created.id] },
      { idempotent: true },
    );
    expect(onProject.object).toBe('organization.project.certificate.activation');
    expect(onProject.data[0]).toMatchObject({ object: 'organization.project.certificate', id: created.id, active: true });

    const refusedProject = await expectError(client.delete(`/organization/certificates/${created.id}`), 400, 'certificate_id');
    expect(refusedProject.message).toContain(active.id);
    expect(sandbox.state.certificates.has(created.id)).toBe(true);

    const offProject = await client.post<Toggled>(
      `/organization/projects/${active.id}/certificates/deactivate`,
      { certificate_ids: [created.id] },
      { idempotent: true },
    );
    expect(offProject.object).toBe('organization.project.certificate.deactivation');
    expect(offProject.data[0]).toMatchObject({ object: 'organization.project.certificate', active: false });

    const deleted = await client.delete<{ object: string; id: string }>(`/organization/certificates/${created.id}`);
    expect(deleted).toEqual({ object: 'certificate.deleted', id: created.id });
    expect(sandbox.state.certificates.has(created.id)).toBe(false);
    expect((await failure(client.get(`/organization/certificates/${created.id}`))).status).toBe(404);
    expect((await failure(client.delete(`/organization/certificates/${created.id}`))).status).toBe(404);

    const types = sandbox.state.auditLogs.map((e) => e.type);
    for (const type of ['certificate.created', 'certificate.updated', 'certificates.activated', 'certificates.deactivated', 'certificate.deleted']) {
      expect(types).toContain(type);
    }
    const projectEvent = sandbox.state.auditLogs.find((e) => e.type === 'certificates.activated' && e.project?.id === active.id);
    expect(projectEvent?.payload).toEqual({ certificates: [{ id: created.id, name: 'Round trip (renamed)' }] });
  });

  it('takes a real X.509 certificate and reads its validity dates', async () => {
    const created = await client.post<Cert>('/organization/certificates', { certificate: REAL_CERT });
    expect(created.name).toBeNull();
    expect(created.certificate_details.valid_at).toBe(Date.UTC(2026, 10, 23, 16, 8, 20) / 1000);
    expect(created.certificate_details.expires_at).toBe(Date.UTC(2036, 10, 20, 16, 8, 20) / 1000);
    await client.delete(`/organization/certificates/${created.id}`);
  });
});

describe('POST /organization/certificates validation', () => {
  it.each([
    [{}, 'certificate'],
    [{ certificate: 'not a certificate' }, 'certificate'],
    [{ certificate: '-----BEGIN PRIVATE KEY-----\nMIIEvQ==\n-----END PRIVATE KEY-----' }, 'certificate'],
    [{ certificate: 42 }, 'certificate'],
    [{ certificate: null }, 'certificate'],
    [{ certificate: pem('x'), name: 7 }, 'name'],
    [{ certificate: pem('x'), content: 'extra' }, 'content'],
  ])('rejects %o with 400 on %s and stores nothing', async (body, param) => {
    const before = sandbox.state.certificates.size;
    await expectError(client.post('/organization/certificates', body), 400, param);
    expect(sandbox.state.certificates.size).toBe(before);
  });

  it('allows at most 50 certificates per organization', async () => {
    const { sandbox: own, client: c, close: done } = await sandboxWithClient({ seed: 11 });
    try {
      while (own.state.certificates.size < 50) {
        await c.post('/organization/certificates', { name: `bulk ${own.state.certificates.size}`, certificate: pem(String(own.state.certificates.size)) });
      }
      await expectError(c.post('/organization/certificates', { name: 'one too many', certificate: pem('51') }), 400, null, {
        code: 'certificate_limit_exceeded',
      });
      expect(own.state.certificates.size).toBe(50);
    } finally {
      await done();
    }
  });
});

describe('POST /organization/certificates/{certificate_id} validation', () => {
  it('changes only the name, rejecting other fields, null and non-strings', async () => {
    const record = [...sandbox.state.certificates.values()][1]!;
    const name = record.name;
    for (const [body, param] of [
      [{ certificate: pem('swap') }, 'certificate'],
      [{ name: null }, 'name'],
      [{ name: ['x'] }, 'name'],
    ] as const) {
      await expectError(client.post(`/organization/certificates/${record.id}`, body, { idempotent: true }), 400, param);
      expect(record.name).toBe(name);
    }
    await expectError(client.post('/organization/certificates/cert_missing', { name: 'x' }, { idempotent: true }), 404, 'certificate_id');
  });
});

describe('activate and deactivate', () => {
  const paths = () => [
    '/organization/certificates/activate',
    '/organization/certificates/deactivate',
    `/organization/projects/${active.id}/certificates/activate`,
    `/organization/projects/${active.id}/certificates/deactivate`,
  ];

  it.each([
    [{}, 'missing'],
    [{ certificate_ids: [] }, 'empty'],
    [{ certificate_ids: Array.from({ length: 11 }, (_, i) => `cert_${i}`) }, 'eleven IDs'],
    [{ certificate_ids: 'cert_abc' }, 'a string'],
    [{ certificate_ids: [1, 2] }, 'numbers'],
  ] as Array<[Record<string, unknown>, string]>)('rejects %o (%s) with 400 on certificate_ids everywhere', async (body) => {
    const before = activation(sandbox);
    for (const path of paths()) {
      await expectError(client.post(path, body, { idempotent: true }), 400, 'certificate_ids');
    }
    expect(activation(sandbox)).toEqual(before);
  });

  it('rejects unknown body fields', async () => {
    const id = [...sandbox.state.certificates.keys()][0]!;
    await expectError(client.post('/organization/certificates/activate', { certificate_ids: [id], project_id: active.id }, { idempotent: true }), 400, 'project_id');
  });

  it('accepts exactly 10 IDs', async () => {
    const { sandbox: own, client: c, close: done } = await sandboxWithClient({ seed: 12 });
    try {
      while (own.state.certificates.size < 10) {
        await c.post('/organization/certificates', { certificate: pem(`ten-${own.state.certificates.size}`) });
      }
      const ids = [...own.state.certificates.keys()].slice(0, 10);
      const result = await c.post<Toggled>('/organization/certificates/activate', { certificate_ids: ids }, { idempotent: true });
      expect(result.data.map((d) => d.id)).toEqual(ids);
      expect(result.data.every((d) => d.active)).toBe(true);
    } finally {
      await done();
    }
  });

  it('is atomic: one unknown ID answers 404 and nothing changes', async () => {
    const inactive = [...sandbox.state.certificates.values()].filter((c) => !c.active_in_org).map((c) => c.id);
    expect(inactive.length).toBeGreaterThan(0);
    const before = activation(sandbox);
    for (const path of [paths()[0]!, paths()[2]!]) {
      const error = await expectError(client.post(path, { certificate_ids: [...inactive, 'cert_does_not_exist'] }, { idempotent: true }), 404, 'certificate_ids');
      expect(error.message).toContain('cert_does_not_exist');
    }
    expect(activation(sandbox)).toEqual(before);
  });

  it('is idempotent: repeating an activation changes nothing and logs no second event', async () => {
    const id = [...sandbox.state.certificates.values()].find((c) => !c.active_in_org)!.id;
    const first = await client.post<Toggled>('/organization/certificates/activate', { certificate_ids: [id, id] }, { idempotent: true });
    expect(first.data).toHaveLength(1);
    const events = sandbox.state.auditLogs.length;
    const second = await client.post<Toggled>('/organization/certificates/activate', { certificate_ids: [id] }, { idempotent: true });
    expect(second).toEqual(first);
    expect(sandbox.state.auditLogs.length).toBe(events);
    await client.post('/organization/certificates/deactivate', { certificate_ids: [id] }, { idempotent: true });
    expect(sandbox.state.certificates.get(id)?.active_in_org).toBe(false);
  });

  it('answers 404 for an unknown project', async () => {
    const id = [...sandbox.state.certificates.keys()][0]!;
    for (const action of ['activate', 'deactivate']) {
      await expectError(client.post(`/organization/projects/proj_missing/certificates/${action}`, { certificate_ids: [id] }, { idempotent: true }), 404, 'project_id');
    }
  });

  it('refuses activation in an archived project but allows deactivation there', async () => {
    const cert = [...sandbox.state.certificates.values()].find((c) => !c.active_in_projects.has(archived.id))!;
    await expectError(client.post(`/organization/projects/${archived.id}/certificates/activate`, { certificate_ids: [cert.id] }, { idempotent: true }), 400, 'project_id');
    expect(cert.active_in_projects.has(archived.id)).toBe(false);

    const stuck = [...sandbox.state.certificates.values()].find((c) => c.active_in_projects.has(archived.id));
    expect(stuck).toBeDefined();
    const off = await client.post<Toggled>(`/organization/projects/${archived.id}/certificates/deactivate`, { certificate_ids: [stuck!.id] }, { idempotent: true });
    expect(off.data[0]?.active).toBe(false);
    expect(stuck!.active_in_projects.has(archived.id)).toBe(false);
  });
});

describe('GET /organization/projects/{project_id}/certificates', () => {
  it('lists every certificate with the project-level active flag', async () => {
    const project = [...sandbox.state.projects.values()].find((p) =>
      [...sandbox.state.certificates.values()].some((c) => c.active_in_projects.has(p.id)),
    )!;
    const list = await client.get<CertList>(`/organization/projects/${project.id}/certificates`, { limit: 100 });
    expect(list.object).toBe('list');
    expect(list.data).toHaveLength(sandbox.state.certificates.size);
    expect(list.first_id).toBe(list.data[0]?.id);
    for (const item of list.data) {
      expect(item.object).toBe('organization.project.certificate');
      expect(item.active).toBe(sandbox.state.certificates.get(item.id)?.active_in_projects.has(project.id));
    }
    expect(list.data.some((c) => c.active)).toBe(true);
    const asc = await client.get<CertList>(`/organization/projects/${project.id}/certificates`, { order: 'asc', limit: 2 });
    expect(asc.data.map((c) => c.id)).toEqual([...sandbox.state.certificates.keys()].slice(0, 2));
    expect(asc.has_more).toBe(true);
  });

  it('validates limit and order, and answers 404 for an unknown project', async () => {
    for (const [query, param] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 101 }, 'limit'],
      [{ order: 'up' }, 'order'],
    ] as const) {
      await expectError(client.get(`/organization/projects/${active.id}/certificates`, query), 400, param);
    }
    await expectError(client.get('/organization/projects/proj_missing/certificates'), 404, 'project_id');
  });
});

/** A throwaway self-signed certificate (its private key was discarded), valid 2026-11-23T16:08:20Z to 2036-11-20T16:08:20Z. */
const REAL_CERT = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBoTCCAUegAwIBAgIUafSNUtAGGwwyF/23hfj2VnGEFOAwCgYIKoZIzj0EAwIw',
  'JjEkMCIGA1UEAwwbc2FuZGJveC5ub3J0aHdpbmQtbGFicy50ZXN0MB4XDTI2MTEy',
  'MzE2MDgyMFoXDTM2MTEyMDE2MDgyMFowJjEkMCIGA1UEAwwbc2FuZGJveC5ub3J0',
  'aHdpbmQtbGFicy50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGzsxBJnC',
  'tZn//rxlE2o3nZqQLlhw3VV5BmbZoa5DqukP924vMoA8qTFdYue2WTqUVC0y4nb6',
  '1+Ee6/jmrMLfRqNTMFEwHQYDVR0OBBYEFNCSdC5ANPOGMobOJA4RAf1s4srfMB8G',
  'A1UdIwQYMBaAFNCSdC5ANPOGMobOJA4RAf1s4srfMA8GA1UdEwEB/wQFMAMBAf8w',
  'CgYIKoZIzj0EAwIDSAAwRQIgVoAk+SVdZRCu0EDhSvu0ODRPHztHc3Pq6TvmEjF8',
  'QaUCIQC/Ave/nnsD19YlQAiBlcCnuNSkkEf98fhTWWdK5v12tg==',
  '-----END CERTIFICATE-----',
].join('\n');
