import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Folders whose tests run in-process against the sandbox and share no process-wide state: their
 * files run one after another in a worker without loading our sources afresh for each (isolate
 * off), which takes 40% less CPU (63 against 106 s of user and system time for these folders on 2 cores). Every other folder
 * (servers spawned, Redis, nginx, chromium, stdio, signals) keeps a fresh module graph per file.
 */
const SHARED_MODULES = ['test/sandbox/**/*.test.ts', 'test/client/**/*.test.ts', 'test/reports/**/*.test.ts', 'test/plans/**/*.test.ts', 'test/architecture/**/*.test.ts', 'test/reference/**/*.test.ts'];
/**
 * The install test (npm pack, an npx-style install, the .mcpb bundle) and the Dockerfile's final
 * stage (npm ci --omit=dev) take most of a minute of npm and disk work: `npm run test:packaging`
 * runs them (vitest.packaging.config.ts), and so does CI.
 */
const PACKAGING = ['test/packaging/install.test.ts', 'test/packaging/dockerfile.test.ts'];

export default defineConfig({
  test: {
    // Says which suites are skipped for a missing redis-server, nginx or chromium (CI fails instead).
    globalSetup: ['test/prerequisites-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two workers, one per core. Four used the seconds some files spend waiting (vitest 224-260 s
    // against 260 s with two), but doubled the stretch of every timing-sensitive test: the replica
    // SIGKILL drill ran out of its attempts once in CI under four.
    maxWorkers: 2,
    // Worker threads rather than child processes: handing our sources to a thread costs less than
    // to a process. Measured on test/sandbox and test/client: 12% less CPU (63 against 72 s).
    pool: 'threads',
    projects: [
      { extends: true, test: { name: 'shared-modules', include: SHARED_MODULES, isolate: false } },
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...PACKAGING, ...SHARED_MODULES] } },
    ],
  },
});
