import { Rng } from './rng.js';

/*
 * The simulated organization. Records are stored close to the API's own object shapes so that
 * handlers mostly return them as they are; relations are kept as maps keyed by the parent's ID.
 * Every map keeps insertion order, which is creation order, which is the API's default list order.
 */

export type OrgRole = 'owner' | 'reader';
export type ProjectRole = 'owner' | 'member';

export interface ProjectRecord {
  id: string;
  object: 'organization.project';
  name: string;
  created_at: number;
  archived_at: number | null;
  status: 'active' | 'archived';
  external_key_id: string | null;
  residency: string | null;
}

export interface UserRecord {
  object: 'organization.user';
  id: string;
  name: string;
  email: string;
  role: OrgRole;
  added_at: number;
  /** Metadata set through users.update; absent until set. */
  technical_level?: string | null;
  developer_persona?: string | null;
}

export interface ProjectMemberRecord {
  user_id: string;
  role: ProjectRole;
  added_at: number;
}

export interface ServiceAccountRecord {
  object: 'organization.project.service_account';
  id: string;
  name: string;
  /** `none`: created with `create_service_account_only`, without project membership. */
  role: 'owner' | 'member' | 'none';
  created_at: number;
}

export type KeyOwner = { type: 'user'; user_id: string } | { type: 'service_account'; service_account_id: string };

export interface ProjectApiKeyRecord {
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  owner: KeyOwner;
  /** Unix seconds; absent or null when the key does not expire. */
  expires_at?: number | null;
  /**
   * Scope restrictions set through the update endpoint; absent or empty means all permissions.
   * The API never returns them, so they are kept for tests and the audit log only.
   */
  scopes?: string[];
}

export interface AdminApiKeyRecord {
  object: 'organization.admin_api_key';
  id: string;
  name: string | null;
  redacted_value: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  /** The user who created the key. */
  owner_user_id: string;
}

export interface InviteRecord {
  object: 'organization.invite';
  id: string;
  email: string;
  role: OrgRole;
  status: 'accepted' | 'expired' | 'pending';
  created_at: number;
  expires_at: number | null;
  accepted_at: number | null;
  projects: Array<{ id: string; role: ProjectRole }>;
}

export interface GroupRecord {
  id: string;
  name: string;
  created_at: number;
  is_scim_managed: boolean;
  group_type: 'group' | 'tenant_group';
}

