import { chmodSync, writeFileSync } from 'node:fs';
import { allComposites } from './reports/index.js';
import { PREBUILT_FILE, type PrebuiltSchemas } from './server/prebuilt.js';
import { allTools } from './server/registry.js';

/**
 * Run by `npm run build` after tsc: writes the `bin` entry point (dist/cli.js) and the tool schemas
 * computed once at build time (dist/tool-schemas.json), which make server start-up cheaper.
 */
const dist = new URL('../', import.meta.url);

writeFileSync(new URL('cli.js', dist), "#!/usr/bin/env node\nimport './src/cli.js';\n");
chmodSync(new URL('cli.js', dist), 0o755);

const schemas: Record<string, PrebuiltSchemas> = {};
for (const tool of allTools(undefined, allComposites)) schemas[tool.name] = { inputSchema: tool.inputSchema, outputSchema: tool.outputSchema };
writeFileSync(new URL(PREBUILT_FILE, dist), JSON.stringify(schemas));
