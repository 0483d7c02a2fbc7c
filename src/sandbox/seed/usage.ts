import type { Rng } from '../rng.js';
import type { AuditLogRecord, DailyActivity, ProjectRecord, SandboxState, UsageFamily, UserRecord } from '../state.js';

/*
 * Usage, costs and the audit log.
 *
 * Usage: 400 days of daily activity before the anchor, one record per (day, project, workload, key).
 * Each project runs a few workloads (a model or hosted tool at a typical daily volume, with growth,
 * weekly seasonality and noise). A workload's traffic goes through the project keys that were alive
 * that day (created, and used on or after it), so a key's usage ends at its `last_used_at` and
 * never-used keys have none; archived projects stop at their archive date. Every record carries its
 * own cost lines, computed from its own quantities with the price table below, so the costs endpoint
 * agrees with the usage endpoints to the cent.
 *
 * Audit log: a few hundred events over the last 90 days, drawn from the seeded organization
 * (keys, service accounts, invites, roles, groups, certificates, rate limits created in that window)
 * plus logins, logouts and settings changes, each with a session or API-key actor.
 */

const DAY = 86_400;
export const HISTORY_DAYS = 400;
export const AUDIT_DAYS = 90;

// Prices (USD)

/** Per 1M tokens. Batch and flex traffic is billed at half price. */
export const TOKEN_PRICES: Readonly<Record<string, { input: number; cached: number; output: number; audio_input?: number; audio_output?: number }>> = {
  'gpt-4.1-2025-04-14': { input: 2.0, cached: 0.5, output: 8.0 },
  'gpt-4.1-mini-2025-04-14': { input: 0.4, cached: 0.1, output: 1.6 },
  'gpt-4o-2024-08-06': { input: 2.5, cached: 1.25, output: 10.0 },
  'gpt-4o-mini-2024-07-18': { input: 0.15, cached: 0.075, output: 0.6 },
  'gpt-4o-audio-preview-2024-12-17': { input: 2.5, cached: 1.25, output: 10.0, audio_input: 40.0, audio_output: 80.0 },
  'o3-2025-04-16': { input: 2.0, cached: 0.5, output: 8.0 },
  'o4-mini-2025-04-16': { input: 1.1, cached: 0.275, output: 4.4 },
  'gpt-3.5-turbo-0125': { input: 0.5, cached: 0.5, output: 1.5 },
};
export const DISCOUNTED = 0.5;
/** Per 1M input tokens. */
export const EMBEDDING_PRICES: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 0.02,
  'text-embedding-3-large': 0.13,
  'text-embedding-ada-002-v2': 0.1,
};
/** Moderations are free: they appear in usage and never in costs. */
export const MODERATION_MODELS = ['omni-moderation-latest'] as const;
/** Per image, by model and size. */
export const IMAGE_PRICES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'dall-e-3': { '1024x1024': 0.04, '1024x1792': 0.08 },
  'dall-e-2': { '256x256': 0.016, '512x512': 0.018, '1024x1024': 0.02 },
};
/** Per 1M characters. */
export const TTS_PRICES: Readonly<Record<string, number>> = { 'tts-1': 15.0, 'tts-1-hd': 30.0 };
/** Per minute of audio. */
export const TRANSCRIPTION_PRICES: Readonly<Record<string, number>> = { 'whisper-1': 0.006 };
/** Per GiB of storage per day. */
export const VECTOR_STORE_GIB_DAY = 0.1;
export const CODE_INTERPRETER_SESSION = 0.03;
/** Per 1,000 calls. */
export const FILE_SEARCH_PER_1K = 2.5;
export const WEB_SEARCH_PER_1K: Readonly<Record<string, number>> = { low: 25.0, medium: 27.5, high: 30.0 };

// Workloads

export interface Workload {
  family: UsageFamily;
  model: string | null;
  /** Weekday requests (or sessions, or calls) per day at the end of the history. */
  volume: number;
  /** Volume at the end of the history over volume at its start (below 1 for a declining workload). */
  growth: number;
  /** Weekend volume relative to a weekday. */
  weekend: number;
  /** Days before the anchor that the workload started; it ramps up over two weeks. */
  since?: number;
  batch?: boolean;
  service_tier?: string;
  /** Tokens per request: text input, its cached share, text output, audio in and out. */
  input?: number;
  cached?: number;
  output?: number;
  audio_in?: number;
  audio_out?: number;
  /** Units per request: images, characters, seconds. */
  per?: number;
  size?: string;
  source?: string;
  context_level?: string;
  /** `agents_api` when the traffic comes through the Agents API; `unlabeled` (or absent) otherwise. */
  api_source?: 'agents_api' | 'unlabeled';
  /** Vector stores: GiB stored at the end of the history. */
  gib?: number;
  /** File search: how many vector stores the calls spread over. */
  stores?: number;
}

