import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Host, CallSession } from './host.js';
import { buildInstructions } from './instructions.js';
import type { ListingEntry } from './prebuilt.js';
import type { ToolResult } from './results.js';
import { narrow, type Selection } from './selection.js';

/**
 * A host that answers `initialize` and `tools/list` from the listing prebuilt at build time and loads
 * the real one (zod definitions, executor, reports) in the background once the first listing is answered, or
 * on the first call. Start-up then costs what a one-tool server costs plus reading one JSON file.
 * Used for unscoped, non-dynamic servers; the selection rules are the same functions the full host uses.
 */
export class QuickHost implements Host {
  readonly instructions: string;
  private readonly tools: Tool[];
  private readonly exposed: ListingEntry[];
  private full: Promise<Host> | undefined;

  constructor(
    entries: readonly ListingEntry[],
    options: Selection & { sandbox: boolean },
    private readonly load: () => Promise<Host>,
  ) {
    const selectable = entries.map((e) => ({ ...e, name: e.tool.name }));
    const exposed = narrow(selectable, options, new Set(selectable.map((e) => e.name)));
    this.exposed = exposed;
    this.tools = exposed.map((e) => e.tool);
    this.instructions = buildInstructions({ toolsets: new Set(exposed.map((e) => e.toolset)), readOnly: options.readOnly, sandbox: options.sandbox, dynamic: false });
  }

  listTools(): Tool[] {
    return this.tools;
  }

  listed(): void {
    // The listing is on its way to the client (setImmediate runs after the answer is written); load
    // the rest while the client reads it.
    setImmediate(() => {
      this.warm().catch(() => undefined); // a failure surfaces on the first call instead
    });
  }

  entries(): ListingEntry[] {
    return this.exposed;
  }

  async call(name: string, args: unknown, session?: CallSession): Promise<ToolResult> {
    return (await this.warm()).call(name, args, session);
  }

  /** The full host, loaded once. */
  warm(): Promise<Host> {
    this.full ??= this.load();
    return this.full;
  }
}
