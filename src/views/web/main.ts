import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables, PostMessageTransport, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import { renderAccess } from './access.js';
import { renderAnomalies } from './anomalies.js';
import type { ViewContext } from './controls.js';
import { h, record } from './dom.js';
import { renderSpend } from './spend.js';
import { renderUsage } from './usage.js';

/*
 * One page for the four report views. In an MCP Apps host it connects to the host, renders the tool
 * result it is handed (structuredContent only, no extra calls) and can run the report again through
 * the host. Opened as a standalone file it renders the result embedded in it.
 */

/** Kept equal to DATA_ELEMENT_ID in src/views/resource.ts. */
const DATA_ELEMENT_ID = 'openai-admin-mcp-data';

const root = document.getElementById('app') ?? document.body;

type Layout = (data: Record<string, unknown>, ctx: ViewContext) => HTMLElement;
const LAYOUTS: Record<string, Layout> = { spend_report: renderSpend, usage_report: renderUsage, access_review: renderAccess, spend_anomalies: renderAnomalies };

/** The tool a result came from, by name when the host says it, else by the fields only that report has. */
function layoutFor(tool: string, data: Record<string, unknown>): [string, Layout] | undefined {
  if (LAYOUTS[tool]) return [tool, LAYOUTS[tool]];
  if ('total_usd' in data) return ['spend_report', renderSpend];
  if ('keys' in data && 'users' in data) return ['access_review', renderAccess];
  if ('totals' in data) return ['usage_report', renderUsage];
  if ('anomalies' in data && 'method' in data) return ['spend_anomalies', renderAnomalies];
  return undefined;
}

function show(tool: string, data: unknown, ctx: ViewContext): void {
  const result = record(data);
  const layout = layoutFor(tool, result);
  root.replaceChildren(layout ? layout[1](result, { ...ctx, tool: layout[0] }) : message('This result has no view: it is not a spend, usage, access or anomaly report.'));
  root.removeAttribute('aria-busy');
}

function message(text: string, alert = false): HTMLElement {
  return h('p', { class: alert ? 'error' : 'note', ...(alert ? { role: 'alert', 'data-testid': 'error' } : {}) }, text);
}

function errorText(content: unknown): string {
  const parts = Array.isArray(content) ? content.map((c) => (record(c).type === 'text' ? String(record(c).text) : '')).filter(Boolean) : [];
  return parts.join('\n') || 'The report failed.';
}

function applyContext(context: McpUiHostContext | undefined): void {
  if (!context) return;
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
}

async function connect(): Promise<void> {
  const app = new App({ name: 'openai-admin-mcp-report-view', version: '1.0.0' }, {}, { autoResize: true });
  let tool = '';
  let args: Record<string, unknown> = {};
  const canCall = () => app.getHostCapabilities()?.serverTools !== undefined;

  const render = (result: { isError?: boolean; structuredContent?: unknown; content?: unknown }) => {
    if (result.isError || result.structuredContent === undefined) {
      root.replaceChildren(message(errorText(result.content), true));
      return;
    }
    show(tool, result.structuredContent, { tool, args, ...(canCall() ? { rerun } : {}) });
  };
  const rerun = async (next: Record<string, unknown>) => {
    root.setAttribute('aria-busy', 'true');
    try {
      const result = await app.callServerTool({ name: tool, arguments: next });
      if (!result.isError) args = next;
      render(result);
    } catch (error) {
      root.removeAttribute('aria-busy');
      root.prepend(message(`Could not run ${tool} again: ${(error as Error).message}`, true));
    }
  };

  app.ontoolinput = (params) => {
    args = params.arguments ?? {};
  };
  app.ontoolresult = (result) => {
    // A layout decided by shape names its tool, so a re-run calls the right one even if the host did not say.
    tool ||= app.getHostContext()?.toolInfo?.tool.name ?? layoutFor('', record(result.structuredContent))?.[0] ?? '';
    render(result);
  };
  app.onhostcontextchanged = (context) => applyContext(context);
  await app.connect(new PostMessageTransport(window.parent, window.parent));
  const context = app.getHostContext();
  applyContext(context);
  tool = context?.toolInfo?.tool.name ?? tool;
}

const embedded = document.getElementById(DATA_ELEMENT_ID);
if (embedded?.textContent) {
  const { tool, arguments: args, structuredContent } = JSON.parse(embedded.textContent) as { tool: string; arguments?: Record<string, unknown>; structuredContent: unknown };
  show(tool, structuredContent, { tool, args: args ?? {} });
} else {
  connect().catch((error: unknown) => {
    root.replaceChildren(message(`Could not connect to the host: ${(error as Error).message}`, true));
  });
}