const chat = (model: string, volume: number, input: number, output: number, cached: number, more: Partial<Workload> = {}): Workload => ({
  family: 'completions', model, volume, input, output, cached, growth: 2, weekend: 0.45, service_tier: 'default', ...more,
});

/** What each seeded project runs, by name; other projects get `GENERIC`. */
const PLANS: Readonly<Record<string, readonly Workload[]>> = {
  'Default project': [
    chat('gpt-4o-mini-2024-07-18', 900, 850, 240, 0.2, { growth: 1.3 }),
    { family: 'embeddings', model: 'text-embedding-3-small', volume: 250, input: 1800, growth: 1.2, weekend: 0.3 },
    { family: 'moderations', model: 'omni-moderation-latest', volume: 600, input: 320, growth: 1.2, weekend: 0.4 },
  ],
  Atlas: [
    chat('gpt-4.1-2025-04-14', 8000, 2800, 450, 0.45, { growth: 2.5, since: 300 }),
    chat('gpt-4.1-mini-2025-04-14', 20000, 1500, 300, 0.35, { growth: 3, since: 300 }),
    chat('gpt-4o-2024-08-06', 1200, 2600, 420, 0.3, { growth: 0.15 }),
    { family: 'file_search_calls', model: null, volume: 5500, growth: 2.5, weekend: 0.5, stores: 2 },
    { family: 'vector_stores', model: null, volume: 0, gib: 3.4, growth: 4, weekend: 1 },
    { family: 'web_search_calls', model: 'gpt-4.1-2025-04-14', volume: 800, growth: 3, weekend: 0.5, since: 220, context_level: 'medium', api_source: 'agents_api' },
    { family: 'code_interpreter_sessions', model: null, volume: 140, growth: 2, weekend: 0.4 },
    { family: 'moderations', model: 'omni-moderation-latest', volume: 18000, input: 280, growth: 2.5, weekend: 0.5 },
  ],
  Billing: [
    chat('gpt-4o-mini-2024-07-18', 36000, 1800, 200, 0, { batch: true, weekend: 0.95, growth: 1.6 }),
    chat('gpt-4o-mini-2024-07-18', 2800, 1200, 260, 0.25, { growth: 1.5, weekend: 0.2 }),
    { family: 'embeddings', model: 'text-embedding-3-small', volume: 4500, input: 600, growth: 1.6, weekend: 0.3 },
  ],
  'Support Assistant': [
    chat('gpt-4o-mini-2024-07-18', 11000, 2200, 260, 0.5, { growth: 1.8, weekend: 0.7, api_source: 'agents_api' }),
    chat('gpt-4o-audio-preview-2024-12-17', 1400, 600, 120, 0.1, { audio_in: 900, audio_out: 700, since: 250, weekend: 0.7 }),
    { family: 'audio_speeches', model: 'tts-1', volume: 2300, per: 380, growth: 2, weekend: 0.7, since: 250 },
    { family: 'audio_transcriptions', model: 'whisper-1', volume: 1700, per: 42, growth: 2, weekend: 0.7 },
    { family: 'file_search_calls', model: null, volume: 7500, growth: 1.8, weekend: 0.7, stores: 1 },
    { family: 'vector_stores', model: null, volume: 0, gib: 0.8, growth: 1.5, weekend: 1 },
    { family: 'moderations', model: 'omni-moderation-latest', volume: 11000, input: 300, growth: 1.8, weekend: 0.7 },
  ],
  'Data Platform': [
    { family: 'embeddings', model: 'text-embedding-3-large', volume: 55000, input: 700, growth: 2.2, weekend: 0.85 },
    chat('gpt-4.1-mini-2025-04-14', 14000, 3000, 400, 0, { batch: true, weekend: 0.9, since: 280 }),
    chat('o4-mini-2025-04-16', 1800, 4000, 2500, 0.15, { service_tier: 'flex', since: 200, weekend: 0.6 }),
    { family: 'code_interpreter_sessions', model: null, volume: 40, growth: 1.5, weekend: 0.3 },
  ],
  Research: [
    chat('o3-2025-04-16', 550, 6000, 3500, 0.2, { growth: 1.8, since: 230, weekend: 0.25 }),
    chat('o4-mini-2025-04-16', 1400, 3000, 2000, 0.2, { growth: 1.8, since: 230, weekend: 0.25 }),
    { family: 'web_search_calls', model: 'o4-mini-2025-04-16', volume: 380, growth: 1.8, weekend: 0.25, since: 230, context_level: 'high' },
    { family: 'web_search_calls', model: 'gpt-4.1-mini-2025-04-14', volume: 260, growth: 1.8, weekend: 0.25, since: 280, context_level: 'low' },
    { family: 'code_interpreter_sessions', model: null, volume: 60, growth: 1.5, weekend: 0.2 },
  ],
  'Marketing Copy': [
    chat('gpt-4o-2024-08-06', 2300, 1200, 700, 0.15, { growth: 1.4, weekend: 0.15 }),
    { family: 'images', model: 'dall-e-3', volume: 200, per: 1, size: '1024x1024', source: 'image.generation', growth: 1.5, weekend: 0.15 },
    { family: 'images', model: 'dall-e-3', volume: 70, per: 1, size: '1024x1792', source: 'image.generation', growth: 1.5, weekend: 0.15 },
    { family: 'images', model: 'dall-e-2', volume: 55, per: 2, size: '512x512', source: 'image.edit', growth: 0.8, weekend: 0.15 },
    { family: 'images', model: 'dall-e-2', volume: 35, per: 3, size: '256x256', source: 'image.variation', growth: 0.6, weekend: 0.15 },
    { family: 'audio_speeches', model: 'tts-1-hd', volume: 140, per: 900, growth: 1.3, weekend: 0.15 },
    { family: 'web_search_calls', model: 'gpt-4o-2024-08-06', volume: 110, growth: 1.4, weekend: 0.15, context_level: 'medium' },
  ],
  'Legacy Search': [
    { family: 'embeddings', model: 'text-embedding-ada-002-v2', volume: 9000, input: 400, growth: 0.35, weekend: 0.6 },
    chat('gpt-3.5-turbo-0125', 2500, 700, 180, 0, { growth: 0.3, weekend: 0.6 }),
  ],
};

