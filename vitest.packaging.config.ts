import { defineConfig } from 'vitest/config';

/** `npm run test:packaging`: the packed tarball installed as npx installs it, and the .mcpb bundle. */
export default defineConfig({
  test: {
    include: ['test/packaging/install.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
