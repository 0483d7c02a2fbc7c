import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('registry and bundle metadata', () => {
  it('server.json and manifest.json carry the package version and the real entry point', () => {
    const pkg = read('package.json') as { version: string; name: string; bin: Record<string, string> };
    const server = read('server.json') as { version: string; packages: Array<{ identifier: string; version: string }> };
    const manifest = read('manifest.json') as { version: string; server: { entry_point: string } };
    expect(server.version).toBe(pkg.version);
    expect(server.packages[0]).toMatchObject({ identifier: pkg.name, version: pkg.version });
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.server.entry_point).toBe(pkg.bin['openai-admin-mcp']);
  });
});
