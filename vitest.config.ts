import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The install test (npm pack, an npx-style install, the .mcpb bundle) and the Dockerfile's final
    // stage (npm ci --omit=dev) take most of a minute of npm and disk work: `npm run test:packaging`
    // runs them (vitest.packaging.config.ts), and so does CI.
    exclude: [...configDefaults.exclude, 'test/packaging/install.test.ts', 'test/packaging/dockerfile.test.ts'],
    // Says which suites are skipped for a missing redis-server, nginx or chromium (CI fails instead).
    globalSetup: ['test/prerequisites-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Four workers on two cores: many files spend seconds waiting (a Redis lock running out, a killed
    // replica, chromium, a spawned server starting), and the extra workers use those seconds.
    // Measured on 2 cores, vitest alone: 260 s with two workers, 243 s with three, 224 s with four.
    maxWorkers: 4,
    // Worker threads rather than child processes: every file loads our sources afresh (isolation),
    // and handing them to a thread costs less than to a process. Measured on test/sandbox and
    // test/client: 12% less CPU (63 against 72 s). No test changes the process itself.
    pool: 'threads',
  },
});
