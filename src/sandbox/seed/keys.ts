import type { Rng } from '../rng.js';
import type { AdminApiKeyRecord, KeyOwner, ProjectApiKeyRecord, SandboxState, ServiceAccountRecord, UserRecord } from '../state.js';

/*
 * Service accounts, project API keys and admin API keys. Keys get a spread of `last_used_at`:
 * most used in the last few days, some weeks ago, some stale (unused for over 90 days) and some
 * never used, so access reviews and key hygiene reports have something to find. The plaintext of a
 * seeded key never existed: only the redacted form is made.
 */

const DAY = 86_400;

/** Service account names by project name; projects not listed get generic ones. */
const ACCOUNTS: Record<string, string[]> = {
  'Default project': ['ci-deploy', 'nightly-evals'],
  Atlas: ['atlas-backend', 'atlas-batch-indexer'],
  Billing: ['invoice-summarizer'],
  'Support Assistant': ['zendesk-bot', 'slack-triage', 'ticket-classifier'],
  'Data Platform': ['etl-pipeline', 'airflow-worker'],
  Research: ['eval-harness'],
  'Marketing Copy': ['cms-integration'],
};
const GENERIC_ACCOUNTS = ['automation', 'integration-tests'];

const USER_KEY_NAMES = ['local-dev', 'prod-backend', 'staging', 'notebook', 'prototype', 'cli', 'data-export', 'demo', 'jupyter', 'personal'];
const ACCOUNT_KEY_NAMES = ['Secret key', 'production', 'rotation-2', 'worker'];

type Usage = 'recent' | 'weeks' | 'stale' | 'never';

/**
 * Project keys with an expiry, by project and key name, in days from the seed's anchor: one that
 * has expired (and so cannot be updated) and one that will. Every other seeded key never expires.
 */
const KEY_EXPIRY: ReadonlyArray<{ project: string; key: string; days: number }> = [
  { project: 'Default project', key: 'old-prototype', days: -5 },
  { project: 'Default project', key: 'unused-test-key', days: 30 },
];

export function seedKeys(state: SandboxState, rng: Rng): void {
  const users = [...state.users.values()];
  const projects = [...state.projects.values()];

  projects.forEach((project, index) => {
    const archived = project.status === 'archived';
    // Usage stops when a project is archived; its keys stay for the record.
    const end = project.archived_at ?? state.anchor;
    const keys = state.scoped(state.projectApiKeys, project.id);
    /** Keys of this project drawn as `recent`, whose owner is in the project: candidates for yesterday's traffic. */
    const recent: ProjectApiKeyRecord[] = [];
    const addKey = (name: string, owner: KeyOwner, usage: Usage, notBefore: number) => {
      const created = createdAt(rng, notBefore, end, usage);
      const key: ProjectApiKeyRecord = {
        id: `key_${rng.token(16)}`,
        name,
        redacted_value: `sk-${owner.type === 'user' ? 'proj' : 'svcacct'}...${rng.token(4)}`,
        created_at: created,
        last_used_at: lastUsed(rng, created, end, usage),
        owner,
      };
      keys.set(key.id, key);
      if (usage === 'recent') recent.push(key);
    };

    // Service accounts: none in the archived project ("archived projects have no service accounts").
    if (!archived) {
      const accounts = state.scoped(state.serviceAccounts, project.id);
      const names = ACCOUNTS[project.name] ?? GENERIC_ACCOUNTS;
      names.forEach((name, j) => {
        const account: ServiceAccountRecord = {
          object: 'organization.project.service_account',
          id: `svc_acct_${rng.token(24)}`,
          name,
          role: j === 0 && rng.chance(0.4) ? 'owner' : 'member',
          created_at: between(rng, project.created_at + DAY, state.anchor - 100 * DAY),
        };
        accounts.set(account.id, account);
        const count = rng.int(1, 2);
        for (let k = 0; k < count; k++) {
          addKey(ACCOUNT_KEY_NAMES[k] as string, { type: 'service_account', service_account_id: account.id }, pickUsage(rng, archived), account.created_at);
        }
      });
    }

    // Keys owned by project members.
    const members = [...(state.projectUsers.get(project.id)?.values() ?? [])];
    const owners = rng.sample(members, Math.min(members.length, index === 0 ? 6 : rng.int(2, 4)));
    const names = rng.sample(USER_KEY_NAMES, USER_KEY_NAMES.length);
    owners.forEach((member, j) => {
      addKey(names[j % names.length] as string, { type: 'user', user_id: member.user_id }, pickUsage(rng, archived), member.added_at);
    });

    if (index === 0) {
      // Fixed examples that every seed has: a stale key and one that was never used.
      const owner = members[0];
      if (owner) {
        addKey('old-prototype', { type: 'user', user_id: owner.user_id }, 'stale', owner.added_at);
        addKey('unused-test-key', { type: 'user', user_id: owner.user_id }, 'never', owner.added_at);
      }
    } else if (!archived) {
      // A key whose owner has since left the project: listed only with owner_project_access=inactive|any.
      const memberIds = new Set(members.map((m) => m.user_id));
      const outsiders = users.filter((u) => !memberIds.has(u.id));
      if (outsiders.length > 0) {
        const former = rng.pick(outsiders);
        addKey(`${firstName(former)}-laptop`, { type: 'user', user_id: former.id }, rng.chance(0.5) ? 'stale' : 'weeks', Math.max(project.created_at, former.added_at));
      }
    }

    // Traffic runs through to yesterday: an active project has a key used within the last day
    // (usage stops at each key's last_used_at, so without one the project's recent usage has gaps).
    if (!archived && ![...keys.values()].some((k) => k.last_used_at !== null && k.last_used_at >= end - DAY)) {
      const pick = recent.sort((a, b) => (b.last_used_at as number) - (a.last_used_at as number))[0];
      if (pick) {
        // Keep its time of day, moved into the last day; no draw, so the rest of the seed is unchanged.
        const ago = (end - (pick.last_used_at as number)) % DAY;
        pick.last_used_at = end - (ago === 0 ? 60 : ago);
      } else {
        const account = state.serviceAccounts.get(project.id)?.values().next().value as ServiceAccountRecord | undefined;
        const member = members[0];
        const owner: KeyOwner | undefined = account
          ? { type: 'service_account', service_account_id: account.id }
          : member
            ? { type: 'user', user_id: member.user_id }
            : undefined;
        if (owner) {
          addKey('production', owner, 'recent', account?.created_at ?? member?.added_at ?? project.created_at);
          const added = [...keys.values()].at(-1) as ProjectApiKeyRecord;
          added.last_used_at = Math.max(added.created_at, end - rng.int(60, DAY - 60));
        }
      }
    }
  });

  seedAdminKeys(state, rng, users);
  applyKeyExpiry(state);
}