export interface RoleRecord {
  object: 'role';
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  /** `api.organization` for organization roles, `api.project` for project roles. */
  resource_type: 'api.organization' | 'api.project';
  predefined_role: boolean;
  /** Set for project roles: the project they belong to. */
  project_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface RoleAssignmentRecord {
  principal_type: 'user' | 'group';
  principal_id: string;
  role_id: string;
  /** `organization` or a project ID. */
  scope: string;
  created_at: number;
  /** The assignment's own ID, as audit events name it. */
  id?: string;
}

export interface ProjectGroupRecord {
  group_id: string;
  created_at: number;
}

export interface CertificateRecord {
  id: string;
  name: string | null;
  created_at: number;
  content: string;
  valid_at: number;
  expires_at: number;
  active_in_org: boolean;
  /** Projects in which the certificate is active. */
  active_in_projects: Set<string>;
}

export interface RateLimitRecord {
  object: 'project.rate_limit';
  id: string;
  model: string;
  max_requests_per_1_minute: number;
  max_tokens_per_1_minute: number;
  max_images_per_1_minute?: number;
  max_audio_megabytes_per_1_minute?: number;
  max_requests_per_1_day?: number;
  batch_1_day_max_input_tokens?: number;
}

export interface ModelPermissionsRecord {
  mode: 'allow_list' | 'deny_list';
  model_ids: string[];
}

export interface SpendAlertRecord {
  id: string;
  threshold_amount: number;
  currency: 'USD';
  interval: 'month';
  notification_channel: Record<string, unknown>;
  created_at: number;
}

export interface SpendLimitRecord {
  threshold_amount: number;
  currency: string;
  interval: string;
  enforcement: string;
}

/** How a workload identity provider's token signatures are checked. */
export type ProviderVerification =
  | { type: 'discovery'; discovery_url: string | null }
  | { type: 'uploaded_jwks'; jwks: Record<string, unknown> };

export interface WorkloadIdentityProviderRecord {
  object: 'organization.workload_identity_provider';
  id: string;
  name: string;
  description: string | null;
  type: 'oidc';
  issuer: string;
  audience: string;
  enabled: boolean;
  verification: ProviderVerification;
  attribute_transformations: Array<{ attribute: string; expression: string }>;
  created_at: number;
  updated_at: number;
}

export type FederationPermissions = { type: 'service_account_default' } | { type: 'restricted'; scopes: string[] };

export interface FederationRuleRecord {
  object: 'organization.workload_identity_federation_rule';
  id: string;
  workload_identity_provider_id: string;
  project_id: string;
  service_account_id: string;
  name: string | null;
  description: string | null;
  enabled: boolean;
  attribute_matchers: Record<string, string | boolean | number>;
  permissions: FederationPermissions;
  created_at: number;
  updated_at: number;
}

export type ServiceTier = 'standard' | 'fast' | 'scale';
export type OptionalServiceTier = 'flex' | 'fast' | 'ultrafast';

export interface ServiceTierSettingsRecord {
  default: ServiceTier;
  /** `all` includes tiers added later; an empty list leaves only Standard. */
  enabled_tiers: 'all' | OptionalServiceTier[];
}

export type ExternalKeyType = 'aws' | 'gcp' | 'azure' | 'oci';
export type ExternalKeyPurpose = 'ekm' | 'psp_decryption';

/** A customer-managed encryption key config. Projects point at it through `external_key_id`. */
export interface ExternalKeyRecord {
  id: string;
  name: string;
  type: ExternalKeyType;
  purpose: ExternalKeyPurpose;
  created_at: number;
  /** The provider's fields as registered: ARNs, names, OCIDs, never key material. */
  config: Record<string, string>;
  /** Whether the simulated key store answers OpenAI: what a validation finds. Not in the API object. */
  reachable: boolean;
}

export type ExternalStorageStatus = 'pending' | 'validated' | 'degraded' | 'unhealthy';

/** A project's customer-managed bucket. */
export interface ExternalStorageRecord {
  id: string;
  project_id: string;
  created_at: number;
  /** The OpenAI geography of the bucket's region. */
  geography: string;
  /** As registered, plus what OpenAI derives (account ID, region, external ID or audience). */
  provider: Record<string, string> & { type: ExternalKeyType };
  /** The health the (simulated) background check last found. */
  status: ExternalStorageStatus;
}

export interface AuditLogRecord {
  id: string;
  type: string;
  effective_at: number;
  project?: { id: string; name: string };
  actor: Record<string, unknown> | null;
  /** The event payload, stored under the key named by `type`. */
  payload: Record<string, unknown>;
}

/**
 * One day of activity for one (project, model, api key, user) combination. The usage and cost
 * endpoints aggregate these; costs are derived from the same records so they agree with usage.
 */
export interface DailyActivity {
  /** Unix seconds at 00:00 UTC. */
  day: number;
  project_id: string;
  /** Null for project-level usage that no key drives (vector store storage). */
  api_key_id: string | null;
  user_id: string | null;
  family: UsageFamily;
  model: string | null;
  batch: boolean;
  /** Completions: `default`, `flex`, … */
  service_tier?: string;
  /** Images: `1024x1024`, … and `image.generation` | `image.edit` | `image.variation`. */
  size?: string;
  source?: string;
  /** File search calls: the vector store searched. */
  vector_store_id?: string;
  /** Web search calls: `low` | `medium` | `high`. */
  context_level?: string;
  /** `agents_api` for activity attributed to the Agents API; anything else groups as `unlabeled`. */
  api_source?: string;
  input_tokens: number;
  output_tokens: number;
  input_cached_tokens: number;
  input_audio_tokens: number;
  output_audio_tokens: number;
  num_model_requests: number;
  /** Family-specific counters: images, characters, seconds, sessions, bytes, calls. */
  units: number;
  /** A planted cost record (POST /v1/_sandbox/records): it adds to costs and to no usage. */
  costsOnly?: boolean;
  /** Cost in USD of this record, by line item. */
  costs: Array<{ line_item: string; amount: number; quantity: number; quantity_unit: string }>;
}

export type UsageFamily =
  | 'completions'
  | 'embeddings'
  | 'moderations'
  | 'images'
  | 'audio_speeches'
  | 'audio_transcriptions'
  | 'vector_stores'
  | 'code_interpreter_sessions'
  | 'file_search_calls'
  | 'web_search_calls'
  | 'decisions';

export interface StateOptions {
  seed: number;
  /** The sandbox's notion of now, in Unix seconds. Defaults to the wall clock. */
  now?: () => number;
}

export class SandboxState {
  readonly seed: number;
  /** The simulated organization's ID (`org-…`), which external key configs must name. */
  readonly organizationId: string;
  readonly now: () => number;
  /** 00:00 UTC of the day the sandbox was created: seeded history ends here. */
  readonly anchor: number;
  /** Draws IDs and values for objects created at run time, separately from the seed data. */
  readonly runtimeRng: Rng;

