import { createRequire } from 'node:module';

/**
 * The package version, read once from package.json so the User-Agent and `--version` agree. The
 * file sits one level up from src/ when run from source and two levels up from dist/src/.
 */
function readVersion(): string {
  const require = createRequire(import.meta.url);
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'openai-admin-mcp' && pkg.version) return pkg.version;
    } catch {
      // Not at this level; try the next.
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
