import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/*
 * The test tree mirrors the source tree: the tests of src/X/Y.ts sit under test/X/, so a newcomer
 * finds them by the source's own path. The suites below test the whole product rather than one
 * folder and keep folders of their own; docs/ARCHITECTURE.md lists both.
 */

/** Test folders that mirror no source folder on purpose, and what each is for. */
export const CROSS_CUTTING: Record<string, string> = {
  e2e: "the MCP SDK's own clients against the built server over stdio and HTTP",
  acceptance: "an administrator's questions and plans asked through the tools, checked against the issues' targets",
  architecture: 'the import rules of src/ and tools/, and this mirror',
  reference: 'drift against the Admin API reference and the openai SDK',
  packaging: 'how the product is installed: the packed tarball, the .mcpb bundle, the Dockerfile, registry metadata',
};

/** Every *.test.ts under test/, relative to it with forward slashes. */
export function listTests(testRoot: string, dir = testRoot, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) listTests(testRoot, full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(testRoot, full).split(sep).join('/'));
  }
  return out;
}

/** Whether src/<folder> exists and holds source files of its own (src/server holds only its parts). */
export function holdsSources(srcRoot: string, folder: string): boolean {
  const dir = join(srcRoot, folder);
  return existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some((name) => name.endsWith('.ts') && statSync(join(dir, name)).isFile());
}

/**
 * The tests that sit where no one would look for them: in a folder that is neither a source folder
 * with files of its own nor a cross-cutting suite. The root of test/ mirrors the root of src/
 * (config, flags, docs) and holds the checks on README.
 */
export function misplacedTests(tests: string[], isSourceFolder: (folder: string) => boolean): string[] {
  return tests.filter((file) => {
    const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
    if (folder === '') return false;
    if (Object.hasOwn(CROSS_CUTTING, folder.split('/')[0] as string)) return false;
    return !isSourceFolder(folder);
  });
}
