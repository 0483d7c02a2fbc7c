import type { Rng } from '../rng.js';
import type { SandboxState } from '../state.js';

/** Project hard spend limits, in cents per month, by project name. */
const PROJECT_SPEND_LIMITS: Array<[string, number[]]> = [
  ['Support Assistant', [250_000, 300_000, 400_000]],
  ['Marketing Copy', [50_000, 75_000, 100_000]],
  ['Research', [150_000, 200_000]],
];

/** Projects that override the organization's data-retention control. */
const RETENTION_OVERRIDES: Array<[string, string]> = [
  ['Data Platform', 'enhanced_zero_data_retention'],
  ['Billing', 'zero_data_retention'],
  ['Research', 'none'],
];

export function seedPolicies(state: SandboxState, rng: Rng): void {
  const byName = new Map([...state.projects.values()].map((project) => [project.name, project.id] as const));

  state.orgSpendLimit = {
    threshold_amount: rng.pick([2_500_000, 5_000_000, 7_500_000]),
    currency: 'USD',
    interval: 'month',
    enforcement: 'inactive',
  };
  for (const [name, amounts] of PROJECT_SPEND_LIMITS) {
    const id = byName.get(name);
    if (id === undefined) continue;
    state.projectSpendLimits.set(id, { threshold_amount: rng.pick(amounts), currency: 'USD', interval: 'month', enforcement: 'inactive' });
  }

  state.orgDataRetention = rng.pick(['modified_abuse_monitoring', 'zero_data_retention']);
  for (const [name, type] of RETENTION_OVERRIDES) {
    const id = byName.get(name);
    if (id !== undefined) state.projectDataRetention.set(id, type);
  }
}
