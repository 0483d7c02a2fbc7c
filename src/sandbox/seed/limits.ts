import type { Rng } from '../rng.js';
import type { ProjectRecord, RateLimitRecord, SandboxState, SpendAlertRecord } from '../state.js';
import { SANDBOX_DOMAIN } from './core.js';

/*
 * Rate limits, model and hosted-tool permissions, and spend alerts. Rate limits exist for every
 * project (archived ones too); a few projects run below the organization's usual limits.
 */

const DAY = 86_400;

interface ModelLimits {
  model: string;
  rpm: number;
  tpm: number;
  images?: number;
  audioMb?: number;
  rpd?: number;
  batch?: number;
}

/** Typical limits per model, in the order the list endpoint returns them. */
const MODELS: readonly ModelLimits[] = [
  { model: 'gpt-4o', rpm: 10_000, tpm: 2_000_000, batch: 300_000_000 },
  { model: 'gpt-4o-mini', rpm: 30_000, tpm: 10_000_000, batch: 1_000_000_000 },
  { model: 'gpt-4.1', rpm: 10_000, tpm: 2_000_000, batch: 300_000_000 },
  { model: 'gpt-4.1-mini', rpm: 30_000, tpm: 10_000_000, batch: 1_000_000_000 },
  { model: 'o3', rpm: 10_000, tpm: 2_000_000, batch: 200_000_000 },
  { model: 'o4-mini', rpm: 10_000, tpm: 10_000_000, batch: 1_000_000_000 },
  { model: 'text-embedding-3-small', rpm: 10_000, tpm: 10_000_000, batch: 4_000_000_000 },
  { model: 'text-embedding-3-large', rpm: 10_000, tpm: 10_000_000, batch: 4_000_000_000 },
  { model: 'omni-moderation-latest', rpm: 5_000, tpm: 500_000 },
  { model: 'dall-e-3', rpm: 500, tpm: 150_000, images: 15, rpd: 10_000 },
  { model: 'gpt-image-1', rpm: 500, tpm: 1_000_000, images: 50, rpd: 10_000 },
  { model: 'whisper-1', rpm: 500, tpm: 150_000, audioMb: 100, rpd: 10_000 },
  { model: 'tts-1', rpm: 500, tpm: 150_000, audioMb: 50, rpd: 10_000 },
];

/** Models every project has limits for; the rest are drawn per project. */
const ALWAYS = new Set(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);

/** A project-level cap: the usual limit scaled down and rounded to a tidy number. */
function scaled(value: number, factor: number): number {
  if (factor === 1) return value;
  const raw = value * factor;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
  return Math.max(1, Math.round(raw / step) * step);
}

function rateLimitFor(spec: ModelLimits, factor: number): RateLimitRecord {
  const record: RateLimitRecord = {
    object: 'project.rate_limit',
    id: `rl-${spec.model}`,
    model: spec.model,
    max_requests_per_1_minute: scaled(spec.rpm, factor),
    max_tokens_per_1_minute: scaled(spec.tpm, factor),
  };
  if (spec.images !== undefined) record.max_images_per_1_minute = scaled(spec.images, factor);
  if (spec.audioMb !== undefined) record.max_audio_megabytes_per_1_minute = scaled(spec.audioMb, factor);
  if (spec.rpd !== undefined) record.max_requests_per_1_day = scaled(spec.rpd, factor);
  if (spec.batch !== undefined) record.batch_1_day_max_input_tokens = scaled(spec.batch, factor);
  return record;
}

/** The rows the API gives a new project: every model at the organization's usual limits. */
export function defaultRateLimits(): RateLimitRecord[] {
  return MODELS.map((spec) => rateLimitFor(spec, 1));
}

/** Model policies: one project may use only a short list, another may use all but a few. */
const MODEL_POLICIES: Record<string, { mode: 'allow_list' | 'deny_list'; model_ids: string[] }> = {
  'Support Assistant': { mode: 'allow_list', model_ids: ['gpt-4o-mini', 'gpt-4.1-mini', 'text-embedding-3-small', 'omni-moderation-latest'] },
  'Marketing Copy': { mode: 'deny_list', model_ids: ['o3', 'gpt-image-1', 'whisper-1'] },
};

