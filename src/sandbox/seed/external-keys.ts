import type { Rng } from '../rng.js';
import type { ExternalKeyPurpose, ExternalKeyRecord, ExternalKeyType, SandboxState } from '../state.js';
import { auditSeeded } from './seeded-audit.js';

const DAY = 86_400;

interface SeedExternalKey {
  name: string;
  type: ExternalKeyType;
  purpose: ExternalKeyPurpose;
  /** Days before the anchor that it was registered. */
  registered: number;
  /** Names of the projects that encrypt with it. */
  projects: string[];
  /** Whether a validation reaches the key now. */
  reachable: boolean;
  /** Provider fields. `{org}` is the organization ID, `{project:Name}` that project's ID. */
  config: Record<string, string>;
}

/**
 * One key per provider: two in use by projects (so removing them is refused), a PSP decryption key
 * in no project, and an old OCI key whose vault no longer answers (so validation reports it).
 */
const EXTERNAL_KEYS: SeedExternalKey[] = [
  {
    name: 'Legacy OCI vault key',
    type: 'oci',
    purpose: 'ekm',
    registered: 380,
    projects: [],
    reachable: false,
    config: {
      key_ocid: 'ocid1.key.oc1.iad.ejsppeqvaafyi.abuwcljt7xq2m4nqhpvfgbku3ro5lz6ydse1',
      region: 'us-ashburn-1',
      vault_ocid: 'ocid1.vault.oc1.iad.ejsppeqvaafyi.abuwcljrk3t7vqy2xbmn5ole4zcpfhsu8',
    },
  },
  {
    name: 'Billing EKM (AWS KMS)',
    type: 'aws',
    purpose: 'ekm',
    registered: 300,
    projects: ['Billing'],
    reachable: true,
    config: {
      external_id: '{org}',
      kms_arn: 'arn:aws:kms:us-east-1:480913275521:key/3f6b1d2e-8c4a-4e7b-9a51-2d7e0c9b4f18',
      role_arn: 'arn:aws:iam::480913275521:role/openai-ekm-billing',
    },
  },
  {
    name: 'Data Platform EU key (Cloud KMS)',
    type: 'gcp',
    purpose: 'ekm',
    registered: 200,
    projects: ['Data Platform'],
    reachable: true,
    config: {
      audience: '{project:Data Platform}',
      kms_key_location: 'europe-west4',
      kms_key_name: 'openai-data-platform',
      kms_key_ring_name: 'northwind-eu',
      kms_project_id: 'northwind-data-eu',
      workload_identity_pool_id: 'openai-pool',
      workload_identity_project_number: '718204936152',
      workload_identity_provider_id: 'openai-oidc',
    },
  },
  {
    name: 'Payments PSP decryption (Key Vault)',
    type: 'azure',
    purpose: 'psp_decryption',
    registered: 45,
    projects: [],
    reachable: true,
    config: {
      key_name: 'psp-decrypt',
      key_version: '9f3c2a7b0e514d86a1c4b7e2d9f06a35',
      tenant_id: 'b6f2d9a4-3c1e-4f8a-9d27-5e0a1c7b8f43',
      vault_uri: 'https://northwind-payments.vault.azure.net/',
    },
  },
];

export function seedExternalKeys(state: SandboxState, rng: Rng): void {
  const byName = new Map([...state.projects.values()].map((p) => [p.name, p] as const));
  const fill = (value: string) =>
    value === '{org}' ? state.organizationId : value.replace(/^\{project:(.+)\}$/, (_m, name: string) => byName.get(name)?.id ?? state.organizationId);
  for (const seed of EXTERNAL_KEYS) {
    const key: ExternalKeyRecord = {
      id: `ekm_${rng.token(24)}`,
      name: seed.name,
      type: seed.type,
      purpose: seed.purpose,
      created_at: state.anchor - seed.registered * DAY + rng.int(9 * 3_600, 18 * 3_600),
      config: Object.fromEntries(Object.entries(seed.config).map(([k, v]) => [k, fill(v)])),
      reachable: seed.reachable,
    };
    state.externalKeys.set(key.id, key);
    for (const name of seed.projects) {
      const project = byName.get(name);
      if (project) project.external_key_id = key.id;
    }
    auditSeeded(state, rng, 'external_key.registered', key.created_at, { id: key.id, data: { name: key.name, type: key.type, purpose: key.purpose } });
  }
}
