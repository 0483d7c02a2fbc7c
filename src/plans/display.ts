import { isoMinute } from '../time.js';

/*
 * How plans show what they read: times as ISO minutes (`2026-12-04T09:12Z`) rather than the API's
 * Unix seconds, and without the `object` tags that say nothing to a person.
 */

/** A copy of `value` with every numeric `…_at` field as an ISO time and `object` tags left out. */
export function isoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(isoTimes);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'object') continue;
    out[key] = key.endsWith('_at') && typeof v === 'number' ? isoMinute(v) : isoTimes(v);
  }
  return out;
}

