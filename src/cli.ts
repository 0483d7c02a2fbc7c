import { parseConfig, UsageError, type ServerConfig } from './config.js';
import { flagsHelp } from './flags.js';
import { VERSION } from './version.js';

const HELP = `openai-admin-mcp ${VERSION}: an MCP server for the OpenAI Admin API

Usage:
  openai-admin-mcp [flags]                 MCP server on stdio (real API; needs OPENAI_ADMIN_KEY)
  openai-admin-mcp --sandbox [flags]       MCP server on the built-in simulated organization
  openai-admin-mcp sandbox [--port N] [--seed N] [--size S] [--rate-limit RPM] [--latency-ms N] [--fault-rate R]
                                           The simulated Admin API alone; prints its base URL
  openai-admin-mcp tools [--json] [flags]  List the tools these flags list: toolset, effect, endpoint
  openai-admin-mcp call TOOL [JSON] [flags]
                                           Call one tool under the same policy and print the result
  openai-admin-mcp view TOOL [JSON] --out FILE.html [flags]
                                           Run spend_report, usage_report or access_review and write
                                           its view as one standalone HTML file (no network needed)

Without --toolsets, --tools or --dynamic the server lists the reports, the most used tools and
search_tools, describe_tool and call_tool, which reach every other tool: at most 40, for any host.

${flagsHelp()}`;

async function main(argv: string[]): Promise<number> {
  let config: ServerConfig;
  try {
    config = parseConfig(argv, process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`openai-admin-mcp: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  switch (config.command) {
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'sandbox': {
      const { runSandbox } = await import('./commands/sandbox.js');
      return runSandbox(config);
    }
    case 'tools': {
      const { runTools } = await import('./commands/tools.js');
      return runTools(config);
    }
    case 'call': {
      const { runCall } = await import('./commands/call.js');
      return runCall(config);
    }
    case 'view': {
      const { runView } = await import('./commands/view.js');
      return runView(config);
    }
    case 'serve': {
      const { runServe } = await import('./commands/serve.js');
      return runServe(config);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof UsageError ? error.message : (error as Error).stack ?? String(error);
    process.stderr.write(`openai-admin-mcp: ${message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