/**
 * Decisions API traffic, seeded from its own stream so the other families stay as they were. Agents
 * API traffic is attributed (`agents_api`); the rest, batch included, is `unlabeled`.
 */
const decide = (model: string, volume: number, input: number, output: number, cached: number, more: Partial<Workload> = {}): Workload => ({
  family: 'decisions', model, volume, input, output, cached, growth: 2, weekend: 0.5, service_tier: 'default', api_source: 'agents_api', ...more,
});
const DECISION_PLANS: Readonly<Record<string, readonly Workload[]>> = {
  Atlas: [
    decide('gpt-4.1-mini-2025-04-14', 3200, 2400, 160, 0.4, { since: 140, growth: 2.5 }),
    decide('o4-mini-2025-04-16', 450, 3800, 900, 0.2, { since: 100, api_source: 'unlabeled' }),
  ],
  'Support Assistant': [decide('gpt-4.1-mini-2025-04-14', 1800, 1600, 120, 0.5, { since: 90, weekend: 0.7 })],
  'Data Platform': [decide('gpt-4.1-mini-2025-04-14', 5000, 1200, 60, 0, { since: 60, batch: true, weekend: 0.9, api_source: 'unlabeled' })],
};

const GENERIC: readonly Workload[] = [
  chat('gpt-4o-mini-2024-07-18', 1500, 1000, 250, 0.25),
  { family: 'embeddings', model: 'text-embedding-3-small', volume: 800, input: 900, growth: 1.5, weekend: 0.4 },
];

/** Hours (UTC) by which a project's traffic is shifted: where its users are. */
const TIMEZONE_SHIFT: Readonly<Record<string, number>> = { 'Data Platform': -8, 'Support Assistant': 3 };
export function timezoneShift(projectName: string): number {
  return TIMEZONE_SHIFT[projectName] ?? 0;
}

// Seeding

export function seedUsageAndAudit(state: SandboxState, rng: Rng): void {
  seedActivity(state, rng.fork('activity'), PLANS, GENERIC);
  seedAuditLog(state, rng.fork('audit'));
  seedActivity(state, rng.fork('decisions'), DECISION_PLANS, []);
}

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

/** A normal-ish draw (mean 0, sd about 1) from three uniforms. */
const gauss = (rng: Rng) => (rng.next() + rng.next() + rng.next() - 1.5) * 2;

interface KeySpan {
  id: string;
  user: string | null;
  /** Alive on days in [from, to). */
  from: number;
  to: number;
}

/**
 * The daily records of every project's workloads in `plans` (`fallback` for projects not named there),
 * or only of the projects in `only` (the projects a larger organization adds).
 */
