import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Toolset } from '../../../tools/define.js';
import type { Host, CallSession } from './host.js';
import { buildInstructions } from '../listing/instructions.js';
import { metaListings } from '../listing/meta-listing.js';
import type { ListingEntry } from '../listing/prebuilt.js';
import type { ToolResult } from '../results/results.js';
import { plan, type ListingMode, type Selection } from '../listing/selection.js';

/**
 * A host that answers `initialize` and `tools/list` from the listing prebuilt at build time and loads
 * the real one (zod definitions, executor, reports) in the background once the first listing is answered, or
 * on the first call. Start-up then costs what a one-tool server costs plus reading one JSON file.
 * Used for unscoped servers; the selection rules are the same functions the full host uses.
 */
export class QuickHost implements Host {
  readonly instructions: string;
  readonly mode: ListingMode;
  private readonly tools: Tool[];
  private readonly exposed: ListingEntry[];
  private full: Promise<Host> | undefined;

  constructor(
    entries: readonly ListingEntry[],
    private readonly options: Selection & { sandbox: boolean; scriptsListed?: boolean },
    private readonly load: () => Promise<Host>,
  ) {
    const selectable = entries.map((e) => ({ ...e, name: e.tool.name }));
    const planned = plan(selectable, options, new Set(selectable.map((e) => e.name)));
    this.exposed = planned.callable;
    this.mode = planned.mode;
    this.tools = [...planned.listed.map((e) => e.tool), ...(planned.meta ? metaListings(options.scriptsListed === true) : [])];
    this.instructions = this.instructionsFor({ toolsets: new Set(planned.callable.map((e) => e.toolset)), readOnly: options.readOnly, mode: this.mode });
  }

  instructionsFor(view: { toolsets: ReadonlySet<Toolset>; readOnly: boolean; mode: ListingMode }): string {
    return buildInstructions({ ...view, readOnly: view.readOnly || this.options.readOnly, sandbox: this.options.sandbox, project: this.options.project });
  }

  listTools(): Tool[] {
    return this.tools;
  }

  onListed(): void {
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
