/**
 * Converts the time forms people and models use into Unix seconds:
 * - Unix seconds (number or digits);
 * - ISO-8601 dates (`2026-10-01`, read as 00:00 UTC) and date-times (`2026-10-01T12:00Z`);
 * - relative forms: `now`, `today`, `yesterday` (00:00 UTC), `30d`, `12h`, `90m`, `2w` (that long before now).
 * Returns null when the text is none of these.
 */
export function parseTime(value: string | number, now: number = Date.now()): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : null;
  const text = value.trim().toLowerCase();
  if (/^\d{9,11}$/.test(text)) return Number(text);
  const nowSeconds = Math.floor(now / 1000);
  const midnight = Math.floor(nowSeconds / 86_400) * 86_400;
  if (text === 'now') return nowSeconds;
  if (text === 'today') return midnight;
  if (text === 'yesterday') return midnight - 86_400;
  const relative = /^(\d+)\s*(m|h|d|w)$/.exec(text);
  if (relative) {
    const unit = { m: 60, h: 3_600, d: 86_400, w: 604_800 }[relative[2] as 'm' | 'h' | 'd' | 'w'];
    return nowSeconds - Number(relative[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const ms = Date.parse(`${text}T00:00:00Z`);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const ms = Date.parse(text.toUpperCase());
    return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
  }
  return null;
}

/** The latest instant an ISO-8601 time can name (+275760-09-13), in Unix seconds. */
const LAST_ISO_SECOND = 8_640_000_000_000;

/**
 * A time argument as its schema lists it: one `string`. Unix seconds given as a number are taken all
 * the same, read as the same instant written as an ISO time, so a caller that sends a number is not
 * refused while the listing pays for one type instead of an `anyOf` of two (about 9 tokens a field,
 * on 36 fields). Anything else passes through for the string check to refuse.
 */
export function numberAsTime(value: unknown): unknown {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > LAST_ISO_SECOND) return value;
  return new Date(value * 1000).toISOString();
}

/** A Unix time as an ISO-8601 time to the minute, UTC: `2026-12-04T09:12Z`. */
export function isoMinute(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 16)}Z`;
}

/** Unix seconds as an ISO date (`2026-10-01`, UTC). */
export const isoDate = (unix: number): string => new Date(unix * 1000).toISOString().slice(0, 10);