export function seedActivity(state: SandboxState, rng: Rng, plans: Readonly<Record<string, readonly Workload[]>>, fallback: readonly Workload[], only?: ReadonlySet<string>): void {
  const first = state.anchor - HISTORY_DAYS * DAY;
  const records: DailyActivity[] = [];
  for (const project of state.projects.values()) {
    if (only && !only.has(project.id)) continue;
    const plan = plans[project.name] ?? fallback;
    // Each key serves traffic from the day it was created to the day it was last used.
    const spans: KeySpan[] = [...(state.projectApiKeys.get(project.id)?.values() ?? [])]
      .filter((key) => key.last_used_at !== null)
      .sort((a, b) => a.created_at - b.created_at)
      .map((key) => ({
        id: key.id,
        user: key.owner.type === 'user' ? key.owner.user_id : null,
        from: Math.floor(key.created_at / DAY) * DAY,
        to: Math.floor((key.last_used_at as number) / DAY) * DAY + DAY,
      }));
    const from = Math.max(first, Math.ceil(project.created_at / DAY) * DAY);
    const until = project.archived_at !== null ? Math.min(state.anchor, Math.floor(project.archived_at / DAY) * DAY) : state.anchor;
    const storeIds = Array.from({ length: 3 }, () => `vs_${rng.token(24)}`);
    for (const workload of plan) {
      // Each workload prefers one or two of the project's keys, and falls back to any live key.
      const [main, second] = rng.sample(spans, spans.length > 1 && rng.chance(0.4) ? 2 : 1);
      const share = 0.55 + rng.next() * 0.3;
      const scale = 0.85 + rng.next() * 0.3;
      const stores = workload.stores ?? 1;
      const emit = (span: KeySpan, day: number, count: number) => {
        if (count <= 0) return;
        if (workload.family !== 'file_search_calls') {
          records.push(activity(project, span.id, span.user, workload, day, count, 0, rng));
          return;
        }
        // Spread the calls over the project's vector stores.
        let left = count;
        for (let s = 0; s < stores; s++) {
          const calls = s === stores - 1 ? left : Math.round(count * (0.6 + 0.1 * s));
          left -= calls;
          if (calls > 0) records.push(activity(project, span.id, span.user, workload, day, calls, calls, rng, storeIds[s]));
        }
      };
      for (let day = from; day < until; day += DAY) {
        const amount = dailyVolume(workload, day, state.anchor, rng) * scale;
        if (workload.family === 'vector_stores') {
          const bytes = Math.round(amount * 2 ** 30);
          if (bytes > 0) records.push(activity(project, null, null, workload, day, 0, bytes, rng));
          continue;
        }
        const total = Math.round(amount);
        const a = main && main.from <= day && day < main.to ? main : undefined;
        const b = second && second.from <= day && day < second.to ? second : undefined;
        if (a && b) {
          const firstPart = Math.round(total * share);
          emit(a, day, firstPart);
          emit(b, day, total - firstPart);
          continue;
        }
        const live = a ?? b ?? spans.find((span) => span.from <= day && day < span.to);
        if (live) emit(live, day, total);
      }
    }
  }
  // Oldest first; the sort is stable, so records seeded earlier stay first within their day.
  // One by one: a spread of a million records would overflow the stack.
  for (const record of records) state.activity.push(record);
  state.activity.sort((a, b) => a.day - b.day);
}

/** The workload's amount for one day: requests, or GiB for storage. */
function dailyVolume(workload: Workload, day: number, anchor: number, rng: Rng): number {
  const ago = (anchor - day) / DAY;
  if (workload.since !== undefined && ago > workload.since) return 0;
  const progress = 1 - ago / HISTORY_DAYS;
  const trend = Math.pow(workload.growth, progress - 1);
  if (workload.family === 'vector_stores') {
    // Storage grows smoothly and does not care about weekends.
    return (workload.gib ?? 1) * trend * (1 + gauss(rng) * 0.005);
  }
  const weekday = (Math.floor(day / DAY) + 4) % 7; // 1970-01-01 was a Thursday
  const weekly = weekday === 0 || weekday === 6 ? workload.weekend : weekday === 1 ? 1.04 : weekday === 5 ? 0.93 : 1;
  const ramp = workload.since !== undefined ? Math.min(1, (workload.since - ago + 1) / 14) : 1;
  let noise = Math.exp(gauss(rng) * 0.1);
  const event = rng.next();
  if (event < 0.008) noise *= 0.35; // an incident or a paused job
  else if (event < 0.02) noise *= 1.6 + rng.next(); // a launch, a backfill, a traffic spike
  return workload.volume * trend * weekly * ramp * noise;
}

