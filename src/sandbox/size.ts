/*
 * The sandbox organization's size, as `--size` names it. Kept apart from the generator so the
 * command line can check the flag without loading the seed tables.
 */

export interface OrgSize {
  projects: number;
  users: number;
  /** Project API keys, roughly: the generator aims at this many in total. */
  keys: number;
}

export const SIZES: Readonly<Record<'small' | 'large' | 'huge', OrgSize>> = {
  small: { projects: 8, users: 25, keys: 0 },
  large: { projects: 300, users: 3_000, keys: 10_000 },
  huge: { projects: 2_000, users: 20_000, keys: 60_000 },
};

/**
 * `small`, `large`, `huge`, or explicit counts `PROJECTS,USERS,KEYS` (`500,5000,15000`). Counts
 * below the small organization's are raised to it: the small organization is always included.
 */
export function parseSize(text: string): OrgSize {
  if (Object.hasOwn(SIZES, text)) return SIZES[text as keyof typeof SIZES];
  const match = /^(\d+),(\d+),(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`size: '${text}' is not a size; use small, large, huge, or counts as PROJECTS,USERS,KEYS (for example 500,5000,15000).`);
  const [projects, users, keys] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  if (projects > 10_000 || users > 100_000 || keys > 300_000) throw new Error(`size: '${text}' is beyond the sandbox's ceiling of 10000 projects, 100000 users and 300000 keys.`);
  return { projects, users, keys };
}

export const isSmall = (size: OrgSize): boolean => size.projects <= SIZES.small.projects && size.users <= SIZES.small.users && size.keys <= 0;

