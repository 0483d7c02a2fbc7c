import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { allWorkflows } from './plans/index.js';
import { allComposites } from './reports/index.js';
import { endpointField, listing } from './server/hosts/tool-host.js';
import { LISTING_FILE, type ListingEntry } from './server/listing/prebuilt.js';
import { allTools } from './server/listing/registry.js';
import { VIEW_FILE } from './views/resource.js';
import { buildViewHtml } from './views/build.js';

/**
 * Run by `npm run build` after tsc: writes the `bin` entry point (dist/cli.js) and the tool listing
 * computed once at build time (dist/tool-listing.json), which lets the server start without building
 * every schema, and the report view (dist/view.html), bundled from src/views/web/.
 */
const dist = new URL('../', import.meta.url);

writeFileSync(new URL('cli.js', dist), "#!/usr/bin/env node\nimport './src/cli.js';\n");
chmodSync(new URL('cli.js', dist), 0o755);

// The registry takes schemas from a listing file when there is one: drop the previous build's, or
// a tool whose schema changed would be written out with its old one again.
rmSync(new URL(LISTING_FILE, dist), { force: true });
const entries: ListingEntry[] = allTools(undefined, allComposites, allWorkflows).map((tool) => ({ tool: listing(tool), toolset: tool.toolset, effect: tool.effect, ...endpointField(tool) }));
writeFileSync(new URL(LISTING_FILE, dist), JSON.stringify(entries));

// The sources stay in src/: tsc does not compile them (they are browser code, see src/views/web/tsconfig.json).
writeFileSync(new URL(VIEW_FILE, dist), await buildViewHtml(new URL('../src/views/web/', dist)));
