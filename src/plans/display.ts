/*
 * How plans show what they read: times as ISO minutes (`2026-12-04T09:12Z`) rather than the API's
 * Unix seconds, and without the `object` tags that say nothing to a person.
 */

/** Unix seconds as an ISO time to the minute. */
export const isoMinute = (unix: number): string => `${new Date(unix * 1000).toISOString().slice(0, 16)}Z`;

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

/** Whole days from `unix` to now (ms), for "last used 3 days ago". */
export const daysSince = (unix: number, nowMs: number): number => Math.floor((nowMs / 1000 - unix) / 86_400);
