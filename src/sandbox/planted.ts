import { invalid } from './errors.js';
import type { DailyActivity, SandboxState } from './state.js';

/*
 * Planted records: `POST /v1/_sandbox/records` gives the sandbox a story (a spike on one key, a new
 * model on one day) that a test can then look for through the ordinary endpoints. It lives on the
 * sandbox only: no tool names it, and the real API has no such path.
 *
 * A planted record is a day of activity like any seeded one, so it joins the day's buckets and every
 * grouping the endpoints offer. Each kind adds exactly what it says and nothing else: a cost record
 * adds its USD to /organization/costs and no usage; a completions record adds tokens and requests to
 * /organization/usage/completions and no cost (plant both to tell a consistent story).
 */

export const PLANTED_PATH = '/_sandbox/records';
const MAX_RECORDS = 5_000;
const DAY = 86_400;

export interface PlantedCounts {
  costs: number;
  completions: number;
}

/** Validates the whole body first, then adds every record: a bad record adds nothing. */
export function plantRecords(state: SandboxState, body: unknown): PlantedCounts {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid(null, 'Invalid body: expected a JSON object like {"costs": [...], "completions": [...]}.');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => k !== 'costs' && k !== 'completions');
  if (unknown.length > 0) throw invalid(unknown[0] ?? null, `Unknown field '${unknown[0]}': planted records go under "costs" and "completions".`);
  const costs = list(fields.costs, 'costs');
  const completions = list(fields.completions, 'completions');
  if (costs.length + completions.length === 0) throw invalid(null, 'Nothing to plant: give at least one record under "costs" or "completions".');
  if (costs.length + completions.length > MAX_RECORDS) throw invalid(null, `Too many records: at most ${MAX_RECORDS} per request.`);
  const today = Math.floor(state.now() / DAY) * DAY;
  const records: DailyActivity[] = [
    ...costs.map((raw, i) => {
      const r = new Fields(raw, `costs[${i}]`);
      const where = placement(state, r, today);
      const lineItem = r.string('line_item');
      const usd = r.number('usd', 0);
      r.only(['date', 'project_id', 'api_key_id', 'line_item', 'usd']);
      return record(where, { model: modelOf(lineItem), costsOnly: true, costs: [{ line_item: lineItem, amount: usd, quantity: 0, quantity_unit: 'usd' }] });
    }),
    ...completions.map((raw, i) => {
      const r = new Fields(raw, `completions[${i}]`);
      const where = placement(state, r, today);
      const model = r.string('model');
      const input = r.int('input_tokens');
      const output = r.int('output_tokens');
      const requests = r.int('requests');
      r.only(['date', 'project_id', 'api_key_id', 'model', 'input_tokens', 'output_tokens', 'requests']);
      return record(where, { model, costs: [], input_tokens: input, output_tokens: output, num_model_requests: requests });
    }),
  ];
  // Activity is kept oldest first (month-to-date sums walk back from the end); the sort is stable.
  state.activity.push(...records);
  state.activity.sort((a, b) => a.day - b.day);
  return { costs: costs.length, completions: completions.length };
}

function list(value: unknown, name: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(name, `Invalid '${name}': expected an array of records.`);
  return value;
}

interface Placement {
  day: number;
  project_id: string;
  api_key_id: string;
  user_id: string | null;
}

/** The record's day, project and key, each checked against the organization. */
function placement(state: SandboxState, r: Fields, today: number): Placement {
  const date = r.string('date');
  const day = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) / 1000 : NaN;
  if (!Number.isFinite(day)) throw invalid(r.param('date'), `Invalid '${r.param('date')}': expected a UTC date like 2026-11-20, got '${date}'.`);
  if (day > today) throw invalid(r.param('date'), `Invalid '${r.param('date')}': ${date} is in the future; plant records up to today.`);
  const projectId = r.string('project_id');
  if (!state.projects.has(projectId)) throw invalid(r.param('project_id'), `Unknown project '${projectId}' in '${r.param('project_id')}': plant records on an existing project.`);
  const keyId = r.string('api_key_id');
  const key = state.projectApiKeys.get(projectId)?.get(keyId);
  if (!key) throw invalid(r.param('api_key_id'), `Unknown API key '${keyId}' in '${r.param('api_key_id')}': it is not a key of project ${projectId}.`);
  return { day, project_id: projectId, api_key_id: keyId, user_id: key.owner.type === 'user' ? key.owner.user_id : null };
}

/** A cost line's model: the line item up to its first comma (`gpt-4o-2024-08-06, input`). */
function modelOf(lineItem: string): string {
  return lineItem.split(',', 1)[0]?.trim() ?? lineItem;
}

function record(where: Placement, more: Partial<DailyActivity> & Pick<DailyActivity, 'costs'> & { model: string }): DailyActivity {
  return {
    ...where,
    family: 'completions',
    batch: false,
    service_tier: 'default',
    input_tokens: 0,
    output_tokens: 0,
    input_cached_tokens: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    num_model_requests: 0,
    units: 0,
    ...more,
  };
}

/** One record's fields, each error naming the record and field (`costs[3].usd`). */
class Fields {
  private readonly fields: Record<string, unknown>;
  constructor(
    raw: unknown,
    private readonly prefix: string,
  ) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(prefix, `Invalid '${prefix}': expected an object.`);
    this.fields = raw as Record<string, unknown>;
  }
  param(name: string): string {
    return `${this.prefix}.${name}`;
  }
  string(name: string): string {
    const value = this.fields[name];
    if (typeof value !== 'string' || value.trim() === '') throw invalid(this.param(name), `Missing or empty '${this.param(name)}': expected a non-empty string.`);
    return value;
  }
  number(name: string, min: number): number {
    const value = this.fields[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw invalid(this.param(name), `Invalid '${this.param(name)}': expected a number ≥ ${min}.`);
    return value;
  }
  int(name: string): number {
    const value = this.number(name, 0);
    if (!Number.isInteger(value)) throw invalid(this.param(name), `Invalid '${this.param(name)}': expected a whole number.`);
    return value;
  }
  only(allowed: string[]): void {
    const extra = Object.keys(this.fields).find((k) => !allowed.includes(k));
    if (extra) throw invalid(this.param(extra), `Unknown field '${this.param(extra)}': a record takes ${allowed.join(', ')}.`);
  }
}
