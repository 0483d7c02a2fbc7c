import type { SandboxState, ServiceTierSettingsRecord } from '../state.js';

/*
 * Service tier settings per project, by project name. Together they cover the shapes the API
 * allows: every tier (`all`), a chosen few, Standard only (`[]`), and defaults other than Standard.
 */
const SETTINGS: ReadonlyArray<readonly [string, ServiceTierSettingsRecord]> = [
  ['Default project', { default: 'standard', enabled_tiers: 'all' }],
  ['Atlas', { default: 'standard', enabled_tiers: ['flex'] }],
  ['Billing', { default: 'standard', enabled_tiers: [] }],
  ['Support Assistant', { default: 'fast', enabled_tiers: ['fast', 'ultrafast'] }],
  ['Data Platform', { default: 'standard', enabled_tiers: ['flex'] }],
  ['Research', { default: 'standard', enabled_tiers: 'all' }],
  ['Marketing Copy', { default: 'scale', enabled_tiers: ['flex', 'fast'] }],
  ['Legacy Search', { default: 'standard', enabled_tiers: [] }],
];

export function seedServiceTiers(state: SandboxState): void {
  const byName = new Map([...state.projects.values()].map((p) => [p.name, p.id] as const));
  for (const [name, settings] of SETTINGS) {
    const id = byName.get(name);
    if (id === undefined) continue;
    state.serviceTierSettings.set(id, { default: settings.default, enabled_tiers: settings.enabled_tiers === 'all' ? 'all' : [...settings.enabled_tiers] });
  }
}
