import { Rng } from '../rng.js';
import type { SandboxState } from '../state.js';
import { seedCertificates } from './certificates.js';
import { seedCore } from './core.js';
import { seedExternalKeys } from './external-keys.js';
import { seedExternalStorage } from './external-storage.js';
import { seedKeys } from './keys.js';
import { seedLimits } from './limits.js';
import { seedMembers } from './members.js';
import { seedPolicies } from './policies.js';
import { seedRoles } from './roles.js';
import { isSmall, SIZES, type OrgSize } from '../size.js';
import { seedScale } from './scale.js';
import { seedServiceTiers } from './service-tiers.js';
import { seedUsageAndAudit } from './usage.js';
import { seedWorkloadIdentity } from './workload-identity.js';

/**
 * Builds the simulated organization. Each family draws from its own forked stream, so adding data
 * to one family never changes another's. Order matters only for references: users and projects
 * first, then groups and invites, then roles and every role assignment, then what points at those.
 */
export function seedOrganization(state: SandboxState, size: OrgSize = SIZES.small): void {
  const root = new Rng(state.seed);
  seedCore(state, root.fork('core'));
  seedMembers(state, root.fork('members'));
  seedRoles(state, root.fork('roles'));
  seedKeys(state, root.fork('keys'));
  seedLimits(state, root.fork('limits'));
  seedPolicies(state, root.fork('policies'));
  seedCertificates(state, root.fork('certificates'));
  seedUsageAndAudit(state, root.fork('usage'));
  // New families fork last, so the streams of the families above stay as they were.
  seedWorkloadIdentity(state, root.fork('workload-identity'));
  seedServiceTiers(state);
  // After the audit log, which they add their events to.
  seedExternalKeys(state, root.fork('external-keys'));
  seedExternalStorage(state, root.fork('external-storage'));
  // A larger organization grows the small one, so at every size its first projects are the same.
  if (!isSmall(size)) seedScale(state, root.fork('scale'), size);
}
