import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe } from 'vitest';

/*
 * The Debian packages some suites drive for real: redis-server and nginx (test/server/gate/) and chromium
 * (test/views/browser.test.ts). On a machine without one, `npm test` skips the suites that need it,
 * by name, and says how to install it; under CI (CI=true, which .ci/run sets) a missing one fails
 * the run instead, so nothing is ever skipped silently there.
 */

export type Prerequisite = 'redis-server' | 'nginx' | 'chromium';

const CANDIDATES: Record<Prerequisite, string[]> = {
  'redis-server': ['/usr/bin/redis-server', '/usr/local/bin/redis-server'],
  nginx: ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'],
  chromium: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'],
};

/** The executable for `name`: the first known path, then PATH (CHROMIUM_PATH first for chromium). */
export function findPrerequisite(name: Prerequisite): string | undefined {
  const candidates = name === 'chromium' ? [process.env.CHROMIUM_PATH, ...CANDIDATES.chromium] : CANDIDATES[name];
  for (const path of candidates) if (path && existsSync(path)) return path;
  const names = name === 'chromium' ? ['chromium', 'chromium-browser'] : [name];
  const which = spawnSync('sh', ['-c', names.map((n) => `command -v ${n}`).join(' || ')], { encoding: 'utf8' });
  return which.stdout.trim() || undefined;
}

export const installCommand = (names: Prerequisite[]) => `sudo apt-get install -y ${names.join(' ')} (Debian, Ubuntu; brew install ${names.filter((n) => n !== 'chromium').join(' ') || 'chromium'} on macOS)`;

export function missingPrerequisites(names: Prerequisite[] = Object.keys(CANDIDATES) as Prerequisite[]): Prerequisite[] {
  return names.filter((name) => !findPrerequisite(name));
}

/**
 * `describe` for a suite that needs these programs: the suite itself when they are installed; when
 * one is missing, the same suite skipped under a name that says what is missing (its hooks do not
 * run), or under CI an error that fails the file.
 */
export function describeNeeding(...names: Prerequisite[]): (title: string, body: () => void) => void {
  const missing = missingPrerequisites(names);
  if (missing.length === 0) return (title, body) => describe(title, body);
  const why = `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed`;
  if (process.env.CI) throw new Error(`${why}; CI runs every suite: ${installCommand(missing)}`);
  return (title, body) => {
    console.warn(`skipped "${title}": ${why}`);
    describe.skip(`${title} (skipped: ${why}; install: ${installCommand(missing)})`, body);
  };
}
