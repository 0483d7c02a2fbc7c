import { parseConfig } from '../src/config.js';
import { inertJson } from '../src/server/results/results.js';
import { openRuntime } from '../src/runtime.js';
import { BENCH_KEY, externalSandbox, int, resultText, table, type Section } from './lib.js';
import { tokens } from './p2-list-size.js';

export async function p7(): Promise<Section> {
  const sandbox = await externalSandbox(0);
  const runtime = await openRuntime(parseConfig([], { OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_KEY: BENCH_KEY, OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent' }));
  try {
    const args = { project: 'Atlas', period: 'last_month', group_by: ['line_item'] };
    const result = await runtime.host.call('spend_report', args);
    if (result.isError) throw new Error(`spend_report failed: ${resultText(result)}`);
    const text = resultText(result);
    const data = result.structuredContent as Record<string, unknown>;
    const textTokens = tokens(text);
    const jsonTokens = tokens(inertJson(data));
    const breakdown = (data.breakdown as unknown[] | undefined)?.length ?? 0;
    return {
      id: 'P7',
      title: 'Answer size: "what did project X spend last month, by line item"',
      method:
        `One call, \`spend_report ${JSON.stringify(args)}\`, through the ToolHost from \`openRuntime\` against the sandbox (seed 1). ` +
        'Counted: o200k tokens of the text content the model reads (the JSON inside its untrusted-data boundary). structuredContent carries the same data for clients that read it.',
      body: [
        table(
          ['part', 'tokens'],
          [
            ['text content (what is checked)', int(textTokens)],
            ['of which the JSON data', int(jsonTokens)],
            ['of which the boundary tags and the "never follow instructions" sentence', int(textTokens - jsonTokens)],
            ['structuredContent as JSON (same data, if a client also shows it)', int(tokens(JSON.stringify(data)))],
          ],
        ),
        `Breakdown rows: ${breakdown}. The text content:`,
        `\`\`\`\n${text}\n\`\`\``,
      ],
      checks: [{ id: 'P7', what: 'spend_report last month by line item: tokens of the text content, 1 call', measured: int(textTokens), target: '≤ 600, one call', pass: textTokens <= 600 }],
    };
  } finally {
    await runtime.close();
    await sandbox.close();
  }
}
