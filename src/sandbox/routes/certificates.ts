import { X509Certificate } from 'node:crypto';
import { invalid, notFound } from '../errors.js';
import { requireActiveProject, requireProject } from '../lookup.js';
import { cursorIdPage } from '../paginate.js';
import type { QueryParams } from '../params.js';
import type { Route, RouteContext } from '../router.js';
import type { CertificateRecord, ProjectRecord, SandboxState } from '../state.js';

/*
 * Certificates are uploaded once to the organization and then switched on or off in the
 * organization and in each project. A certificate's `object` string depends on where it is seen.
 */

/** Organizations can hold at most this many uploaded certificates. */
export const MAX_CERTIFICATES = 50;
/** Activate and deactivate take 1 to this many IDs per call. */
export const MAX_TOGGLE_IDS = 10;

const PEM = /-----BEGIN CERTIFICATE-----\s*[A-Za-z0-9+/=\s]+?\s*-----END CERTIFICATE-----/;
const LIST_LIMIT = { default: 20, min: 1, max: 100 };
const DAY = 86_400;

type Scope = { kind: 'organization' } | { kind: 'project'; project: ProjectRecord };

function details(cert: CertificateRecord, withContent = false) {
  return {
    valid_at: cert.valid_at,
    expires_at: cert.expires_at,
    ...(withContent ? { content: cert.content } : {}),
  };
}

/** The `certificate` object of create, retrieve and update: no `active` flag. */
export function certificateObject(cert: CertificateRecord, withContent = false) {
  return {
    object: 'certificate' as const,
    id: cert.id,
    name: cert.name,
    created_at: cert.created_at,
    certificate_details: details(cert, withContent),
  };
}

/** The certificate as listed or toggled in a scope, with whether it is active there. */
function scopedObject(cert: CertificateRecord, scope: Scope) {
  const org = scope.kind === 'organization';
  return {
    object: org ? ('organization.certificate' as const) : ('organization.project.certificate' as const),
    id: cert.id,
    name: cert.name,
    created_at: cert.created_at,
    certificate_details: details(cert),
    active: org ? cert.active_in_org : cert.active_in_projects.has(scope.project.id),
  };
}

function requireCertificate(state: SandboxState, id: string, param = 'certificate_id'): CertificateRecord {
  const cert = state.certificates.get(id);
  if (!cert) throw notFound('certificate', id, param);
  return cert;
}

/** Lists sort newest first by default; `items` come in creation (ascending) order. */
function listPage(items: CertificateRecord[], q: QueryParams, scope: Scope) {
  const order = q.enum('order', ['asc', 'desc'] as const, 'desc');
  const ordered = order === 'desc' ? [...items].reverse() : items;
  const page = cursorIdPage(ordered, q, { limit: LIST_LIMIT });
  return { ...page, data: page.data.map((cert) => scopedObject(cert, scope)) };
}

/** Reads when the certificate becomes valid and expires; real PEM certificates give their own dates. */
function validity(content: string, now: number): { valid_at: number; expires_at: number } {
  try {
    const x509 = new X509Certificate(content);
    const validAt = Math.floor(Date.parse(x509.validFrom) / 1000);
    const expiresAt = Math.floor(Date.parse(x509.validTo) / 1000);
    if (Number.isFinite(validAt) && Number.isFinite(expiresAt)) return { valid_at: validAt, expires_at: expiresAt };
  } catch {
    // PEM-shaped but not parseable: the sandbox accepts it and assumes a one-year certificate.
  }
  return { valid_at: now, expires_at: now + 365 * DAY };
}

/**
 * Activates or deactivates 1–10 certificates in a scope, atomically: every ID is checked before
 * anything changes, and repeating the call changes nothing more.
 */
