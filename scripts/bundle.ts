import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/*
 * `npm run bundle`: the MCP Bundle (.mcpb) a desktop host installs with one click, holding exactly
 * what `npx -y openai-admin-mcp` installs: the packed tarball (package.json's "files": dist and
 * manifest.json) and its production dependencies, installed into an empty folder. The official
 * `mcpb` CLI validates the manifest and packs it. Prints the bundle's path and size.
 */

/** Hosts download and unpack the bundle on install: keep it small. */
export const MAX_BUNDLE_BYTES = 10 * 1024 * 1024;

/** The checkout: the nearest folder up with a package-lock.json (this runs from scripts/ and from dist/scripts/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package-lock.json'))) {
    if (dirname(dir) === dir) throw new Error('no package-lock.json above scripts/bundle: run it from a checkout');
    dir = dirname(dir);
  }
  return dir;
}
const root = findRoot();
const MCPB = join(root, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
export const bundleFile = join(root, `${pkg.name}-${pkg.version}.mcpb`);

/** `npm pack` into `dir`, then installs the tarball with production dependencies only into `dir/install`, as npx does. */
export function packAndInstall(dir: string): { tarball: string; files: string[]; install: string } {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dir, packed!.filename);
  const install = join(dir, 'install');
  mkdirSync(install);
  writeFileSync(join(install, 'package.json'), '{"private":true}');
  // --prefer-offline takes every package from npm's cache when it is there.
  execFileSync('npm', ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: install, stdio: ['ignore', 'ignore', 'inherit'] });
  return { tarball, files: packed!.files.map((f) => f.path), install };
}

/** Turns an install made by packAndInstall into a bundle at `output` (the install is consumed). */
export function bundleFrom(install: string, output: string): number {
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { version: string };
  if (manifest.version !== pkg.version) throw new Error(`manifest.json says version ${manifest.version} but package.json says ${pkg.version}: make them equal`);
  // The package becomes the bundle's root and the dependencies installed beside it its node_modules.
  const stage = join(install, 'bundle');
  const modules = join(install, 'node_modules');
  renameSync(join(modules, pkg.name), stage);
  rmSync(join(modules, '.bin'), { recursive: true, force: true });
  rmSync(join(modules, '.package-lock.json'), { force: true });
  renameSync(modules, join(stage, 'node_modules'));
  execFileSync(process.execPath, [MCPB, 'validate', join(stage, 'manifest.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(output, { force: true });
  execFileSync(process.execPath, [MCPB, 'pack', stage, output], { stdio: ['ignore', 'ignore', 'inherit'] });
  const { size } = statSync(output);
  if (size > MAX_BUNDLE_BYTES) throw new Error(`${output} is ${(size / 1e6).toFixed(2)} MB, over the 10 MB limit: something that does not run got in`);
  return size;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const work = mkdtempSync(join(tmpdir(), 'oamcp-bundle-'));
  try {
    const size = bundleFrom(packAndInstall(work).install, bundleFile);
    console.log(`${bundleFile} (${(size / 1e6).toFixed(2)} MB)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