/** Sets the expiries of KEY_EXPIRY without drawing, so the rest of the seed stays as it was. */
function applyKeyExpiry(state: SandboxState): void {
  for (const spec of KEY_EXPIRY) {
    const project = [...state.projects.values()].find((p) => p.name === spec.project);
    const keys = project ? state.projectApiKeys.get(project.id)?.values() : undefined;
    for (const key of keys ?? []) if (key.name === spec.key) key.expires_at = state.anchor + spec.days * DAY;
  }
}

function seedAdminKeys(state: SandboxState, rng: Rng, users: UserRecord[]): void {
  const owners = users.filter((u) => u.role === 'owner');
  if (owners.length === 0) return;
  const specs: Array<{ name: string; usage: Usage; lifetimeDays: number | null }> = [
    { name: 'Terraform provisioning', usage: 'recent', lifetimeDays: null },
    { name: 'Finance cost export', usage: 'recent', lifetimeDays: 365 },
    { name: 'Okta SCIM sync', usage: 'never', lifetimeDays: 180 },
    { name: 'Old admin script', usage: 'stale', lifetimeDays: null },
  ];
  specs.forEach((spec, i) => {
    const owner = owners[i % owners.length] as UserRecord;
    const created = createdAt(rng, owner.added_at, state.anchor, spec.usage);
    const key: AdminApiKeyRecord = {
      object: 'organization.admin_api_key',
      id: `key_${rng.token(16)}`,
      name: spec.name,
      redacted_value: `sk-admin...${rng.token(4)}`,
      created_at: created,
      expires_at: spec.lifetimeDays === null ? null : created + spec.lifetimeDays * DAY,
      last_used_at: lastUsed(rng, created, state.anchor, spec.usage),
      owner_user_id: owner.id,
    };
    state.adminApiKeys.set(key.id, key);
  });
}

function pickUsage(rng: Rng, archived: boolean): Usage {
  if (archived) return rng.chance(0.7) ? 'stale' : 'never';
  const r = rng.next();
  if (r < 0.5) return 'recent';
  if (r < 0.72) return 'weeks';
  if (r < 0.87) return 'stale';
  return 'never';
}

/** A creation time after `notBefore`, early enough for the usage pattern to fit before `end`. */
function createdAt(rng: Rng, notBefore: number, end: number, usage: Usage): number {
  const latest = usage === 'stale' ? end - 120 * DAY : end - 10 * DAY;
  return between(rng, notBefore, latest);
}

function lastUsed(rng: Rng, created: number, end: number, usage: Usage): number | null {
  switch (usage) {
    case 'never':
      return null;
    case 'recent':
      return Math.max(created, end - rng.int(60, 3 * DAY));
    case 'weeks':
      return Math.max(created, end - rng.int(5 * DAY, 60 * DAY));
    case 'stale':
      return Math.max(created, Math.min(end - 91 * DAY, created + rng.int(DAY, 200 * DAY)));
  }
}

/** A time in [from, to]; `from` when the range is empty. */
function between(rng: Rng, from: number, to: number): number {
  return to <= from ? from : rng.int(from, to);
}

function firstName(user: UserRecord): string {
  return (user.name.split(' ')[0] ?? 'user').toLowerCase();
}