function activity(
  project: ProjectRecord,
  apiKeyId: string | null,
  userId: string | null,
  workload: Workload,
  day: number,
  requests: number,
  units: number,
  rng: Rng,
  vectorStoreId?: string,
): DailyActivity {
  const record = new ActivityRecord(day, project.id, apiKeyId, userId, workload.family, workload.model, workload.batch === true);
  record.api_source = workload.api_source;
  const jitter = () => 0.9 + rng.next() * 0.2;
  switch (workload.family) {
    case 'completions':
    case 'decisions': {
      const textIn = Math.round(requests * (workload.input ?? 1000) * jitter());
      const cached = Math.min(textIn, Math.round(textIn * (workload.cached ?? 0) * jitter()));
      const audioIn = Math.round(requests * (workload.audio_in ?? 0) * jitter());
      const textOut = Math.round(requests * (workload.output ?? 200) * jitter());
      const audioOut = Math.round(requests * (workload.audio_out ?? 0) * jitter());
      record.input_tokens = textIn + audioIn;
      record.input_cached_tokens = cached;
      record.input_audio_tokens = audioIn;
      record.output_tokens = textOut + audioOut;
      record.output_audio_tokens = audioOut;
      record.num_model_requests = requests;
      record.service_tier = workload.service_tier ?? 'default';
      if (workload.family === 'decisions') record.api_source = workload.api_source ?? 'unlabeled';
      break;
    }
    case 'embeddings':
    case 'moderations':
      record.input_tokens = Math.round(requests * (workload.input ?? 500) * jitter());
      record.num_model_requests = requests;
      break;
    case 'images':
      record.num_model_requests = requests;
      record.units = requests * (workload.per ?? 1);
      record.size = workload.size;
      record.source = workload.source;
      break;
    case 'audio_speeches':
    case 'audio_transcriptions':
      record.num_model_requests = requests;
      record.units = Math.round(requests * (workload.per ?? 1) * jitter());
      break;
    case 'web_search_calls':
      // Some model requests make more than one search.
      record.num_model_requests = requests;
      record.units = Math.round(requests * (1.15 + rng.next() * 0.1));
      record.context_level = workload.context_level ?? 'medium';
      break;
    case 'file_search_calls':
      record.units = units;
      record.vector_store_id = vectorStoreId;
      break;
    case 'code_interpreter_sessions':
      record.units = requests;
      break;
    case 'vector_stores':
      record.units = units;
      break;
  }
  return record;
}

/**
 * A day of activity. Every record has the same shape (fast to build and to scan), and its cost
 * lines are priced from its own quantities the first time they are read.
 */
class ActivityRecord implements DailyActivity {
  input_tokens = 0;
  output_tokens = 0;
  input_cached_tokens = 0;
  input_audio_tokens = 0;
  output_audio_tokens = 0;
  num_model_requests = 0;
  units = 0;
  service_tier: string | undefined = undefined;
  size: string | undefined = undefined;
  source: string | undefined = undefined;
  vector_store_id: string | undefined = undefined;
  context_level: string | undefined = undefined;
  api_source: string | undefined = undefined;
  private lines: DailyActivity['costs'] | undefined = undefined;

  constructor(
    readonly day: number,
    readonly project_id: string,
    readonly api_key_id: string | null,
    readonly user_id: string | null,
    readonly family: UsageFamily,
    readonly model: string | null,
    readonly batch: boolean,
  ) {}

  get costs(): DailyActivity['costs'] {
    this.lines ??= costLines(this);
    return this.lines;
  }
}

/** Line item names, made once per model and kind. */
const lineNames = new Map<string, string>();
function lineName(...parts: string[]): string {
  const key = parts.join('|');
  let name = lineNames.get(key);
  if (name === undefined) {
    name = parts.join('');
    lineNames.set(key, name);
  }
  return name;
}