/** Hosted tools switched off per project; every other tool stays enabled. */
const DISABLED_TOOLS: Record<string, string[]> = {
  'Support Assistant': ['code_interpreter', 'image_generation', 'mcp'],
  Billing: ['web_search', 'image_generation', 'mcp'],
  'Legacy Search': ['mcp', 'code_interpreter'],
};
const HOSTED_TOOLS = ['file_search', 'web_search', 'image_generation', 'mcp', 'code_interpreter'] as const;

/** Organization alerts at rising thresholds, in cents. */
const ORG_ALERTS = [
  { threshold: 1_000_000, recipients: ['finance'], prefix: '[OpenAI] Monthly spend' },
  { threshold: 2_500_000, recipients: ['finance', 'platform-team'], prefix: '[OpenAI] Spend warning' },
  { threshold: 5_000_000, recipients: ['finance', 'cto'], prefix: null },
];

export function seedLimits(state: SandboxState, rng: Rng): void {
  const projects = [...state.projects.values()];
  const byName = new Map(projects.map((p) => [p.name, p]));

  for (const project of projects) {
    const limits = state.scoped(state.rateLimits, project.id);
    const extras = MODELS.filter((m) => !ALWAYS.has(m.model));
    const chosen = project.name === 'Default project' ? new Set(extras) : new Set(rng.sample(extras, rng.int(3, 7)));
    // Most projects keep the usual limits; some are capped at a half or a tenth of them.
    const factor = project.name === 'Default project' ? 1 : rng.pick([1, 1, 0.5, 0.1]);
    for (const spec of MODELS) {
      if (!ALWAYS.has(spec.model) && !chosen.has(spec)) continue;
      const record = rateLimitFor(spec, factor);
      limits.set(record.id, record);
    }
  }

  for (const [name, policy] of Object.entries(MODEL_POLICIES)) {
    const project = byName.get(name);
    if (project) state.modelPermissions.set(project.id, { mode: policy.mode, model_ids: [...policy.model_ids] });
  }

  for (const project of projects) {
    const disabled = new Set(DISABLED_TOOLS[project.name] ?? []);
    const permissions: Record<string, { enabled: boolean }> = {};
    for (const tool of HOSTED_TOOLS) permissions[tool] = { enabled: !disabled.has(tool) };
    state.hostedToolPermissions.set(project.id, permissions);
  }

  ORG_ALERTS.forEach((spec, i) => {
    const alert: SpendAlertRecord = {
      id: `alert_${rng.token(24)}`,
      threshold_amount: spec.threshold,
      currency: 'USD',
      interval: 'month',
      notification_channel: {
        type: 'email',
        recipients: spec.recipients.map((local) => `${local}@${SANDBOX_DOMAIN}`),
        subject_prefix: spec.prefix,
      },
      created_at: state.anchor - (400 - i * 90) * DAY + rng.int(0, DAY),
    };
    state.orgSpendAlerts.set(alert.id, alert);
  });

  for (const project of projects) {
    const count = project.name === 'Default project' ? 2 : rng.int(0, 2);
    const owners = ownerEmails(state, project);
    // Thresholds from $500 to $20,000, rising within a project.
    let threshold = rng.pick([50_000, 100_000, 250_000, 500_000]);
    for (let i = 0; i < count; i++) {
      const recipients = owners.length > 0 ? owners.slice(0, 2) : [`finance@${SANDBOX_DOMAIN}`];
      const alert: SpendAlertRecord = {
        id: `alert_${rng.token(24)}`,
        threshold_amount: threshold,
        currency: 'USD',
        interval: 'month',
        notification_channel: {
          type: 'email',
          recipients,
          subject_prefix: rng.chance(0.5) ? `[${project.name}] Spend alert` : null,
        },
        created_at: Math.min(state.anchor - DAY, project.created_at + (30 + i * 60) * DAY) + rng.int(0, DAY),
      };
      state.scoped(state.projectSpendAlerts, project.id).set(alert.id, alert);
      threshold *= 4;
    }
  }
}

function ownerEmails(state: SandboxState, project: ProjectRecord): string[] {
  const members = state.projectUsers.get(project.id);
  if (!members) return [];
  const emails: string[] = [];
  for (const member of members.values()) {
    if (member.role !== 'owner') continue;
    const user = state.users.get(member.user_id);
    if (user) emails.push(user.email);
  }
  return emails;
}
