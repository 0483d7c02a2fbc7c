import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { allComposites } from './reports/index.js';
import { listing } from './server/mcp.js';
import { LISTING_FILE, type ListingEntry } from './server/prebuilt.js';
import { allTools } from './server/registry.js';

/**
 * Run by `npm run build` after tsc: writes the `bin` entry point (dist/cli.js) and the tool listing
 * computed once at build time (dist/tool-listing.json), which lets the server start without building
 * every schema.
 */
const dist = new URL('../', import.meta.url);

writeFileSync(new URL('cli.js', dist), "#!/usr/bin/env node\nimport './src/cli.js';\n");
chmodSync(new URL('cli.js', dist), 0o755);

// The registry takes schemas from a prebuilt listing when there is one: the last build's must not
// feed this one, or a changed schema would never reach the listing.
rmSync(new URL(LISTING_FILE, dist), { force: true });
const entries: ListingEntry[] = allTools(undefined, allComposites).map((tool) => ({ tool: listing(tool), toolset: tool.toolset, effect: tool.effect }));
writeFileSync(new URL(LISTING_FILE, dist), JSON.stringify(entries));
