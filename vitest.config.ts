import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The install test (npm pack, an npx-style install, the .mcpb bundle) takes half a minute of npm
    // and disk work: `npm run test:packaging` runs it (vitest.packaging.config.ts), and so does CI.
    exclude: [...configDefaults.exclude, 'test/packaging/install.test.ts'],
    // Says which suites are skipped for a missing redis-server, nginx or chromium (CI fails instead).
    globalSetup: ['test/prerequisites-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: spawning a worker per core keeps the suite fast without starving the sandbox servers.
    maxWorkers: 2,
    // Worker threads rather than child processes: every file loads our sources afresh (isolation),
    // and handing them to a thread costs less than to a process. Measured on test/sandbox and
    // test/client: 12% less CPU (63 against 72 s). No test changes the process itself.
    pool: 'threads',
  },
});
