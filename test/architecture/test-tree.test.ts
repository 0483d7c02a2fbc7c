import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CROSS_CUTTING, holdsSources, listTests, misplacedTests } from './test-tree.js';

const testRoot = fileURLToPath(new URL('..', import.meta.url));
const srcRoot = fileURLToPath(new URL('../../src', import.meta.url));
const tests = listTests(testRoot);
const folders = [...new Set(tests.map((f) => (f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '')).filter((f) => f !== ''))].sort();

describe('the test tree mirrors src/', () => {
  it('reads every test', () => {
    expect(tests.length).toBeGreaterThan(100);
  });

  it('has every test in a folder named like its source folder, or in a cross-cutting suite', () => {
    expect(misplacedTests(tests, (folder) => holdsSources(srcRoot, folder))).toEqual([]);
  });

  it('names every test folder in docs/ARCHITECTURE.md', () => {
    const architecture = readFileSync(new URL('../../docs/ARCHITECTURE.md', import.meta.url), 'utf8');
    const section = architecture.slice(architecture.indexOf('## Tests'));
    expect(folders.filter((folder) => !section.includes(`test/${folder}`))).toEqual([]);
  });

  it('flags a planted misfit, a test beside the parts of src/server, and nothing that fits', () => {
    const sources = new Set(['client', 'server/gate', 'server/http']);
    const planted = ['team/oauth.test.ts', 'server/flat.test.ts', 'server/gate/confirm.test.ts', 'client/retries.test.ts', 'config.test.ts', 'e2e/stdio.test.ts', 'nowhere/deep/x.test.ts'];
    expect(misplacedTests(planted, (folder) => sources.has(folder))).toEqual(['team/oauth.test.ts', 'server/flat.test.ts', 'nowhere/deep/x.test.ts']);
    expect(Object.keys(CROSS_CUTTING)).toEqual(['e2e', 'acceptance', 'architecture', 'reference', 'packaging']);
  });
});
