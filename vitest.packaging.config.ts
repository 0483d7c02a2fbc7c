import { defineConfig } from 'vitest/config';

/** `npm run test:packaging`: the packed tarball installed as npx installs it, the .mcpb bundle, and the Dockerfile's final stage. */
export default defineConfig({
  test: {
    include: ['test/packaging/install.test.ts', 'test/packaging/dockerfile.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
