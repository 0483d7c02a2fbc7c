import { z } from 'zod';
import { endpoint, type EndpointTool } from '../src/server/endpoint.js';
import { after, deleted, id, listOf, objectOf } from './common.js';

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
    description: 'List organization invites with status pending, accepted or expired.',
    toolset: 'members',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/invites',
    input: {
      query: {
        limit: z.number().int().min(1).max(100).optional().describe('Page size 1-100, default 20'),
        after: after(),
      },
    },
    output: listOf(invite),
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'invites_create',
    title: 'Invite user',
    description: 'Email an invite to join the org; refused if already a member or already invited.',
    toolset: 'members',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: '/organization/invites',
    input: {
      body: {
        email: z.string().min(1).describe('Email address to invite'),
        role: z.enum(['reader', 'owner']).describe('Org role once accepted'),
        projects: z
          .array(
            z.object({
              id: z.string().min(1).describe('Project ID'),
              role: z.enum(['member', 'owner']).describe('Project role'),
            }),
          )
          .optional()
          .describe('Projects joined on acceptance; omitted = default project, [] = none'),
      },
    },
    output: invite,
  }),
  endpoint({
    name: 'invites_retrieve',
    title: 'Get invite',
    description: 'Get one organization invite by ID.',
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
    description: 'Revoke an invite. Accepted invites cannot be deleted.',
    toolset: 'members',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: '/organization/invites/{invite_id}',
    input: { path: { invite_id: inviteId() } },
    output: deleted('organization.invite.deleted'),
    target: '/organization/invites/{invite_id}',
  }),
];

export default tools;
