import { invalid } from '../errors.js';
import { requireActiveProject, requireProject } from '../lookup.js';
import type { Body } from '../params.js';
import type { Route } from '../router.js';
import type { OptionalServiceTier, SandboxState, ServiceTier, ServiceTierSettingsRecord } from '../state.js';

/*
 * A project's service tiers: the default tier for requests that name none (or `auto`), and which
 * optional tiers requests may ask for. An update is atomic and changes only the fields supplied;
 * archived projects cannot be changed.
 */

export const SERVICE_TIERS = ['standard', 'fast', 'scale'] as const satisfies readonly ServiceTier[];
export const OPTIONAL_SERVICE_TIERS = ['flex', 'fast', 'ultrafast'] as const satisfies readonly OptionalServiceTier[];

/** What a project has until its settings are changed. */
const DEFAULT_SETTINGS: ServiceTierSettingsRecord = { default: 'standard', enabled_tiers: 'all' };

export function serviceTierSettings(state: SandboxState, projectId: string): ServiceTierSettingsRecord {
  return state.serviceTierSettings.get(projectId) ?? DEFAULT_SETTINGS;
}

function settingsObject(settings: ServiceTierSettingsRecord) {
  return {
    object: 'project.service_tier_settings' as const,
    default: settings.default,
    enabled_tiers: settings.enabled_tiers === 'all' ? ('all' as const) : [...settings.enabled_tiers],
  };
}

/** `"all"` or a list of optional tiers (possibly empty: Standard only). Duplicates collapse. */
function readEnabledTiers(body: Body): ServiceTierSettingsRecord['enabled_tiers'] | undefined {
  const raw = body.raw('enabled_tiers');
  if (raw === undefined) return undefined;
  if (raw === 'all') return 'all';
  if (!Array.isArray(raw)) {
    throw invalid('enabled_tiers', `Invalid 'enabled_tiers': expected "all" or an array of ${OPTIONAL_SERVICE_TIERS.map((t) => `'${t}'`).join(', ')}.`);
  }
  for (const tier of raw) {
    if (!(OPTIONAL_SERVICE_TIERS as readonly unknown[]).includes(tier)) {
      throw invalid('enabled_tiers', `Invalid 'enabled_tiers': ${JSON.stringify(tier)} is not one of ${OPTIONAL_SERVICE_TIERS.map((t) => `'${t}'`).join(', ')}.`);
    }
  }
  const chosen = new Set(raw as OptionalServiceTier[]);
  return OPTIONAL_SERVICE_TIERS.filter((tier) => chosen.has(tier));
}

const PATH = '/organization/projects/{project_id}/service_tier_settings';

export const routes: Route[] = [
  {
    method: 'GET',
    path: PATH,
    handle: ({ params, state }) => {
      const project = requireProject(state, params.project_id as string);
      return settingsObject(serviceTierSettings(state, project.id));
    },
  },
  {
    method: 'POST',
    path: PATH,
    handle: ({ params, body, state }) => {
      const project = requireProject(state, params.project_id as string);
      body.only(['default', 'enabled_tiers']);
      const tier = body.enum('default', SERVICE_TIERS);
      const enabled = readEnabledTiers(body);
      if (tier === undefined && enabled === undefined) {
        throw invalid('default', 'Nothing to update: provide default, enabled_tiers or both.');
      }
      requireActiveProject(state, project.id);
      const current = serviceTierSettings(state, project.id);
      const next: ServiceTierSettingsRecord = { default: tier ?? current.default, enabled_tiers: enabled ?? current.enabled_tiers };
      state.serviceTierSettings.set(project.id, next);
      return settingsObject(next);
    },
  },
];
