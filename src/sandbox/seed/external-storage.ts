import type { Rng } from '../rng.js';
import type { ExternalKeyType, ExternalStorageRecord, ExternalStorageStatus, SandboxState } from '../state.js';
import { placeProvider } from '../storage-providers.js';
import { auditSeeded } from './seeded-audit.js';

const DAY = 86_400;

interface SeedStorage {
  project: string;
  /** Days before the anchor that it was connected. */
  connected: number;
  status: ExternalStorageStatus;
  /** The provider fields as the customer registered them. */
  provider: Record<string, string> & { type: ExternalKeyType };
}

/** One per provider, in four projects: healthy, degraded and unhealthy ones for reviews to find. */
const STORAGE: SeedStorage[] = [
  {
    project: 'Atlas',
    connected: 150,
    status: 'validated',
    provider: { type: 'aws', bucket: 'northwind-atlas-conversations', role_arn: 'arn:aws:iam::480913275521:role/openai-storage-atlas' },
  },
  {
    project: 'Data Platform',
    connected: 120,
    status: 'validated',
    provider: {
      type: 'gcp',
      bucket: 'northwind-dp-eu-archive',
      workload_identity_pool_id: 'openai-pool',
      workload_identity_project_number: '718204936152',
      workload_identity_provider_id: 'openai-oidc',
    },
  },
  {
    project: 'Support Assistant',
    connected: 60,
    status: 'degraded',
    provider: {
      type: 'azure',
      account_name: 'northwindsupport',
      container: 'transcripts',
      resource_group: 'support-prod',
      subscription_id: '5d1f8c3a-92b4-4e67-a0d5-7c3e9b1f2a84',
      tenant_id: 'b6f2d9a4-3c1e-4f8a-9d27-5e0a1c7b8f43',
    },
  },
  {
    project: 'Research',
    connected: 20,
    status: 'unhealthy',
    provider: { type: 'oci', bucket: 'research-runs', region: 'us-phoenix-1', tenancy_ocid: 'ocid1.tenancy.oc1..aaaaaaaa5nfwo53cezleyy6t73v6rn6knhlhc' },
  },
];

export function seedExternalStorage(state: SandboxState, rng: Rng): void {
  const byName = new Map([...state.projects.values()].map((p) => [p.name, p] as const));
  for (const seed of STORAGE) {
    const project = byName.get(seed.project);
    if (!project) continue;
    const { provider, geography } = placeProvider(seed.provider, project);
    const record: ExternalStorageRecord = {
      id: `extstorage_${rng.token(24)}`,
      project_id: project.id,
      created_at: state.anchor - seed.connected * DAY + rng.int(9 * 3_600, 18 * 3_600),
      geography,
      provider,
      status: seed.status,
    };
    state.externalStorage.set(record.id, record);
    auditSeeded(state, rng, 'external_storage.registered', record.created_at, { id: record.id, data: { geography: record.geography, provider: record.provider } });
  }
}
