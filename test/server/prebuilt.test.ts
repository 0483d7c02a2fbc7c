import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allComposites } from '../../src/reports/index.js';
import { allTools } from '../../src/server/registry.js';

describe('schemas prebuilt at build time', () => {
  const file = new URL('../../dist/tool-schemas.json', import.meta.url);

  it('dist/tool-schemas.json equals what the registry computes from source (npm test builds first)', () => {
    expect(existsSync(file), 'run npm run build').toBe(true);
    const prebuilt = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const computed = Object.fromEntries(allTools(undefined, allComposites).map((t) => [t.name, { inputSchema: t.inputSchema, outputSchema: t.outputSchema }]));
    expect(prebuilt).toEqual(computed);
  });
});