/** The record's cost lines, each priced from the record's own quantities. Zero lines are left out. */
export function costLines(record: DailyActivity): DailyActivity['costs'] {
  const lines: DailyActivity['costs'] = [];
  const add = (line_item: string, quantity: number, unitPrice: number, quantity_unit: string) => {
    if (quantity > 0 && unitPrice > 0) lines.push({ line_item, quantity, quantity_unit, amount: round6(quantity * unitPrice) });
  };
  const model = record.model ?? '';
  switch (record.family) {
    case 'completions': {
      const price = TOKEN_PRICES[model];
      if (!price) break;
      const factor = record.batch || record.service_tier === 'flex' ? DISCOUNTED : 1;
      const suffix = record.batch ? ' (batch)' : record.service_tier === 'flex' ? ' (flex)' : '';
      const textIn = record.input_tokens - record.input_audio_tokens - record.input_cached_tokens;
      add(lineName(model, ', input', suffix), textIn, (price.input * factor) / 1e6, 'tokens');
      add(lineName(model, ', cached input', suffix), record.input_cached_tokens, (price.cached * factor) / 1e6, 'tokens');
      add(lineName(model, ', audio input', suffix), record.input_audio_tokens, ((price.audio_input ?? 0) * factor) / 1e6, 'tokens');
      add(lineName(model, ', output', suffix), record.output_tokens - record.output_audio_tokens, (price.output * factor) / 1e6, 'tokens');
      add(lineName(model, ', audio output', suffix), record.output_audio_tokens, ((price.audio_output ?? 0) * factor) / 1e6, 'tokens');
      break;
    }
    case 'decisions': {
      // Billed at the model's token prices, on line items of their own; batch at half price.
      const price = TOKEN_PRICES[model];
      if (!price) break;
      const factor = record.batch ? DISCOUNTED : 1;
      const suffix = record.batch ? ' (batch)' : '';
      add(lineName(model, ', decisions input', suffix), record.input_tokens - record.input_cached_tokens, (price.input * factor) / 1e6, 'tokens');
      add(lineName(model, ', decisions cached input', suffix), record.input_cached_tokens, (price.cached * factor) / 1e6, 'tokens');
      add(lineName(model, ', decisions output', suffix), record.output_tokens, (price.output * factor) / 1e6, 'tokens');
      break;
    }
    case 'embeddings':
      add(model, record.input_tokens, (EMBEDDING_PRICES[model] ?? 0) / 1e6, 'tokens');
      break;
    case 'moderations':
      break;
    case 'images':
      add(lineName(model, ', ', record.size ?? ''), record.units, IMAGE_PRICES[model]?.[record.size ?? ''] ?? 0, 'images');
      break;
    case 'audio_speeches':
      add(model, record.units, (TTS_PRICES[model] ?? 0) / 1e6, 'characters');
      break;
    case 'audio_transcriptions':
      add(model, record.units, (TRANSCRIPTION_PRICES[model] ?? 0) / 60, 'duration_seconds');
      break;
    case 'vector_stores': {
      const gibHours = round6((record.units / 2 ** 30) * 24);
      add('vector store storage', gibHours, VECTOR_STORE_GIB_DAY / 24, 'gibibyte_hours');
      break;
    }
    case 'code_interpreter_sessions':
      add('code interpreter sessions', record.units, CODE_INTERPRETER_SESSION, 'sessions');
      break;
    case 'file_search_calls':
      add('file search tool calls', record.units, FILE_SEARCH_PER_1K / 1000, 'calls');
      break;
    case 'web_search_calls': {
      const level = record.context_level ?? 'medium';
      add(lineName('web search tool calls, ', level, ' context'), record.units, (WEB_SEARCH_PER_1K[level] ?? 0) / 1000, 'calls');
      break;
    }
  }
  return lines;
}

// Audit log

const BROWSERS = ['203.0.113.', '198.51.100.', '192.0.2.'];

