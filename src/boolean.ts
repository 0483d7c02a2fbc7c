/*
 * The one reading of an on/off setting, for environment variables and request headers alike:
 * safety switches must never be misread, so anything but these words is refused.
 */

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** What a refusal says is accepted (the README's flag section says the same). */
export const BOOLEAN_WORDS = '1 or 0 (also true/false, yes/no, on/off)';

/** true or false for an accepted word (any case, surrounding spaces ignored), undefined for anything else. */
export function parseBoolean(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  return undefined;
}