  readonly projects = new Map<string, ProjectRecord>();
  readonly users = new Map<string, UserRecord>();
  /** project ID → user ID → membership */
  readonly projectUsers = new Map<string, Map<string, ProjectMemberRecord>>();
  /** project ID → service account ID → service account */
  readonly serviceAccounts = new Map<string, Map<string, ServiceAccountRecord>>();
  /** project ID → key ID → key */
  readonly projectApiKeys = new Map<string, Map<string, ProjectApiKeyRecord>>();
  readonly adminApiKeys = new Map<string, AdminApiKeyRecord>();
  readonly invites = new Map<string, InviteRecord>();
  readonly groups = new Map<string, GroupRecord>();
  /** group ID → user ID → added_at */
  readonly groupUsers = new Map<string, Map<string, number>>();
  /** Organization and project roles, predefined and custom. */
  readonly roles = new Map<string, RoleRecord>();
  readonly roleAssignments: RoleAssignmentRecord[] = [];
  /** project ID → group ID → membership */
  readonly projectGroups = new Map<string, Map<string, ProjectGroupRecord>>();
  readonly certificates = new Map<string, CertificateRecord>();
  /** project ID → rate limit ID → rate limit */
  readonly rateLimits = new Map<string, Map<string, RateLimitRecord>>();
  /** project ID → model permissions; absent means every model is allowed. */
  readonly modelPermissions = new Map<string, ModelPermissionsRecord>();
  /** project ID → hosted tool permissions object as the API returns it. */
  readonly hostedToolPermissions = new Map<string, Record<string, unknown>>();
  readonly orgSpendAlerts = new Map<string, SpendAlertRecord>();
  /** project ID → alert ID → alert */
  readonly projectSpendAlerts = new Map<string, Map<string, SpendAlertRecord>>();
  orgSpendLimit: SpendLimitRecord | null = null;
  readonly projectSpendLimits = new Map<string, SpendLimitRecord>();
  orgDataRetention = 'zero_data_retention';
  /** project ID → retention type; absent means `organization_default`. */
  readonly projectDataRetention = new Map<string, string>();
  /** Workload identity (OIDC) providers, in creation order. */
  readonly workloadIdentityProviders = new Map<string, WorkloadIdentityProviderRecord>();
  /** provider ID → rule ID → federation rule */
  readonly federationRules = new Map<string, Map<string, FederationRuleRecord>>();
  /** project ID → service tier settings; absent means the defaults (standard, every tier enabled). */
  readonly serviceTierSettings = new Map<string, ServiceTierSettingsRecord>();
  readonly externalKeys = new Map<string, ExternalKeyRecord>();
  readonly externalStorage = new Map<string, ExternalStorageRecord>();
  /** IDs of deleted storage configs: deleting one again succeeds, as the API documents. */
  readonly removedExternalStorage = new Set<string>();
  /** Oldest first. */
  readonly auditLogs: AuditLogRecord[] = [];
  /** Seeded daily activity, oldest first. */
  readonly activity: DailyActivity[] = [];

  private idCounter = 0;

  constructor(options: StateOptions) {
    this.seed = options.seed;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.anchor = Math.floor(this.now() / 86_400) * 86_400;
    this.runtimeRng = new Rng(options.seed ^ 0x5eed);
    this.organizationId = `org-${new Rng(`organization:${options.seed}`).token(24)}`;
  }

  /** A fresh object ID such as `proj_8fK2…`, unique within this sandbox. */
  newId(prefix: string): string {
    this.idCounter += 1;
    return `${prefix}_${this.runtimeRng.token(20)}${this.idCounter.toString(36)}`;
  }

  /** Records an audit-log event for a change made through the API. */
  audit(type: string, payload: Record<string, unknown>, project?: { id: string; name: string }): void {
    // Changes through the API are made with an admin key, which the audit log shows as a user's key
    // and associates with the default project when the change is not scoped to another one.
    const key = this.adminApiKeys.values().next().value as AdminApiKeyRecord | undefined;
    const owner = (key && this.users.get(key.owner_user_id)) ?? [...this.users.values()].find((u) => u.role === 'owner');
    const defaultProject = this.projects.values().next().value as ProjectRecord | undefined;
    this.auditLogs.push({
      id: this.newId('audit_log'),
      type,
      effective_at: this.now(),
      project: project ?? (defaultProject ? { id: defaultProject.id, name: defaultProject.name } : undefined),
      actor: {
        type: 'api_key',
        api_key: {
          id: key?.id ?? 'key_sandbox_admin',
          type: 'user',
          ...(owner ? { user: { id: owner.id, email: owner.email } } : {}),
        },
      },
      payload,
    });
  }

  project(id: string): ProjectRecord | undefined {
    return this.projects.get(id);
  }

  /** The inner map for a project-scoped collection, created on first use. */
  scoped<V>(collection: Map<string, Map<string, V>>, projectId: string): Map<string, V> {
    let inner = collection.get(projectId);
    if (!inner) {
      inner = new Map();
      collection.set(projectId, inner);
    }
    return inner;
  }
}