function seedAuditLog(state: SandboxState, rng: Rng): void {
  const start = state.anchor - AUDIT_DAYS * DAY;
  const inWindow = (t: number | null | undefined): t is number => typeof t === 'number' && t >= start && t < state.anchor;
  const users = [...state.users.values()];
  if (users.length === 0) return;
  const owners = users.filter((u) => u.role === 'owner');
  const admins = owners.length > 0 ? owners : users;
  const projects = [...state.projects.values()];
  const defaultProject = projects[0];
  const ref = (p: ProjectRecord | undefined) => (p ? { id: p.id, name: p.name } : undefined);
  const projectById = (id: string) => ref(state.projects.get(id));
  const ips = new Map(users.map((u) => [u.id, `${rng.pick(BROWSERS)}${rng.int(2, 254)}`]));
  const adminKeys = [...state.adminApiKeys.values()];
  const events: AuditLogRecord[] = [];

  const session = (user: UserRecord) => ({
    type: 'session',
    session: { user: { id: user.id, email: user.email }, ip_address: ips.get(user.id) ?? '203.0.113.7' },
  });
  const adminKeyActor = () => {
    const key = rng.pick(adminKeys);
    const owner = state.users.get(key.owner_user_id) ?? (admins[0] as UserRecord);
    return { type: 'api_key', api_key: { id: key.id, type: 'user', user: { id: owner.id, email: owner.email } } };
  };
  /** Who made a change: usually an owner in the dashboard, sometimes an admin key (tied to the default project). */
  const changer = (project?: { id: string; name: string }) => {
    if (adminKeys.length > 0 && rng.chance(0.25)) return { actor: adminKeyActor(), project: project ?? ref(defaultProject) };
    return { actor: session(rng.pick(admins)), project };
  };
  /** A working-hours moment on a random day in the window. */
  const someTime = (daysFrom = 0, daysTo = AUDIT_DAYS) =>
    state.anchor - rng.int(daysFrom + 1, daysTo) * DAY + rng.int(7 * 3600, 19 * 3600) + rng.int(0, 59);
  const push = (type: string, effective_at: number, payload: Record<string, unknown>, actor: Record<string, unknown> | null, project?: { id: string; name: string }) => {
    events.push({ id: `audit_log-${rng.token(24)}`, type, effective_at, project, actor, payload });
  };

  // Sign-ins: owners and active members sign in every few days.
  for (const user of users) {
    const visits = user.role === 'owner' ? rng.int(18, 28) : rng.chance(0.6) ? rng.int(2, 9) : 0;
    for (let i = 0; i < visits; i++) {
      const at = someTime();
      push('login.succeeded', at, {}, session(user));
      if (rng.chance(0.25)) push('logout.succeeded', at + rng.int(600, 6 * 3600), {}, session(user));
    }
    if (rng.chance(0.2)) {
      const at = someTime();
      push('login.failed', at - rng.int(30, 300), { error_code: 'invalid_credentials', error_message: 'Incorrect email or password.' }, session(user));
    }
  }
  // A burst of failed sign-ins against an address that does not exist.
  const probe = someTime(5, 40);
  for (let i = 0; i < 6; i++) {
    push(
      'login.failed',
      probe + i * rng.int(20, 90),
      { error_code: 'user_not_found', error_message: 'No account exists for this email.' },
      { type: 'session', session: { user: { email: `admin@${users[0]?.email.split('@')[1] ?? 'example.test'}` }, ip_address: `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}` } },
    );
  }
  if (owners[0]) {
    push('login.failed', someTime(), { error_code: 'mfa_failed', error_message: 'The one-time code was not accepted.' }, session(owners[0]));
  }

  // Keys, service accounts and rate limits created or changed in the window.
  for (const project of projects) {
    const pref = ref(project);
    const serviceAccounts = state.serviceAccounts.get(project.id);
    for (const key of state.projectApiKeys.get(project.id)?.values() ?? []) {
      if (!inWindow(key.created_at)) continue;
      const owner = key.owner.type === 'user' ? state.users.get(key.owner.user_id) : undefined;
      const actor = owner ? session(owner) : changer(pref).actor;
      push('api_key.created', key.created_at, { id: key.id, data: { scopes: ['api.all'] } }, actor, pref);
    }
    for (const account of serviceAccounts?.values() ?? []) {
      if (!inWindow(account.created_at)) continue;
      const who = changer(pref);
      push('service_account.created', account.created_at, { id: account.id, data: { role: account.role } }, who.actor, who.project);
    }
    for (const limit of state.rateLimits.get(project.id)?.values() ?? []) {
      if (!rng.chance(0.3)) continue;
      const who = changer(pref);
      push(
        'rate_limit.updated',
        someTime(),
        { id: limit.id, changes_requested: { max_requests_per_1_minute: limit.max_requests_per_1_minute, max_tokens_per_1_minute: limit.max_tokens_per_1_minute } },
        who.actor,
        who.project,
      );
    }
    if (inWindow(project.created_at)) {
      const who = changer(pref);
      push('project.created', project.created_at, { id: project.id, data: { name: project.name, title: project.name } }, who.actor, who.project);
    }
    if (inWindow(project.archived_at)) {
      const who = changer(pref);
      push('project.archived', project.archived_at, { id: project.id }, who.actor, who.project);
    }
  }
  // Keys deleted in the window (rotations and clean-ups): they are gone from the key lists.
  const active = projects.filter((p) => p.status === 'active');
  for (let i = 0; i < 7 && active.length > 0; i++) {
    const project = rng.pick(active);
    const who = changer(ref(project));
    const id = `key_${rng.token(16)}`;
    const deletedAt = someTime(0, AUDIT_DAYS - 10);
    if (rng.chance(0.5)) push('api_key.created', deletedAt - rng.int(2, 9) * DAY, { id, data: { scopes: ['api.all'] } }, who.actor, who.project);
    push('api_key.deleted', deletedAt, { id }, who.actor, who.project);
  }
  const projectKeys = active.flatMap((p) => [...(state.projectApiKeys.get(p.id)?.values() ?? [])].map((key) => ({ key, project: p })));
  for (const { key, project } of rng.sample(projectKeys, Math.min(3, projectKeys.length))) {
    const who = changer(ref(project));
    push('api_key.updated', someTime(), { id: key.id, changes_requested: { scopes: ['api.model.read', 'api.model.request'] } }, who.actor, who.project);
  }
  for (const project of rng.sample(active, Math.min(2, active.length))) {
    const who = changer(ref(project));
    push('project.updated', someTime(), { id: project.id, changes_requested: { title: project.name } }, who.actor, who.project);
  }
  for (const key of adminKeys) {
    if (!inWindow(key.created_at)) continue;
    const owner = state.users.get(key.owner_user_id);
    push('api_key.created', key.created_at, { id: key.id, data: { scopes: ['api.organization.read', 'api.organization.write'] } }, owner ? session(owner) : null);
  }

  // People: invites, joins and role changes.
  for (const invite of state.invites.values()) {
    if (inWindow(invite.created_at)) {
      const who = changer();
      push('invite.sent', invite.created_at, { id: invite.id, data: { email: invite.email, role: invite.role } }, who.actor, who.project);
    }
    if (inWindow(invite.accepted_at)) {
      const user = users.find((u) => u.email === invite.email);
      push('invite.accepted', invite.accepted_at, { id: invite.id }, user ? session(user) : null);
      if (user) push('user.added', invite.accepted_at + 1, { id: user.id, data: { role: invite.role } }, session(user));
    }
  }
  for (const user of users) {
    if (inWindow(user.added_at)) {
      const who = changer();
      push('user.added', user.added_at, { id: user.id, data: { role: user.role } }, who.actor, who.project);
    }
  }
  for (const user of rng.sample(users, 4)) {
    const who = changer();
    push('user.updated', someTime(), { id: user.id, changes_requested: { role: user.role } }, who.actor, who.project);
  }
  for (let i = 0; i < 2; i++) {
    const who = changer();
    push('invite.deleted', someTime(), { id: `invite-${rng.token(24)}` }, who.actor, who.project);
  }

  // Groups, roles and certificates.
  for (const group of state.groups.values()) {
    if (inWindow(group.created_at)) {
      const who = changer();
      push('group.created', group.created_at, { id: group.id, data: { group_name: group.name } }, who.actor, who.project);
    } else if (rng.chance(0.3)) {
      const who = changer();
      push('group.updated', someTime(), { id: group.id, changes_requested: { group_name: group.name } }, who.actor, who.project);
    }
  }
  for (const role of state.roles.values()) {
    if (role.predefined_role || !inWindow(role.created_at)) continue;
    const who = changer(role.project_id ? projectById(role.project_id) : undefined);
    push(
      'role.created',
      role.created_at,
      { id: role.id, role_name: role.name, permissions: role.permissions, resource_type: role.resource_type, ...(role.project_id ? { resource_id: role.project_id } : {}) },
      who.actor,
      who.project,
    );
  }
  for (const assignment of state.roleAssignments) {
    if (!inWindow(assignment.created_at)) continue;
    const scoped = assignment.scope !== 'organization';
    const who = changer(scoped ? projectById(assignment.scope) : undefined);
    push(
      'role.assignment.created',
      assignment.created_at,
      {
        id: assignment.role_id,
        principal_id: assignment.principal_id,
        principal_type: assignment.principal_type,
        resource_type: scoped ? 'api.project' : 'api.organization',
        ...(scoped ? { resource_id: assignment.scope } : {}),
      },
      who.actor,
      who.project,
    );
  }
  for (const certificate of state.certificates.values()) {
    if (!inWindow(certificate.created_at)) continue;
    const who = changer();
    push('certificate.created', certificate.created_at, { id: certificate.id, name: certificate.name ?? '' }, who.actor, who.project);
    if (certificate.active_in_org) {
      push('certificates.activated', certificate.created_at + rng.int(60, 3600), { certificates: [{ id: certificate.id, name: certificate.name ?? '' }] }, who.actor, who.project);
    }
  }
  // Organization settings.
  // The draw is kept so the events after it stay as they were; the ID is the organization's own.
  rng.token(24);
  const orgId = state.organizationId;
  for (let i = 0; i < 2; i++) {
    const who = changer();
    push('organization.updated', someTime(), { id: orgId, changes_requested: { usage_dashboard_visibility: i === 0 ? 'owners' : 'everyone' } }, who.actor, who.project);
  }

  // Oldest first, as state.audit() appends; anything already logged stays in time order.
  const merged = [...state.auditLogs, ...events].sort((a, b) => a.effective_at - b.effective_at);
  state.auditLogs.length = 0;
  state.auditLogs.push(...merged);
}
