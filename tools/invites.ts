import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, deleted, id, listOf, objectOf, pageSize } from './common.js';

/** Invitations to join the organization. */

const invite = objectOf('organization.invite', {
  email: z.string().optional(),
  role: z.string().optional(),
  status: z.string().optional(),
  created_at: z.number().optional(),
  expires_at: z.number().nullable().optional(),
  accepted_at: z.number().nullable().optional(),
  projects: z.array(z.object({ id: z.string(), role: z.string() }).passthrough()).optional(),
});

const inviteId = () => id('Invite ID (invite-…)');

const tools: EndpointTool[] = [
  endpoint({
    name: 'invites_list',
    title: 'List invites',
    description: 'List org invites: pending, accepted or expired.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/invites',
    input: {
      query: {
        limit: pageSize(1, 100),
        after: after(),
      },
    },
    output: listOf(invite),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'invites_create',
    title: 'Invite user',
    description: 'Email an invite to join the org.',
    toolset: 'members',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/invites',
    input: {
      body: {
        email: z.string().min(1),
        role: z.enum(['reader', 'owner']),
        projects: z
          .array(
            z.object({
              id: z.string().min(1),
              role: z.enum(['member', 'owner']),
            }),
          )
          .optional()
          .describe('Joined on acceptance; omitted = default project, [] = none'),
      },
    },
    output: invite,
  }),
  endpoint({
    name: 'invites_retrieve',
    title: 'Get invite',
    description: 'Get an org invite.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/invites/{invite_id}',
    input: { path: { invite_id: inviteId() } },
    output: invite,
  }),
  endpoint({
    name: 'invites_delete',
    title: 'Delete invite',
    description: 'Revoke a pending invite.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/invites/{invite_id}',
    input: { path: { invite_id: inviteId() } },
    output: deleted('organization.invite.deleted'),
    target: '/organization/invites/{invite_id}',
    preview: { alone: 'Only the invite: nobody is added to the organization or to the projects it names.' },
  }),
];

export default tools;