function toggle(ctx: RouteContext, active: boolean) {
  const { state, body, params } = ctx;
  let scope: Scope = { kind: 'organization' };
  if (params.project_id !== undefined) {
    // A project that is archived cannot take on new certificates, but can still drop them.
    const project = active ? requireActiveProject(state, params.project_id) : requireProject(state, params.project_id);
    scope = { kind: 'project', project };
  }
  body.only(['certificate_ids']);
  const ids = body.stringArray('certificate_ids', { required: true, minItems: 1, maxItems: MAX_TOGGLE_IDS }) as string[];
  if (ids.some((id) => id.trim() === '')) throw invalid('certificate_ids', "Invalid 'certificate_ids': IDs must be non-empty strings.");
  const certs = [...new Set(ids)].map((id) => requireCertificate(state, id, 'certificate_ids'));

  const changed: CertificateRecord[] = [];
  for (const cert of certs) {
    if (scope.kind === 'organization') {
      if (cert.active_in_org !== active) changed.push(cert);
      cert.active_in_org = active;
    } else {
      if (cert.active_in_projects.has(scope.project.id) !== active) changed.push(cert);
      if (active) cert.active_in_projects.add(scope.project.id);
      else cert.active_in_projects.delete(scope.project.id);
    }
  }
  if (changed.length > 0) {
    state.audit(
      active ? 'certificates.activated' : 'certificates.deactivated',
      { certificates: changed.map((cert) => ({ id: cert.id, name: cert.name ?? undefined })) },
      scope.kind === 'project' ? { id: scope.project.id, name: scope.project.name } : undefined,
    );
  }

  const prefix = scope.kind === 'organization' ? 'organization.certificate' : 'organization.project.certificate';
  return {
    object: `${prefix}.${active ? 'activation' : 'deactivation'}`,
    data: certs.map((cert) => scopedObject(cert, scope)),
  };
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/organization/certificates',
    handle: ({ state, query }) => listPage([...state.certificates.values()], query, { kind: 'organization' }),
  },
  {
    method: 'POST',
    path: '/organization/certificates',
    handle: ({ state, body }) => {
      body.only(['name', 'certificate']);
      const content = body.string('certificate', { required: true }) as string;
      const name = body.string('name');
      if (!PEM.test(content)) {
        throw invalid(
          'certificate',
          "Invalid 'certificate': expected a PEM certificate between '-----BEGIN CERTIFICATE-----' and '-----END CERTIFICATE-----'.",
          'invalid_certificate',
        );
      }
      if (state.certificates.size >= MAX_CERTIFICATES) {
        throw invalid(
          null,
          `This organization already has ${MAX_CERTIFICATES} certificates, the maximum. Delete an unused certificate first.`,
          'certificate_limit_exceeded',
        );
      }
      const now = state.now();
      const cert: CertificateRecord = {
        id: state.newId('cert'),
        name: name ?? null,
        created_at: now,
        content,
        ...validity(content, now),
        active_in_org: false,
        active_in_projects: new Set(),
      };
      state.certificates.set(cert.id, cert);
      state.audit('certificate.created', { id: cert.id, name: cert.name ?? undefined });
      return certificateObject(cert);
    },
  },
  {
    method: 'POST',
    path: '/organization/certificates/activate',
    handle: (ctx) => toggle(ctx, true),
  },
  {
    method: 'POST',
    path: '/organization/certificates/deactivate',
    handle: (ctx) => toggle(ctx, false),
  },
  {
    method: 'GET',
    path: '/organization/certificates/{certificate_id}',
    handle: ({ state, params, query }) => {
      const cert = requireCertificate(state, params.certificate_id as string);
      const include = query.enumArray('include', ['content'] as const) ?? [];
      return certificateObject(cert, include.includes('content'));
    },
  },
  {
    method: 'POST',
    path: '/organization/certificates/{certificate_id}',
    handle: ({ state, params, body }) => {
      const cert = requireCertificate(state, params.certificate_id as string);
      body.only(['name']);
      const name = body.string('name');
      if (name !== undefined && name !== cert.name) {
        cert.name = name;
        state.audit('certificate.updated', { id: cert.id, name });
      }
      return certificateObject(cert);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/certificates/{certificate_id}',
    handle: ({ state, params }) => {
      const cert = requireCertificate(state, params.certificate_id as string);
      const where: string[] = [];
      if (cert.active_in_org) where.push('the organization');
      if (cert.active_in_projects.size > 0) where.push(`project(s) ${[...cert.active_in_projects].join(', ')}`);
      if (where.length > 0) {
        throw invalid(
          'certificate_id',
          `Certificate '${cert.id}' is still active in ${where.join(' and ')}. Deactivate it in the organization and every project before deleting it.`,
          'certificate_active',
        );
      }
      state.certificates.delete(cert.id);
      state.audit('certificate.deleted', { id: cert.id, name: cert.name ?? undefined, certificate: cert.content });
      return { object: 'certificate.deleted' as const, id: cert.id };
    },
  },
  {
    method: 'GET',
    path: '/organization/projects/{project_id}/certificates',
    handle: ({ state, params, query }) => {
      const project = requireProject(state, params.project_id as string);
      return listPage([...state.certificates.values()], query, { kind: 'project', project });
    },
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/certificates/activate',
    handle: (ctx) => toggle(ctx, true),
  },
  {
    method: 'POST',
    path: '/organization/projects/{project_id}/certificates/deactivate',
    handle: (ctx) => toggle(ctx, false),
  },
];
