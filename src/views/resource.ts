import { readFileSync } from 'node:fs';

/*
 * MCP Apps (the `io.modelcontextprotocol/ui` extension): four report tools declare one view, a
 * `ui://` HTML resource that hosts render in a sandboxed iframe and hand the tool's result to. The
 * page itself is bundled at build time (src/build-assets.ts → dist/view.html) from src/views/web/.
 */

/** The one view; the page picks the spend, usage, access or anomaly layout from the result it is given. */
export const VIEW_URI = 'ui://openai-admin-mcp/report.html';

/** The MIME type MCP Apps hosts look for (ext-apps' RESOURCE_MIME_TYPE; a test keeps them equal). */
export const VIEW_MIME = 'text/html;profile=mcp-app';

/** The tools whose results have a view. */
export const VIEW_TOOLS: ReadonlySet<string> = new Set(['spend_report', 'usage_report', 'access_review', 'spend_anomalies']);

/** The `_meta` a tool listing carries when the tool has a view; nothing for every other tool. */
export function viewMeta(tool: string): Record<string, unknown> | undefined {
  return VIEW_TOOLS.has(tool) ? { ui: { resourceUri: VIEW_URI } } : undefined;
}

/** The resource as `resources/list` shows it. */
export const VIEW_RESOURCE = {
  uri: VIEW_URI,
  name: 'report-view',
  title: 'Report view',
  description: 'Charts and tables for spend_report, usage_report, access_review and spend_anomalies results.',
  mimeType: VIEW_MIME,
} as const;

export const VIEW_FILE = 'view.html';

let html: string | undefined;

/** The built page. Built code finds it beside dist/src; code run from source finds it in dist/. */
export function viewHtml(): string {
  if (html !== undefined) return html;
  for (const path of [`../../${VIEW_FILE}`, `../../dist/${VIEW_FILE}`]) {
    try {
      html = readFileSync(new URL(path, import.meta.url), 'utf8');
      return html;
    } catch {
      // try the next place
    }
  }
  throw new Error(`The report view (${VIEW_FILE}) is missing: run \`npm run build\`.`);
}

/** The id of the element that carries a standalone page's data; the page renders it without a host. */
export const DATA_ELEMENT_ID = 'openai-admin-mcp-data';

/**
 * The same page as one file with a result embedded, for people without an MCP Apps host. Its CSP
 * allows only the page's own script and style (by hash) and no network at all.
 */
export function standaloneHtml(tool: string, args: Record<string, unknown>, structuredContent: Record<string, unknown>): string {
  const page = viewHtml();
  // `<` escaped, so no string in the data (a project named `</script>`) can end the element.
  const data = JSON.stringify({ tool, arguments: args, structuredContent }).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const embedded = `<script type="application/json" id="${DATA_ELEMENT_ID}">${data}</script>`;
  const csp = `<meta http-equiv="Content-Security-Policy" content="${standaloneCsp(page)}">`;
  // Function replacers: the data may hold `$&`, which a replacement string would expand.
  return page.replace('<head>', () => `<head>\n${csp}`).replace('<body>', () => `<body>\n${embedded}`);
}

/** default-src 'none' plus the hashes of the page's one script and one style element. */
function standaloneCsp(page: string): string {
  const hashes = JSON.parse(/<!--hashes:(.*?)-->/.exec(page)?.[1] ?? '{}') as { script?: string; style?: string };
  if (!hashes.script || !hashes.style) throw new Error(`The report view (${VIEW_FILE}) has no content hashes: rebuild it.`);
  return `default-src 'none'; script-src '${hashes.script}'; style-src '${hashes.style}'; img-src data:; base-uri 'none'; form-action 'none'`;
}
