import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { archivedProject, objectOf, projectId } from './common.js';

/*
 * A project's service tiers: the default for requests that name no tier (or `auto`), and which
 * optional tiers requests may ask for.
 *
 * The update is destructive, like the other policy writes (model permissions, spend limits): taking
 * a tier out of enabled_tiers makes production requests that ask for it stop being served on it,
 * and a new default changes the latency and price of every request that names no tier. Omitted
 * fields keep their values, so it is idempotent. The preview shows the settings as they are.
 */

const settings = objectOf('project.service_tier_settings', {
  default: z.string().optional(),
  enabled_tiers: z.union([z.string(), z.array(z.string())]).optional(),
});

const PATH = '/organization/projects/{project_id}/service_tier_settings';

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_service_tier_settings_retrieve',
    title: 'Get project service tiers',
    description: "Get a project's default service tier and allowed optional tiers.",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: PATH,
    input: { path: { project_id: projectId() } },
    output: settings,
  }),
  endpoint({
    name: 'projects_service_tier_settings_update',
    title: 'Set project service tiers',
    description: "Set a project's default and/or allowed tiers; a removed tier stops serving its requests.",
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: PATH,
    input: {
      path: { project_id: projectId() },
      body: {
        default: z.enum(['standard', 'fast', 'scale']).optional().describe('For requests naming none or auto'),
        enabled_tiers: z
          .union([z.literal('all'), z.array(z.enum(['flex', 'fast', 'ultrafast']))])
          .optional()
          .describe('"all" (future tiers too) or a list; [] = Standard only'),
      },
    },
    output: settings,
    target: PATH,
    preview: { refuseWhen: [archivedProject], alone: "Only this project's tier settings; keys and members are not changed." },
  }),
];

export default tools;
