import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, id, listOf, objectOf, projectId, pageSize } from './common.js';

/*
 * Organization certificates (mTLS) and their activation in the organization and in projects.
 * The `object` string of a certificate depends on where it is seen: `certificate` on its own,
 * `organization.certificate` in org lists, `organization.project.certificate` in project lists.
 */

const certificateId = () => id('Certificate ID (cert_…)');

const certificateIds = () =>
  z.array(z.string().min(1)).min(1).max(10);

/** Certificate lists sort newest first unless told otherwise. */
const newestFirst = () => z.enum(['asc', 'desc']).optional().describe('Default desc');

const details = z
  .object({ valid_at: z.number().optional(), expires_at: z.number().optional(), content: z.string().optional() })
  .passthrough();

const certificate = (object: string) =>
  objectOf(object, {
    name: z.string().nullable().optional(),
    created_at: z.number().optional(),
    certificate_details: details.optional(),
    active: z.boolean().optional(),
    // Added by the server from certificate_details.expires_at (see `expiry`).
    expires: z.string().optional(),
    expires_in_days: z.number().optional(),
    expiring_soon: z.boolean().optional(),
  });

const toggled = (object: string, item: string) =>
  z.object({ object: z.literal(object).or(z.string()).optional(), data: z.array(certificate(item)) }).passthrough();

const tools: EndpointTool[] = [
  endpoint({
    name: 'certificates_list',
    title: 'List certificates',
    description: 'List org certificates with expiry and org-wide activation; project activations: projects_certificates_list.',
    toolset: 'certificates',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/certificates',
    input: { query: { limit: pageSize(1, 100), after: after(), order: newestFirst() } },
    output: listOf(certificate('organization.certificate')),
    pagination: 'cursor_id',
    expiry: 'certificate_details.expires_at',
  }),
  endpoint({
    name: 'certificates_create',
    title: 'Upload certificate',
    description: 'Upload a PEM certificate; it starts inactive.',
    toolset: 'certificates',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/certificates',
    input: {
      body: {
        name: z.string().optional(),
        certificate: z.string().min(1).describe('PEM text'),
      },
    },
    output: certificate('certificate'),
  }),
  endpoint({
    name: 'certificates_activate',
    title: 'Activate certificates',
    description: 'Activate certificates org-wide.',
    toolset: 'certificates',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/certificates/activate',
    input: { body: { certificate_ids: certificateIds() } },
    output: toggled('organization.certificate.activation', 'organization.certificate'),
  }),
  endpoint({
    name: 'certificates_deactivate',
    title: 'Deactivate certificates',
    description: 'Deactivate certificates org-wide.',
    toolset: 'certificates',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: '/organization/certificates/deactivate',
    input: { body: { certificate_ids: certificateIds() } },
    output: toggled('organization.certificate.deactivation', 'organization.certificate'),
    preview: { alone: "Only the organization-wide activation: a project's own activation of the same certificate stays." },
  }),
  endpoint({
    name: 'certificates_retrieve',
    title: 'Get certificate',
    description: 'Get a certificate; include content for its PEM.',
    toolset: 'certificates',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/certificates/{certificate_id}',
    input: {
      path: { certificate_id: certificateId() },
      query: { include: z.array(z.enum(['content'])).optional() },
    },
    output: certificate('certificate'),
    expiry: 'certificate_details.expires_at',
  }),
  endpoint({
    name: 'certificates_update',
    title: 'Rename certificate',
    description: 'Rename a certificate.',
    toolset: 'certificates',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/certificates/{certificate_id}',
    input: {
      path: { certificate_id: certificateId() },
      body: { name: z.string().optional() },
    },
    output: certificate('certificate'),
  }),
  endpoint({
    name: 'certificates_delete',
    title: 'Delete certificate',
    description: 'Delete a certificate that is inactive everywhere.',
    toolset: 'certificates',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/certificates/{certificate_id}',
    input: { path: { certificate_id: certificateId() } },
    output: objectOf('certificate.deleted'),
    target: '/organization/certificates/{certificate_id}',
    preview: {
      refuseWhen: [{ get: '/organization/certificates/{certificate_id}', field: 'active', equals: 'true', reason: 'the certificate is active in the organization; the API deletes only certificates inactive everywhere. Deactivate it first (certificates_deactivate).' }],
      alone: 'Only the certificate: the API refuses to delete one still active in any project.',
    },
  }),
  endpoint({
    name: 'projects_certificates_list',
    title: 'List project certificates',
    description: 'List org certificates and whether each is active in a project.',
    toolset: 'certificates',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/certificates',
    input: {
      path: { project_id: projectId() },
      query: { limit: pageSize(1, 100), after: after(), order: newestFirst() },
    },
    output: listOf(certificate('organization.project.certificate')),
    pagination: 'cursor_id',
    expiry: 'certificate_details.expires_at',
  }),
  endpoint({
    name: 'projects_certificates_activate',
    title: 'Activate project certificates',
    description: 'Activate certificates in a project.',
    toolset: 'certificates',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/certificates/activate',
    input: { path: { project_id: projectId() }, body: { certificate_ids: certificateIds() } },
    output: toggled('organization.project.certificate.activation', 'organization.project.certificate'),
  }),
  endpoint({
    name: 'projects_certificates_deactivate',
    title: 'Deactivate project certificates',
    description: 'Deactivate certificates in a project.',
    toolset: 'certificates',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/certificates/deactivate',
    input: { path: { project_id: projectId() }, body: { certificate_ids: certificateIds() } },
    output: toggled('organization.project.certificate.deactivation', 'organization.project.certificate'),
    preview: { alone: "Only this project's activation: the organization-wide one and other projects' stay." },
  }),
];

export default tools;
