import { isoMinute } from '../time.js';

/*
 * Warnings about a change, as plain functions over state already fetched, so a single tool's preview
 * and a plan's steps say the same thing in the same words. None of them fetches anything.
 */

/** A key used within this many days is "in active use". */
export const ACTIVE_USE_DAYS = 7;

/** Something with a name that may have been used: a key, or the target of a change. */
export interface Usable {
  id?: unknown;
  name?: unknown;
  last_used_at?: unknown;
}

/** One warning per object used in the last 7 days: revoking it breaks whatever uses it now. */
export function activeUse(objects: readonly Usable[], nowSeconds: number, what = 'key'): string[] {
  const since = nowSeconds - ACTIVE_USE_DAYS * 86_400;
  return objects
    .filter((o) => typeof o.last_used_at === 'number' && o.last_used_at >= since)
    .map((o) => `in active use: ${what} ${label(o)} was last used ${isoMinute(o.last_used_at as number)}, within ${ACTIVE_USE_DAYS} days; whatever uses it will fail.`);
}

/** A project (or the organization) and who owns it, directly or through groups. */
export interface Owned {
  /** "Atlas (proj_…)" or "the organization". */
  place: string;
  /** Owner IDs: user IDs, and group IDs for owner groups. */
  owners: readonly string[];
}

/** A warning for each place whose every owner the change removes. */
export function lastOwner(places: readonly Owned[], removed: readonly string[]): string[] {
  const gone = new Set(removed);
  return places
    .filter((p) => p.owners.length > 0 && p.owners.every((o) => gone.has(o)))
    .map((p) => `last owner: this removes the only owner of ${p.place}; nobody will be able to manage it. Make someone else owner first.`);
}

/** A warning when objects with the same value (an active project's name) exist already. */
export function duplicate(noun: string, field: string, value: string, matches: readonly Usable[]): string[] {
  if (matches.length === 0) return [];
  const which = matches.length === 1 ? `an ${noun} already has` : `${matches.length} ${noun}s already have`;
  return [`duplicate ${field}: ${which} the ${field} '${value}' (${matches.map((m) => String(m.id)).join(', ')}); the API makes another one with the same ${field}.`];
}

/** A warning for a change the API will refuse, with its reason. */
export function willBeRefused(reason: string): string {
  return `will be refused: ${reason}`;
}

function label(o: Usable): string {
  const name = typeof o.name === 'string' && o.name !== '' ? `'${o.name}'` : undefined;
  return name ? `${name} (${String(o.id)})` : String(o.id);
}
