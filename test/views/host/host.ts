import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolRequest, CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AppBridge, PostMessageTransport, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/app-bridge';

/*
 * A minimal MCP Apps host for the browser tests, as a chat client would do it: an MCP client over
 * Streamable HTTP to the real server (through the test page's origin), the tool's ui:// resource read
 * from that server, rendered in a sandboxed iframe under the spec's default CSP, and ext-apps'
 * AppBridge between the two. The view's tools/call requests go to the server and are recorded.
 */

/** The spec's default for a view that declares no domains: nothing but inline code and data: images. */
const VIEW_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; frame-src 'none'; base-uri 'none'";

/** A tools/call the view made through the host, with the result the server gave it (once it has). */
type Call = CallToolRequest['params'] & { result?: CallToolResult };

interface Shown {
  result: CallToolResult;
  calls: Call[];
  mimeType: string;
}

const client = new Client({ name: 'views-test-host', version: '1.0.0' });
const connected = client.connect(new StreamableHTTPClientTransport(new URL('/mcp', location.href)));
let tools: Tool[] | undefined;
/** The ui:// resources read so far: the tests show the one view many times, as a host would cache it. */
const resources = new Map<string, Promise<{ text: string; mimeType: string }>>();
let bridge: AppBridge | undefined;
const calls: Call[] = [];

async function show(name: string, args: Record<string, unknown>, theme: 'light' | 'dark'): Promise<Shown> {
  await connected;
  tools ??= (await client.listTools()).tools;
  const tool = tools.find((t) => t.name === name);
  const uri = (tool?._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri;
  if (!tool || !uri) throw new Error(`${name} declares no view`);
  if (!resources.has(uri)) resources.set(uri, client.readResource({ uri }).then((read) => read.contents[0] as { text: string; mimeType: string }));
  const resource = await resources.get(uri)!;
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;

  await bridge?.close();
  calls.length = 0;
  document.body.dataset.theme = theme;
  const frame = document.createElement('iframe');
  frame.sandbox.add('allow-scripts');
  frame.title = `${name} view`;
  document.getElementById('stage')?.replaceChildren(frame);
  const view = frame.contentWindow;
  if (!view) throw new Error('the iframe has no window');

  bridge = new AppBridge(null, { name: 'views-test-host', version: '1.0.0' }, { serverTools: {}, logging: {} }, {
    hostContext: { theme, displayMode: 'inline', platform: 'web', toolInfo: { tool }, containerDimensions: { width: frame.clientWidth, maxHeight: 4000 } },
  });
  bridge.oncalltool = async (params) => {
    const call: Call = { ...params };
    calls.push(call);
    call.result = (await client.callTool(params)) as CallToolResult;
    return call.result;
  };
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) frame.style.height = `${Math.ceil(height)}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    bridge!.oninitialized = () => resolve();
  });
  await bridge.connect(new PostMessageTransport(view, view));
  frame.srcdoc = resource.text.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="${VIEW_CSP}">`);
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(result);
  return { result, calls, mimeType: resource.mimeType };
}

async function callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  await connected;
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

Object.assign(window, { testHost: { show, callTool, calls: () => calls, mime: RESOURCE_MIME_TYPE } });
document.body.dataset.ready = 'true';
