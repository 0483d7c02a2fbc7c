import { invalid } from './errors.js';
import type { ExternalKeyType, ExternalStorageRecord, ProjectRecord } from './state.js';

/*
 * Where a customer-managed bucket sits and what OpenAI derives from it: shared by the route that
 * configures external storage and the seed that plants configurations, so the seed states the
 * same facts the route would answer.
 */

/** Where OpenAI places a bucket whose region the request does not name, by geography. */
const DEFAULT_REGIONS: Readonly<Record<string, Readonly<Record<'aws' | 'azure' | 'gcp', string>>>> = {
  us: { aws: 'us-east-1', azure: 'eastus', gcp: 'us-central1' },
  eu: { aws: 'eu-west-1', azure: 'westeurope', gcp: 'europe-west4' },
};

const IAM_ROLE = /^arn:aws:iam::(\d{12}):role\/[\w+=,.@/-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OCI_REGION = /^([a-z]{2})-[a-z]+-\d+$/;

export function geographyOfProject(project: ProjectRecord): string {
  const prefix = project.residency?.split('_')[0]?.toLowerCase();
  return prefix && prefix !== 'global' ? prefix : 'us';
}

/**
 * The provider as the API returns it (what the customer gave plus what OpenAI derives) and the
 * geography. Throws a 400 naming `provider.<field>` for a value OpenAI could not use.
 */
export function placeProvider(given: Record<string, string> & { type: ExternalKeyType }, project: ProjectRecord): {
  provider: ExternalStorageRecord['provider'];
  geography: string;
} {
  const bad = (field: string, message: string) => invalid(`provider.${field}`, `Invalid 'provider.${field}': ${message}`);
  let geography = geographyOfProject(project);
  const region = given.type === 'oci' ? given.region : DEFAULT_REGIONS[geography]?.[given.type];
  switch (given.type) {
    case 'aws': {
      const account = IAM_ROLE.exec(given.role_arn ?? '')?.[1];
      if (!account) throw bad('role_arn', `expected an IAM role ARN like arn:aws:iam::123456789012:role/openai-storage, got '${given.role_arn}'.`);
      return { geography, provider: { type: 'aws', bucket: given.bucket as string, role_arn: given.role_arn as string, account_id: account, external_id: project.id, region: region as string } };
    }
    case 'azure':
      for (const field of ['subscription_id', 'tenant_id']) {
        if (!UUID.test(given[field] ?? '')) throw bad(field, `expected a UUID, got '${given[field]}'.`);
      }
      return { geography, provider: { ...given, type: 'azure', region: region as string } };
    case 'gcp':
      if (!/^\d+$/.test(given.workload_identity_project_number ?? '')) {
        throw bad('workload_identity_project_number', `expected the numeric GCP project number, got '${given.workload_identity_project_number}'.`);
      }
      return { geography, provider: { ...given, type: 'gcp', audience: project.id, region: region as string } };
    case 'oci': {
      if (!(given.tenancy_ocid ?? '').startsWith('ocid1.tenancy.')) throw bad('tenancy_ocid', `expected a tenancy OCID (ocid1.tenancy.…), got '${given.tenancy_ocid}'.`);
      // An OCI region's leading segment is its geography: us-ashburn-1 is in us, eu-frankfurt-1 in eu.
      const match = OCI_REGION.exec(given.region ?? '');
      if (!match) throw bad('region', `expected an OCI region identifier like us-ashburn-1, got '${given.region}'.`);
      geography = match[1] as string;
      return { geography, provider: { ...given, type: 'oci' } };
    }
  }
}
