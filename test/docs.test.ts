import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderToolsMarkdown } from '../src/docs.js';

describe('docs/TOOLS.md', () => {
  it('matches the tool registry (run `npm run docs` after changing a tool)', () => {
    const committed = readFileSync(new URL('../docs/TOOLS.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderToolsMarkdown());
  });
});
